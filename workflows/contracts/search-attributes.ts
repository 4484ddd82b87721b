/**
 * Conduit's custom search attributes, defined once. The provisioning code registers exactly
 * these on the server; workflows set them; operators filter by them in the Web UI
 * (e.g. `NeedsAttention = true`). None of them ever carries buyer PII.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const ConnectionKey = defineSearchAttributeKey('ConduitConnection', SearchAttributeType.KEYWORD);
export const AmazonOrderIdKey = defineSearchAttributeKey('AmazonOrderId', SearchAttributeType.KEYWORD);
export const SkusKey = defineSearchAttributeKey('ConduitSkus', SearchAttributeType.KEYWORD_LIST);
export const FulfilledByKey = defineSearchAttributeKey('FulfilledBy', SearchAttributeType.KEYWORD);
export const OrderStateKey = defineSearchAttributeKey('OrderState', SearchAttributeType.KEYWORD);
export const NeedsAttentionKey = defineSearchAttributeKey('NeedsAttention', SearchAttributeType.BOOL);
export const BlockedScopesKey = defineSearchAttributeKey('BlockedScopes', SearchAttributeType.KEYWORD_LIST);

/** Every custom attribute with its type, for registration on a server. */
export const conduitSearchAttributes = [
  ConnectionKey,
  AmazonOrderIdKey,
  SkusKey,
  FulfilledByKey,
  OrderStateKey,
  NeedsAttentionKey,
  BlockedScopesKey,
] as const;
