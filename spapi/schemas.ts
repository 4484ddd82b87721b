/**
 * zod schemas for every response the SP-API port returns, written from the official models in
 * shared/sp-api-models (definition names in the comments). Required fields and enums are the
 * models'; test/spapi/schemas.test.ts walks each schema against its model definition so the two
 * cannot drift. Unknown fields are stripped: Conduit passes on only what the port declares.
 * A body that does not match becomes SpApiError('BadResponse') here, at the edge, instead of a
 * crash in a workflow later.
 */
import { z } from 'zod';
import type { Scope, SpApiOperation } from '../domain/scopes';
import { SpApiError } from './errors';

// Instants are read by domain/time.ts, which needs a zone; the models say format date-time.
const dateTime = z.iso.datetime({ offset: true });
const integer = z.number().int();

// ---------------------------------------------------------------- Orders 2026-01-01

/** orders_2026-01-01 FulfillmentStatus (enum in the model). */
export const fulfillmentStatus = z.enum(['PENDING_AVAILABILITY', 'PENDING', 'UNSHIPPED', 'PARTIALLY_SHIPPED', 'SHIPPED', 'CANCELLED', 'UNFULFILLABLE']);
/**
 * OrderFulfillment.fulfilledBy: a string whose "Possible values" the model lists in its
 * description (AMAZON, MERCHANT). Enforced because FBA and FBM orders go down different paths
 * and an unknown value must not be routed as either.
 */
export const fulfilledBy = z.enum(['AMAZON', 'MERCHANT']);

/** orders_2026-01-01 Money (Decimal amount is a string). */
const orderMoney = z.object({ amount: z.string(), currencyCode: z.string() });

/** orders_2026-01-01 DateTimeRange. */
const dateTimeRange = z.object({ earliestDateTime: dateTime.optional(), latestDateTime: dateTime.optional() });

/** orders_2026-01-01 OrderItem (the parts Conduit reads). */
const orderItem = z.object({
  orderItemId: z.string(),
  quantityOrdered: integer,
  product: z.object({
    asin: z.string().optional(),
    title: z.string().optional(),
    sellerSku: z.string().optional(),
    price: z.object({ unitPrice: orderMoney.optional(), priceDesignation: z.string().optional() }).optional(),
  }),
  fulfillment: z.object({ quantityFulfilled: integer.optional(), quantityUnfulfilled: integer.optional() }).optional(),
  cancellation: z
    .object({ cancellationRequest: z.object({ requester: z.string().optional(), cancelReason: z.string().optional() }).optional() })
    .optional(),
});

/** orders_2026-01-01 CustomerAddress (the parts Conduit reads). */
const customerAddress = z.object({
  name: z.string().optional(),
  companyName: z.string().optional(),
  addressLine1: z.string().optional(),
  addressLine2: z.string().optional(),
  addressLine3: z.string().optional(),
  city: z.string().optional(),
  districtOrCounty: z.string().optional(),
  stateOrRegion: z.string().optional(),
  municipality: z.string().optional(),
  postalCode: z.string().optional(),
  countryCode: z.string().optional(),
  phone: z.string().optional(),
  addressType: z.string().optional(),
});

/** orders_2026-01-01 OrderPackage (the parts Conduit reads). */
const orderPackage = z.object({
  packageReferenceId: z.string(),
  createdTime: dateTime.optional(),
  packageStatus: z
    .object({
      status: z.enum(['PENDING', 'IN_TRANSIT', 'SHIPPED', 'DELIVERED', 'CANCELLED', 'UNDELIVERABLE']),
      detailedStatus: z.string().optional(),
    })
    .optional(),
  carrier: z.string().optional(),
  shipTime: dateTime.optional(),
  shippingService: z.string().optional(),
  trackingNumber: z.string().optional(),
});

/** orders_2026-01-01 Order. */
export const order = z.object({
  orderId: z.string(),
  createdTime: dateTime,
  lastUpdatedTime: dateTime,
  programs: z.array(z.string()).optional(),
  salesChannel: z.object({ channelName: z.string(), marketplaceId: z.string().optional(), marketplaceName: z.string().optional() }),
  buyer: z
    .object({
      buyerName: z.string().optional(),
      buyerEmail: z.string().optional(),
      buyerCompanyName: z.string().optional(),
      buyerPurchaseOrderNumber: z.string().optional(),
    })
    .optional(),
  recipient: z.object({ deliveryAddress: customerAddress.optional() }).optional(),
  fulfillment: z
    .object({
      fulfillmentStatus,
      fulfilledBy: fulfilledBy.optional(),
      fulfillmentServiceLevel: z.string().optional(),
      shipByWindow: dateTimeRange.optional(),
      deliverByWindow: dateTimeRange.optional(),
    })
    .optional(),
  orderItems: z.array(orderItem),
  packages: z.array(orderPackage).optional(),
});

/** orders_2026-01-01 SearchOrdersResponse. */
export const searchOrdersResponse = z.object({
  orders: z.array(order),
  pagination: z.object({ nextToken: z.string().optional() }).optional(),
  lastUpdatedBefore: dateTime.optional(),
  createdBefore: dateTime.optional(),
});

/** orders_2026-01-01 GetOrderResponse. */
export const getOrderResponse = z.object({ order });

// ---------------------------------------------------------------- FBA Inventory v1

/** fbaInventory InventorySummary. */
const inventorySummary = z.object({
  asin: z.string().optional(),
  fnSku: z.string().optional(),
  sellerSku: z.string().optional(),
  condition: z.string().optional(),
  inventoryDetails: z
    .object({
      fulfillableQuantity: integer.optional(),
      inboundWorkingQuantity: integer.optional(),
      inboundShippedQuantity: integer.optional(),
      inboundReceivingQuantity: integer.optional(),
      reservedQuantity: z
        .object({
          totalReservedQuantity: integer.optional(),
          pendingCustomerOrderQuantity: integer.optional(),
          pendingTransshipmentQuantity: integer.optional(),
          fcProcessingQuantity: integer.optional(),
        })
        .optional(),
      researchingQuantity: z
        .object({
          totalResearchingQuantity: integer.optional(),
          researchingQuantityBreakdown: z
            .array(
              z.object({
                name: z.enum(['researchingQuantityInShortTerm', 'researchingQuantityInMidTerm', 'researchingQuantityInLongTerm']),
                quantity: integer,
              }),
            )
            .optional(),
        })
        .optional(),
      unfulfillableQuantity: z
        .object({
          totalUnfulfillableQuantity: integer.optional(),
          customerDamagedQuantity: integer.optional(),
          warehouseDamagedQuantity: integer.optional(),
          distributorDamagedQuantity: integer.optional(),
          carrierDamagedQuantity: integer.optional(),
          defectiveQuantity: integer.optional(),
          expiredQuantity: integer.optional(),
        })
        .optional(),
    })
    .optional(),
  lastUpdatedTime: dateTime.optional(),
  productName: z.string().optional(),
  totalQuantity: integer.optional(),
});

/**
 * fbaInventory GetInventorySummariesResponse. The model makes `payload` optional (errors may
 * come instead), but a 200 without it carries no stock figures, so it is required here.
 */
export const inventorySummariesResponse = z.object({
  payload: z.object({
    granularity: z.object({ granularityType: z.string().optional(), granularityId: z.string().optional() }),
    inventorySummaries: z.array(inventorySummary),
  }),
  pagination: z.object({ nextToken: z.string().optional() }).optional(),
});

// ---------------------------------------------------------------- Listings Items 2021-08-01

/** listingsItems_2021-08-01 Money. */
const listingsMoney = z.object({ currencyCode: z.string(), amount: z.string() });

/** listingsItems_2021-08-01 Issue. */
const issue = z.object({
  code: z.string(),
  message: z.string(),
  severity: z.enum(['ERROR', 'WARNING', 'INFO']),
  attributeNames: z.array(z.string()).optional(),
  categories: z.array(z.string()),
  marketplaceIds: z.array(z.string()).optional(),
});

/** listingsItems_2021-08-01 Item (summaries, attributes, issues, offers, fulfillmentAvailability). */
export const listingsItem = z.object({
  sku: z.string(),
  summaries: z
    .array(
      z.object({
        marketplaceId: z.string(),
        asin: z.string().optional(),
        productType: z.string(),
        conditionType: z
          .enum([
            'new_new',
            'new_open_box',
            'new_oem',
            'refurbished_refurbished',
            'used_like_new',
            'used_very_good',
            'used_good',
            'used_acceptable',
            'collectible_like_new',
            'collectible_very_good',
            'collectible_good',
            'collectible_acceptable',
            'club_club',
          ])
          .optional(),
        status: z.array(z.enum(['BUYABLE', 'DISCOVERABLE'])),
        fnSku: z.string().optional(),
        itemName: z.string().optional(),
        createdDate: dateTime,
        lastUpdatedDate: dateTime,
      }),
    )
    .optional(),
  attributes: z.record(z.string(), z.unknown()).optional(),
  issues: z.array(issue).optional(),
  offers: z
    .array(
      z.object({
        marketplaceId: z.string(),
        offerType: z.enum(['B2C', 'B2B']),
        price: listingsMoney,
      }),
    )
    .optional(),
  fulfillmentAvailability: z.array(z.object({ fulfillmentChannelCode: z.string(), quantity: integer.min(0).optional() })).optional(),
});

/** listingsItems_2021-08-01 ListingsItemSubmissionResponse. */
export const listingsSubmission = z.object({
  sku: z.string(),
  status: z.enum(['ACCEPTED', 'INVALID', 'VALID']),
  submissionId: z.string(),
  issues: z.array(issue).optional(),
});

// ---------------------------------------------------------------- Feeds / Reports 2021-06-30

export const processingStatus = z.enum(['CANCELLED', 'DONE', 'FATAL', 'IN_PROGRESS', 'IN_QUEUE']);

/** feeds_2021-06-30 CreateFeedDocumentResponse. */
export const createFeedDocumentResponse = z.object({ feedDocumentId: z.string(), url: z.string() });
/** feeds_2021-06-30 CreateFeedResponse. */
export const createFeedResponse = z.object({ feedId: z.string() });
/** feeds_2021-06-30 Feed. */
export const feed = z.object({
  feedId: z.string(),
  feedType: z.string(),
  marketplaceIds: z.array(z.string()).optional(),
  createdTime: dateTime,
  processingStatus,
  processingStartTime: dateTime.optional(),
  processingEndTime: dateTime.optional(),
  resultFeedDocumentId: z.string().optional(),
});
/** feeds_2021-06-30 FeedDocument. */
export const feedDocument = z.object({ feedDocumentId: z.string(), url: z.string(), compressionAlgorithm: z.enum(['GZIP']).optional() });

/** reports_2021-06-30 CreateReportResponse. */
export const createReportResponse = z.object({ reportId: z.string() });
/** reports_2021-06-30 Report. */
export const report = z.object({
  marketplaceIds: z.array(z.string()).optional(),
  reportId: z.string(),
  reportType: z.string(),
  dataStartTime: dateTime.optional(),
  dataEndTime: dateTime.optional(),
  createdTime: dateTime,
  processingStatus,
  processingStartTime: dateTime.optional(),
  processingEndTime: dateTime.optional(),
  reportDocumentId: z.string().optional(),
});
/** reports_2021-06-30 ReportDocument. */
export const reportDocument = z.object({ reportDocumentId: z.string(), url: z.string(), compressionAlgorithm: z.enum(['GZIP']).optional() });

// ---------------------------------------------------------------- Tokens, Sellers, LWA

/**
 * tokens_2021-03-01 CreateRestrictedDataTokenResponse. The model marks nothing required, but a
 * 200 without a token is useless to the caller, so both fields are required here.
 */
export const restrictedDataTokenResponse = z.object({ restrictedDataToken: z.string(), expiresIn: integer });

/** sellers GetMarketplaceParticipationsResponse (payload required for the same reason). */
export const marketplaceParticipationsResponse = z.object({
  payload: z.array(
    z.object({
      marketplace: z.object({
        id: z.string(),
        name: z.string(),
        countryCode: z.string().regex(/^([A-Z]{2})$/),
        defaultCurrencyCode: z.string(),
        defaultLanguageCode: z.string(),
        domainName: z.string(),
      }),
      participation: z.object({ isParticipating: z.boolean(), hasSuspendedListings: z.boolean() }),
      storeName: z.string(),
    }),
  ),
});

/** LWA token response to grant_type=authorization_code (sp-api.md §4; not an SP-API model). */
export const lwaCodeExchangeResponse = z.object({
  access_token: z.string(),
  refresh_token: z.string().min(1),
  token_type: z.string(),
  expires_in: integer,
});

/** The SP-API error envelope (every model's ErrorList / Error). */
export const errorList = z.object({
  errors: z.array(z.object({ code: z.string(), message: z.string().optional(), details: z.string().optional() })),
});

// ---------------------------------------------------------------- parsing

/** Where a bad response came from, for the BadResponse error. */
export interface ResponseContext {
  operation: SpApiOperation;
  scope: Scope;
  connectionId: string;
  httpStatus?: number;
}

/**
 * Validates a response body; a mismatch throws SpApiError('BadResponse') naming the paths and
 * what was expected there, never the values (they can be buyer PII).
 */
export function parseResponse<S extends z.ZodType>(schema: S, body: unknown, ctx: ResponseContext): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 5).map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join('.') : '(body)';
    const expected = 'expected' in issue && typeof issue.expected === 'string' ? ` (expected ${issue.expected})` : '';
    return `${where}: ${issue.code}${expected}`;
  });
  const more = result.error.issues.length > 5 ? `; and ${result.error.issues.length - 5} more` : '';
  const first = result.error.issues[0];
  throw new SpApiError('BadResponse', `${ctx.operation} returned a response that does not match Amazon's model: ${problems.join('; ')}${more}`, {
    operation: ctx.operation,
    scope: ctx.scope,
    connectionId: ctx.connectionId,
    ...(ctx.httpStatus !== undefined ? { httpStatus: ctx.httpStatus } : {}),
    ...(first && first.path.length > 0 ? { field: first.path.join('.') } : {}),
  });
}
