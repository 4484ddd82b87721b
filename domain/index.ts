// Conduit's pure domain core: stock pools, routing, SKU matching, scope diagnosis, despatch and feed
// rules, returns and the pre-launch checklist. Safe to import from workflow code: no I/O, clock or randomness.

export * from './time';
export * from './scopes';
export * from './stock';
export * from './routing';
export * from './sku';
export * from './despatch';
export * from './schedule';
export * from './feeds';
export * from './checklist';
export * from './returns';
