/**
 * HTTP receiver for ORDER_CHANGE notifications (loopback only). Each valid notification starts
 * one short `orderNotification` workflow whose ID is the notification id, so a redelivered
 * notification is a no-op; the workflow reads the order and hands it to its order workflow at
 * once (new orders in seconds; the 5-minute poll stays as the safety net).
 *
 * Answers: 202 started, 200 duplicate or not an ORDER_CHANGE (nothing to do, do not resend),
 * 400 invalid (names the field), 503 Temporal unavailable (the sender retries).
 * Logs carry notification and order ids only, never the payload (it holds a postal code).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { z } from 'zod';
import { silentLogger, type Logger } from '../activities/deps';
import { isAmazonOrderId, isMarketplaceId } from '../domain/routing';
import { ORDER_NOTIFICATION_WORKFLOW_TYPE, orderNotificationWorkflowId, type OrderNotificationInput } from '../workflows/contracts/orders';

const MAX_BODY_BYTES = 256 * 1024;

/** The parts of schemas/notifications/OrderChangeNotification.json Conduit relies on (all required there). */
export const orderChangeNotificationSchema = z.object({
  NotificationVersion: z.string(),
  NotificationType: z.literal('ORDER_CHANGE'),
  PayloadVersion: z.string(),
  EventTime: z.string(),
  Payload: z.object({
    OrderChangeNotification: z.object({
      NotificationLevel: z.enum(['OrderLevel', 'OrderItemLevel']),
      SellerId: z.string().min(1),
      AmazonOrderId: z.string().refine(isAmazonOrderId, { message: 'must be a 3-7-7 Amazon order id' }),
      OrderChangeType: z.string().min(1),
      OrderChangeTrigger: z.object({ TimeOfOrderChange: z.string().nullable().optional(), ChangeReason: z.string().nullable().optional() }),
      Summary: z.object({
        MarketplaceId: z.string().refine(isMarketplaceId, { message: 'must be an Amazon marketplace id' }),
        OrderStatus: z.string(),
        FulfillmentType: z.string(),
        OrderItems: z.array(z.object({ OrderItemId: z.string(), SellerSKU: z.string(), Quantity: z.number() }).loose()),
      }).loose(),
    }),
  }),
  NotificationMetadata: z.object({
    ApplicationId: z.string(),
    SubscriptionId: z.string(),
    PublishTime: z.string(),
    NotificationId: z.string().min(1).max(200),
  }),
});

export interface NotificationReceiverOptions {
  /** Port on 127.0.0.1; 0 picks a free one. */
  port: number;
  workflowClient: Client;
  taskQueue: string;
  log?: Logger;
}

export interface NotificationReceiver {
  url: string;
  port: number;
  close(): Promise<void>;
}

function reply(res: http.ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: http.IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the receiver; resolves once it listens. */
export async function startNotificationReceiver(opts: NotificationReceiverOptions): Promise<NotificationReceiver> {
  const log = opts.log ?? silentLogger;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'POST') return reply(res, 405, { error: 'POST an ORDER_CHANGE notification as JSON' });
    const text = await readBody(req);
    if (text === null) return reply(res, 413, { error: `notification larger than ${MAX_BODY_BYTES} bytes` });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return reply(res, 400, { error: 'body is not JSON' });
    }
    const type = (json as { NotificationType?: unknown } | null)?.NotificationType;
    if (typeof type === 'string' && type !== 'ORDER_CHANGE') return reply(res, 200, { ignored: `NotificationType ${type} is not handled here` });
    const parsed = orderChangeNotificationSchema.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
      log.warn('invalid ORDER_CHANGE notification refused', { problems });
      return reply(res, 400, { error: 'invalid ORDER_CHANGE notification', problems });
    }
    const n = parsed.data;
    const change = n.Payload.OrderChangeNotification;
    const input: OrderNotificationInput = {
      notificationId: n.NotificationMetadata.NotificationId,
      sellerId: change.SellerId,
      marketplaceId: change.Summary.MarketplaceId,
      amazonOrderId: change.AmazonOrderId,
      orderChangeType: change.OrderChangeType,
      eventTime: n.EventTime,
      receivedAt: new Date().toISOString(),
    };
    const workflowId = orderNotificationWorkflowId(input.notificationId);
    try {
      await opts.workflowClient.workflow.start(ORDER_NOTIFICATION_WORKFLOW_TYPE, {
        workflowId,
        taskQueue: opts.taskQueue,
        args: [input],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return reply(res, 200, { duplicate: true, workflowId });
      log.error('could not start notification workflow', { workflowId, error: err instanceof Error ? err.message : String(err) });
      return reply(res, 503, { error: 'Temporal is unavailable; resend later' });
    }
    log.info('ORDER_CHANGE accepted', { workflowId, amazonOrderId: input.amazonOrderId, changeType: input.orderChangeType });
    return reply(res, 202, { started: true, workflowId });
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error('notification receiver failed', { error: err instanceof Error ? err.message : String(err) });
      if (!res.headersSent) reply(res, 500, { error: 'internal error' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
