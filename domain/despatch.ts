// Validating a despatch from the warehouse before it becomes an SP-API confirmShipment (Orders v0).
// Amazon only tells the buyer "your order has shipped" when this call succeeds, and a rejected or
// wrong confirmation leaves the order Unshipped in Seller Central, so every mistake is caught here
// with a message that names the field and the fix.

import { parseInstant, MINUTE_MS, toIso } from './time';

/** What the warehouse sends when a package leaves: carrier, service, tracking, when, and which order items/quantities. */
export type DespatchInstruction = {
  carrierCode: string;
  carrierName?: string;
  shippingMethod: string;
  trackingNumber: string;
  shipDate: string;
  lines: { orderItemId: string; quantity: number }[];
};

/** The order as despatch validation needs it (from Orders 2026 plus Conduit's record of earlier packages). */
export type DespatchableOrder = {
  amazonOrderId: string;
  marketplaceId: string;
  route: 'FBA' | 'FBM';
  fulfillmentStatus: string;
  /** When the buyer placed the order (Orders 2026 createdTime). */
  purchasedAt: string;
  /** Latest ship date Amazon promised the buyer (fulfillment.shipByWindow.latestDateTime), if known. */
  latestShipDate?: string;
  items: { orderItemId: string; sellerSku?: string; quantityOrdered: number; quantityShipped: number }[];
};

/** Exactly the Orders v0 ConfirmShipmentRequest body (no codCollectionMethod: that is Japan-only). */
export type ConfirmShipmentBody = {
  marketplaceId: string;
  packageDetail: {
    packageReferenceId: string;
    carrierCode: string;
    carrierName: string;
    shippingMethod: string;
    trackingNumber: string;
    shipDate: string;
    orderItems: { orderItemId: string; quantity: number }[];
  };
};

/** One problem with a despatch: the field (path) and a message that names it and says how to fix it. */
export type DespatchError = { field: string; message: string };

/** Either the confirmShipment body to send, or every problem found (nothing is sent). */
export type DespatchValidation = { ok: true; confirmShipmentBody: ConfirmShipmentBody } | { ok: false; errors: DespatchError[] };

/** A carrier Amazon accepts in confirmShipment, with the spellings warehouses commonly send for it. */
export type KnownCarrier = { code: string; name: string; aliases: readonly string[] };

// Amazon's carrier-code list is not in the model (sp-api.md §2.4, NV); these are the UK/EU/US carriers
// Conduit's sellers use, spelled as Seller Central shows them.
/** Carriers Conduit accepts for UK/EU/US despatch; "Other" needs a carrierName. */
export const KNOWN_CARRIERS: readonly KnownCarrier[] = [
  { code: 'Royal Mail', name: 'Royal Mail', aliases: ['RoyalMail', 'RM'] },
  { code: 'Parcelforce', name: 'Parcelforce Worldwide', aliases: ['Parcel Force', 'Parcelforce Worldwide', 'PFW'] },
  { code: 'DPD', name: 'DPD', aliases: ['DPD UK', 'DPD Local'] },
  { code: 'DHL', name: 'DHL', aliases: ['DHL Express', 'DHL Parcel', 'DHL Parcel UK'] },
  { code: 'UPS', name: 'UPS', aliases: [] },
  { code: 'FedEx', name: 'FedEx', aliases: ['Fed Ex', 'Federal Express'] },
  { code: 'Evri', name: 'Evri', aliases: ['Hermes', 'Hermes UK', 'myHermes'] },
  { code: 'Yodel', name: 'Yodel', aliases: [] },
  { code: 'DX', name: 'DX', aliases: ['DX Freight', 'DX Express'] },
  { code: 'Amazon Shipping', name: 'Amazon Shipping', aliases: ['AmazonShipping'] },
  { code: 'USPS', name: 'USPS', aliases: ['US Postal Service', 'United States Postal Service'] },
  { code: 'Other', name: 'Other', aliases: [] },
];

const squash = (s: string): string => s.trim().toLowerCase().replace(/[\s_-]+/g, '');

/** The known carrier for a code or common spelling ("royal mail", "Hermes" → Evri), or null. */
export function carrierFor(code: string): KnownCarrier | null {
  const wanted = squash(code);
  if (wanted === '') return null;
  return KNOWN_CARRIERS.find((c) => squash(c.code) === wanted || c.aliases.some((a) => squash(a) === wanted)) ?? null;
}

/** How far in the future a ship date may be (warehouse clocks drift; labels are printed just before collection). */
export const SHIP_DATE_FUTURE_ALLOWANCE_MINUTES = 15;

const TRACKING_CHARSET = /^[A-Za-z0-9-]+$/;
const PACKAGE_REFERENCE_ID = /^[1-9][0-9]{0,17}$/;

/** True for a confirmShipment packageReferenceId: a positive whole number written as digits. */
export function isPackageReferenceId(value: string): boolean {
  return PACKAGE_REFERENCE_ID.test(value);
}

/** Units of an order item still to ship: ordered minus shipped, never negative. */
export function quantityUnshipped(item: { quantityOrdered: number; quantityShipped: number }): number {
  return Math.max(0, item.quantityOrdered - item.quantityShipped);
}

/**
 * Check a warehouse despatch against the order and build the confirmShipment body for one package.
 * `packageReferenceId` is Conduit's number for this package on this order (1, 2, …); re-sending the
 * same number edits that shipment on Amazon rather than adding one.
 */
export function validateDespatch(
  instruction: DespatchInstruction,
  order: DespatchableOrder,
  context: { now: string; packageReferenceId: string },
): DespatchValidation {
  const errors: DespatchError[] = [];
  const add = (field: string, message: string): void => {
    errors.push({ field, message });
  };

  if (order.route !== 'FBM') {
    add('order', `Order ${order.amazonOrderId} is fulfilled by Amazon (FBA): Amazon ships it and Conduit never confirms shipment. Remove it from the warehouse's despatch list.`);
  }
  if (order.fulfillmentStatus === 'CANCELLED') {
    add('order', `Order ${order.amazonOrderId} is cancelled on Amazon: do not ship it; if it has left, contact the buyer via Seller Central.`);
  } else if (order.fulfillmentStatus === 'SHIPPED') {
    add('order', `Order ${order.amazonOrderId} is already fully shipped on Amazon: nothing is left to confirm.`);
  }

  if (!isPackageReferenceId(context.packageReferenceId)) {
    add('packageReferenceId', `packageReferenceId ${JSON.stringify(context.packageReferenceId)} must be a positive whole number such as "1" (Conduit numbers packages per order).`);
  }

  const carrier = carrierFor(instruction.carrierCode ?? '');
  const carrierName = (instruction.carrierName ?? '').trim();
  if (!carrier) {
    add(
      'carrierCode',
      `carrierCode ${JSON.stringify(instruction.carrierCode ?? '')} is not a carrier Amazon accepts here. Use one of ${KNOWN_CARRIERS.map((c) => c.code).join(', ')}; ` +
        `for any other carrier send carrierCode "Other" and the carrier's name in carrierName.`,
    );
  } else if (carrier.code === 'Other' && carrierName === '') {
    add('carrierName', `carrierName is required when carrierCode is "Other": send the carrier's name as the buyer should see it (e.g. "Whistl").`);
  }

  const shippingMethod = (instruction.shippingMethod ?? '').trim();
  if (shippingMethod === '') {
    add('shippingMethod', `shippingMethod is empty: send the carrier's service name, e.g. "Tracked 24" or "Next Day".`);
  }

  const trackingNumber = (instruction.trackingNumber ?? '').trim();
  if (trackingNumber === '') {
    add('trackingNumber', 'trackingNumber is empty: send the tracking number printed on the label; the buyer uses it to follow the parcel.');
  } else if (!TRACKING_CHARSET.test(trackingNumber)) {
    const bad = [...new Set(Array.from(trackingNumber).filter((ch) => !/[A-Za-z0-9-]/.test(ch)))].map((ch) => JSON.stringify(ch)).join(' ');
    add('trackingNumber', `trackingNumber ${JSON.stringify(trackingNumber)} contains ${bad}: send letters, digits and hyphens only, without spaces (e.g. "AB123456789GB").`);
  } else if (trackingNumber.length < 5 || trackingNumber.length > 40) {
    add('trackingNumber', `trackingNumber ${JSON.stringify(trackingNumber)} is ${trackingNumber.length} characters long: carriers' numbers are 5–40 characters; check it was not truncated or merged with another field.`);
  }

  const shipMs = parseInstant(instruction.shipDate ?? '');
  const nowMs = parseInstant(context.now);
  if (nowMs === null) throw new Error(`validateDespatch: now must be an ISO date-time, got ${JSON.stringify(context.now)}`);
  const purchasedMs = parseInstant(order.purchasedAt);
  if (shipMs === null) {
    add('shipDate', `shipDate ${JSON.stringify(instruction.shipDate ?? '')} is not an ISO-8601 date-time with a time zone: send e.g. "2026-11-27T10:00:00Z".`);
  } else if (shipMs > nowMs + SHIP_DATE_FUTURE_ALLOWANCE_MINUTES * MINUTE_MS) {
    add('shipDate', `shipDate ${instruction.shipDate} is in the future: send the time the parcel actually left (check the warehouse clock and time zone).`);
  } else if (purchasedMs !== null && shipMs < purchasedMs) {
    add('shipDate', `shipDate ${instruction.shipDate} is before the order was placed (${order.purchasedAt}): send the time the parcel actually left.`);
  }

  const lines = instruction.lines ?? [];
  if (lines.length === 0) {
    add('lines', 'lines is empty: list each order item in the package with its quantity.');
  }
  const itemsById: Record<string, DespatchableOrder['items'][number]> = {};
  for (const item of order.items) itemsById[item.orderItemId] = item;
  const perItem: Record<string, number> = {};
  const itemOrder: string[] = [];
  lines.forEach((line, i) => {
    const item = Object.prototype.hasOwnProperty.call(itemsById, line.orderItemId) ? itemsById[line.orderItemId] : undefined;
    if (!item) {
      add(`lines[${i}].orderItemId`, `lines[${i}].orderItemId ${JSON.stringify(line.orderItemId)} is not an item on order ${order.amazonOrderId}: use the orderItemId from the Amazon order, not the SKU or line number.`);
      return;
    }
    if (!Number.isSafeInteger(line.quantity) || line.quantity < 1) {
      add(`lines[${i}].quantity`, `lines[${i}].quantity must be a whole number of at least 1, got ${JSON.stringify(line.quantity)}.`);
      return;
    }
    if (perItem[line.orderItemId] === undefined) itemOrder.push(line.orderItemId);
    const total = (perItem[line.orderItemId] ?? 0) + line.quantity;
    perItem[line.orderItemId] = total;
    const left = quantityUnshipped(item);
    if (total > left) {
      const what = item.sellerSku ? ` (${item.sellerSku})` : '';
      add(
        `lines[${i}].quantity`,
        `lines[${i}].quantity: ${total} unit(s) of item ${line.orderItemId}${what} in this package but only ${left} left to ship ` +
          `(${item.quantityOrdered} ordered, ${item.quantityShipped} already shipped). Send at most ${left}.`,
      );
    }
  });

  if (errors.length > 0) return { ok: false, errors };
  const chosen = carrier as KnownCarrier;
  return {
    ok: true,
    confirmShipmentBody: {
      marketplaceId: order.marketplaceId,
      packageDetail: {
        packageReferenceId: context.packageReferenceId,
        carrierCode: chosen.code,
        carrierName: chosen.code === 'Other' ? carrierName : carrierName || chosen.name,
        shippingMethod,
        trackingNumber,
        shipDate: toIso(shipMs as number),
        orderItems: itemOrder.map((orderItemId) => ({ orderItemId, quantity: perItem[orderItemId] ?? 0 })),
      },
    },
  };
}

/** True once the promised latest ship date has passed without a confirmed shipment (late despatch hurts seller metrics). */
export function isLateForDespatch(latestShipDate: string | undefined, now: string): boolean {
  if (latestShipDate === undefined) return false;
  const latest = parseInstant(latestShipDate);
  const nowMs = parseInstant(now);
  if (latest === null || nowMs === null) throw new Error(`isLateForDespatch needs ISO date-times, got ${JSON.stringify(latestShipDate)} and ${JSON.stringify(now)}`);
  return nowMs > latest;
}
