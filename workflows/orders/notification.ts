/**
 * One short workflow per ORDER_CHANGE notification (ID from the notification id, so a redelivery
 * is a no-op): find the connection, read the order with getOrder (the payload is a trigger, not
 * the order) and hand it to its order workflow at once. Polling remains the safety net.
 */
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { HandOffOutcome, OrderActivities } from '../../activities/orders';
import { dbWrite, spApiCall } from '../../spapi/activity-options';
import type { OrderNotificationInput } from '../contracts/orders';
import { installReauthorisationHandler, withAccess } from '../lib/access';

const db = proxyActivities<OrderActivities>(dbWrite);
const amazon = proxyActivities<OrderActivities>(spApiCall);

/** Hands the notified order to its workflow; `NO_CONNECTION` when no connection owns the seller's marketplace. */
export async function orderNotification(input: OrderNotificationInput): Promise<HandOffOutcome | 'NO_CONNECTION'> {
  if (!input?.amazonOrderId || !input.sellerId || !input.marketplaceId) {
    throw ApplicationFailure.nonRetryable('orderNotification needs sellerId, marketplaceId and amazonOrderId', 'InvalidInput');
  }
  installReauthorisationHandler();
  const connectionId = await db.resolveConnectionForSeller({ sellerId: input.sellerId, marketplaceId: input.marketplaceId });
  if (connectionId === null) return 'NO_CONNECTION';
  return withAccess(connectionId, () =>
    amazon.fetchAndHandOffOrder({ connectionId, marketplaceId: input.marketplaceId, amazonOrderId: input.amazonOrderId, via: 'NOTIFICATION' }),
  );
}
