import { z } from 'zod';
import type { AmazonSimulator } from './simulator';
import { ALL_ROLES } from './roles';
import { MARKETPLACES, REGIONS } from './marketplaces';
import { iso } from './clock';
import type { FaultKind, Seller } from './state';

/**
 * The control API under /_sim/ (direct 127.0.0.1 requests only): seeds the simulated Amazon,
 * pokes it (orders, returns, faults, clock) and reads back what Amazon would show a seller.
 * Every bad input answers 400 {error: "<field>: <what is wrong and how to fix>"}.
 */

export interface ControlResult {
  status: number;
  body: unknown;
}

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const badRequest = (message: string) => new ControlError(400, message);
const missing = (message: string) => new ControlError(404, message);

// Seller Central shows restricted roles with a "(Restricted)" suffix; accept both spellings.
const roleName = z
  .string()
  .transform((r) => r.replace(/ \(Restricted\)$/, ''))
  .pipe(z.enum(ALL_ROLES as unknown as [string, ...string[]], { message: `must be one of the SP-API role names: ${ALL_ROLES.join(', ')}` }));
const region = z.enum(REGIONS as unknown as [string, ...string[]], { message: 'must be eu, na or fe' });
const marketplaceId = z.string().refine((id) => MARKETPLACES.some((m) => m.id === id), { message: 'is not a known Amazon marketplace id (e.g. A1F83G8C2ARO7P for the UK)' });
const nonEmpty = z.string().min(1, { message: 'must not be empty' });
const count = z.number().int({ message: 'must be a whole number' }).min(0, { message: 'must be >= 0' });

const catalogueItem = z.strictObject({
  sku: nonEmpty,
  asin: z.string().regex(/^[A-Z0-9]{10}$/, { message: 'must be a 10-character ASIN like B0ABCDEF12' }).optional(),
  title: nonEmpty,
  productType: z.string().regex(/^[A-Z][A-Z0-9_]*$/, { message: 'must be an Amazon product type in capitals, e.g. HOME or LUGGAGE' }),
  price: z.number().positive({ message: 'must be a price > 0' }),
  currencyCode: z.string().regex(/^[A-Z]{3}$/, { message: 'must be an ISO 4217 code like GBP' }).optional(),
  description: z.string().optional(),
  fbmQuantity: count.optional(),
  fbaQuantity: count.optional(),
  fulfilment: z.enum(['FBM', 'FBA', 'HYBRID'], { message: 'must be FBM, FBA or HYBRID' }),
});

const schemas = {
  app: z.strictObject({ clientId: nonEmpty.optional(), clientSecret: nonEmpty.optional(), applicationId: nonEmpty.optional(), name: nonEmpty.optional() }),
  seller: z.strictObject({
    sellerId: z.string().regex(/^[A-Z0-9]{5,20}$/, { message: 'must be 5–20 capital letters/digits, like A2EXAMPLESELLER' }),
    region,
    marketplaceIds: z.array(marketplaceId).min(1, { message: 'needs at least one marketplace id' }),
    storeName: nonEmpty.optional(),
    clientId: nonEmpty.optional(),
    roles: z.array(roleName).optional(),
    refreshToken: nonEmpty.optional(),
    catalogue: z.array(catalogueItem).optional(),
    mws: z.boolean().optional(),
    mwsDelaySeconds: z.number().min(0, { message: 'must be >= 0' }).optional(),
  }),
  listings: z.strictObject({ items: z.array(catalogueItem).min(1, { message: 'needs at least one item' }) }),
  authorisation: z.strictObject({ clientId: nonEmpty, roles: z.array(roleName), refreshToken: nonEmpty.optional() }),
  roles: z.strictObject({ roles: z.array(roleName).min(1, { message: 'needs at least one role' }), clientId: nonEmpty.optional() }),
  revoke: z.strictObject({ clientId: nonEmpty.optional(), refreshToken: nonEmpty.optional() }),
  mws: z.strictObject({ enabled: z.boolean({ message: 'must be true or false' }), delaySeconds: z.number().min(0, { message: 'must be >= 0' }).optional() }),
  consent: z.strictObject({ clientId: nonEmpty, sellerId: nonEmpty, roles: z.array(roleName).min(1, { message: 'needs at least one role' }) }),
  orders: z
    .strictObject({
      sellerId: nonEmpty,
      orders: z
        .array(
          z.strictObject({
            marketplaceId: marketplaceId.optional(),
            fulfilledBy: z.enum(['AMAZON', 'MERCHANT'], { message: 'must be AMAZON or MERCHANT' }).optional(),
            items: z
              .array(z.strictObject({ sku: nonEmpty, quantity: z.number().int({ message: 'must be a whole number' }).min(1, { message: 'must be >= 1' }), unitPrice: z.number().positive({ message: 'must be > 0' }).optional() }))
              .min(1, { message: 'needs at least one line' }),
            sellerOrderId: nonEmpty.optional(),
            pendingSeconds: z.number().min(0, { message: 'must be >= 0' }).optional(),
            buyerName: nonEmpty.optional(),
            buyerEmail: nonEmpty.optional(),
            serviceLevel: z.enum(['EXPEDITED', 'FREE_ECONOMY', 'NEXT_DAY', 'PRIORITY', 'SAME_DAY', 'SECOND_DAY', 'SCHEDULED', 'STANDARD']).optional(),
          }),
        )
        .optional(),
      random: z
        .strictObject({
          count: z.number().int({ message: 'must be a whole number' }).min(1, { message: 'must be >= 1' }).max(10000, { message: 'must be <= 10000' }),
          fbaShare: z.number().min(0, { message: 'must be between 0 and 1' }).max(1, { message: 'must be between 0 and 1' }).optional(),
          maxLines: z.number().int().min(1, { message: 'must be between 1 and 10' }).max(10, { message: 'must be between 1 and 10' }).optional(),
        })
        .optional(),
    })
    .refine((b) => (b.orders === undefined) !== (b.random === undefined), { message: 'give exactly one of "orders" (explicit) or "random" ({count})', path: ['orders'] }),
  cancel: z.strictObject({ reason: nonEmpty.optional(), requestOnly: z.boolean().optional() }),
  generator: z.strictObject({
    sellerId: nonEmpty,
    ordersPerHour: z.number().positive({ message: 'must be > 0 (simulated orders per simulated hour)' }),
    fbaShare: z.number().min(0, { message: 'must be between 0 and 1' }).max(1, { message: 'must be between 0 and 1' }).optional(),
    maxLines: z.number().int().min(1, { message: 'must be between 1 and 10' }).max(10, { message: 'must be between 1 and 10' }).optional(),
  }),
  generatorStop: z.strictObject({ sellerId: nonEmpty }),
  returns: z.strictObject({
    sellerId: nonEmpty,
    channel: z.enum(['FBM', 'FBA'], { message: 'must be FBM or FBA' }),
    sku: nonEmpty,
    quantity: z.number().int({ message: 'must be a whole number' }).min(1, { message: 'must be >= 1' }),
    orderId: nonEmpty.optional(),
    reason: nonEmpty.optional(),
    disposition: nonEmpty.optional(),
    marketplaceId: marketplaceId.optional(),
  }),
  fbaStock: z
    .strictObject({ sellerId: nonEmpty, sku: nonEmpty, delta: z.number().int({ message: 'must be a whole number' }).optional(), set: count.optional(), reason: nonEmpty.optional() })
    .refine((b) => (b.delta === undefined) !== (b.set === undefined), { message: 'give exactly one of "delta" (relative) or "set" (absolute)', path: ['delta'] }),
  faults: z.strictObject({
    rules: z.array(
      z.strictObject({
        operation: nonEmpty,
        kind: z.enum(['internalFailure', 'serviceUnavailable', 'slow', 'dropConnection', 'malformedJson'], {
          message: 'must be internalFailure (500), serviceUnavailable (503), slow, dropConnection or malformedJson',
        }),
        probability: z.number().min(0, { message: 'must be between 0 and 1' }).max(1, { message: 'must be between 0 and 1' }).optional(),
        count: z.number().int().min(1, { message: 'must be >= 1 (omit for unlimited)' }).optional(),
        delayMs: z.number().int().min(0, { message: 'must be >= 0' }).max(120000, { message: 'must be <= 120000' }).optional(),
        afterHandler: z.boolean().optional(),
        sellerId: nonEmpty.optional(),
      }),
    ),
  }),
  stuck: z.strictObject({
    stuck: z.union([z.enum(['IN_QUEUE', 'IN_PROGRESS']), z.literal(false), z.null()], { message: 'must be "IN_QUEUE", "IN_PROGRESS", false or null' }),
    sellerId: nonEmpty.optional(),
  }),
  destination: z.strictObject({
    url: z.union([z.url({ message: 'must be an http(s) URL' }), z.null()], { message: 'must be an http(s) URL or null' }),
    destinationId: nonEmpty.optional(),
  }),
  clock: z
    .strictObject({
      timeScale: z.number().positive({ message: 'must be > 0' }).max(1_000_000, { message: 'must be <= 1000000' }).optional(),
      advanceSeconds: z.number().min(0, { message: 'must be >= 0 (simulated time never runs backwards)' }).optional(),
    })
    .refine((b) => b.timeScale !== undefined || b.advanceSeconds !== undefined, { message: 'give timeScale and/or advanceSeconds', path: ['timeScale'] }),
  empty: z.union([z.strictObject({}), z.undefined()]),
};

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw badRequest('body: invalid');
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length > 0 ? `${issue.path.join('.')}.` : '';
    throw badRequest(`${where}${issue.keys.join(', ')}: unknown field; remove it (check the spelling against docs/simulator.md)`);
  }
  const field = issue.path.length > 0 ? issue.path.join('.') : 'body';
  let message = issue.message;
  if (issue.code === 'invalid_type' && issue.input === undefined) message = 'is required';
  throw badRequest(`${field}: ${message}`);
}

/** Service methods throw `Error("field: …")` for bad references; they become 400s. */
function attempt<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ControlError) throw err;
    throw badRequest(err instanceof Error ? err.message : String(err));
  }
}

export function handleControl(sim: AmazonSimulator, method: string, url: URL, body: unknown): ControlResult {
  try {
    return { status: 200, body: route(sim, method, url, body) };
  } catch (err) {
    if (err instanceof ControlError) return { status: err.status, body: { error: err.message } };
    return { status: 500, body: { error: `internal: ${err instanceof Error ? err.message : String(err)}` } };
  }
}

function sellerOf(sim: AmazonSimulator, sellerId: string | null | undefined, field = 'sellerId'): Seller {
  if (!sellerId) throw badRequest(`${field}: is required`);
  const seller = sim.state.sellers.get(sellerId);
  if (!seller) throw missing(`${field}: no seller ${sellerId}; create it with POST /_sim/sellers`);
  return seller;
}

function sellerReadBack(sim: AmazonSimulator, seller: Seller): Record<string, unknown> {
  return {
    ...seller,
    createdAt: iso(seller.createdAt),
    authorisations: [...sim.state.authorisations.values()]
      .filter((a) => a.sellerId === seller.sellerId)
      .map((a) => ({ id: a.id, clientId: a.clientId, refreshToken: a.refreshToken, region: a.region, roles: a.roles, revoked: a.revoked, createdAt: iso(a.createdAt) })),
    listings: sim.listings.listFor(seller.sellerId).length,
    generator: sim.state.generators.get(seller.sellerId) ? { ordersPerHour: sim.state.generators.get(seller.sellerId)?.ordersPerHour } : null,
  };
}

function route(sim: AmazonSimulator, method: string, url: URL, body: unknown): unknown {
  const parts = url.pathname.replace(/^\/_sim\/?/, '').split('/').filter((p) => p !== '').map((p) => decodeURIComponent(p));
  const [a, b, c, d] = parts;
  const q = url.searchParams;
  const key = `${method} ${a ?? ''}`;

  switch (key) {
    case 'GET health':
      return { ok: true };
    case 'GET clock':
      return sim.clockInfo();
    case 'POST clock': {
      const input = parse(schemas.clock, body);
      if (input.advanceSeconds !== undefined) sim.core.clock.advance(input.advanceSeconds * 1000);
      if (input.timeScale !== undefined) sim.core.clock.setTimeScale(input.timeScale);
      sim.core.processDue();
      return sim.clockInfo();
    }
    case 'POST reset':
      parse(schemas.empty, body);
      sim.reset();
      return { reset: true };
    case 'GET usage-plans':
      return Object.fromEntries(
        [...sim.plans].map(([k, p]) => [k, { rate: p.rate, burst: p.burst, scaledRate: p.rate * sim.core.clock.timeScale, enforced: sim.core.options.rateLimits }]),
      );
    case 'POST apps': {
      const input = parse(schemas.app, body ?? {});
      if (input.clientId && sim.state.apps.has(input.clientId)) throw badRequest(`clientId: app ${input.clientId} is already registered`);
      return sim.auth.registerApp(input);
    }
    case 'GET apps':
      return { apps: [...sim.state.apps.values()] };
    case 'POST sellers': {
      if (b === undefined) {
        const input = parse(schemas.seller, body);
        const { seller, authorisation } = attempt(() => sim.seedSeller({ ...input, region: input.region as Seller['region'] }));
        return { ...sellerReadBack(sim, seller), refreshToken: authorisation?.refreshToken, clientId: authorisation?.clientId };
      }
      const seller = sellerOf(sim, b);
      switch (c) {
        case 'listings': {
          const input = parse(schemas.listings, body);
          attempt(() => input.items.forEach((item) => sim.addListing(seller, item)));
          return { added: input.items.length };
        }
        case 'authorisations': {
          const input = parse(schemas.authorisation, body);
          if (!sim.state.apps.has(input.clientId)) throw badRequest(`clientId: no app ${input.clientId} is registered`);
          const auth = attempt(() => sim.auth.authorise(seller, input.clientId, input.roles, input.refreshToken));
          return { authorisationId: auth.id, refreshToken: auth.refreshToken, roles: auth.roles };
        }
        case 'roles': {
          if (d !== 'grant' && d !== 'revoke') throw missing(`path: use /_sim/sellers/${seller.sellerId}/roles/grant or /roles/revoke`);
          const input = parse(schemas.roles, body);
          const auths = sim.auth.authorisationsOf(seller.sellerId, input.clientId);
          if (auths.length === 0) throw badRequest(`clientId: seller ${seller.sellerId} has no active authorisation${input.clientId ? ` for app ${input.clientId}` : ''}`);
          for (const auth of auths) {
            auth.roles = d === 'grant' ? [...new Set([...auth.roles, ...input.roles])] : auth.roles.filter((r) => !input.roles.includes(r));
          }
          return { authorisations: auths.map((x) => ({ id: x.id, clientId: x.clientId, roles: x.roles })) };
        }
        case 'revoke-authorisation': {
          const input = parse(schemas.revoke, body ?? {});
          const auths = sim.auth
            .authorisationsOf(seller.sellerId, input.clientId)
            .filter((x) => input.refreshToken === undefined || x.refreshToken === input.refreshToken);
          if (auths.length === 0) throw badRequest(`refreshToken: seller ${seller.sellerId} has no matching active authorisation`);
          for (const auth of auths) auth.revoked = true;
          return { revoked: auths.length };
        }
        case 'mws': {
          const input = parse(schemas.mws, body);
          const wasEnabled = seller.mws.enabled;
          seller.mws = { enabled: input.enabled, delaySeconds: input.delaySeconds ?? seller.mws.delaySeconds };
          if (wasEnabled && !input.enabled) {
            // Reconnected through SP-API: orders stuck in the legacy pipe arrive now.
            const now = sim.core.now();
            for (const order of sim.state.orders.values()) {
              if (order.sellerId === seller.sellerId && order.visibleAt > now) order.visibleAt = now;
            }
          }
          return { sellerId: seller.sellerId, mws: seller.mws };
        }
        default:
          throw missing(`path: no control endpoint POST /_sim/sellers/${seller.sellerId}/${c ?? ''}`);
      }
    }
    case 'GET sellers': {
      if (b === undefined) return { sellers: [...sim.state.sellers.values()].map((s) => sellerReadBack(sim, s)) };
      return sellerReadBack(sim, sellerOf(sim, b));
    }
    case 'POST consent': {
      const input = parse(schemas.consent, body);
      if (!sim.state.apps.has(input.clientId)) throw badRequest(`clientId: no app ${input.clientId} is registered`);
      const seller = sellerOf(sim, input.sellerId);
      const { code, expiresAt } = sim.auth.issueConsentCode(input.clientId, seller.sellerId, input.roles);
      return { spapi_oauth_code: code, selling_partner_id: seller.sellerId, state: null, expiresAt: iso(expiresAt) };
    }
    case 'POST orders': {
      if (b !== undefined) {
        if (c !== 'cancel') throw missing(`path: no control endpoint POST /_sim/orders/${b}/${c ?? ''}`);
        const order = sim.orders.get(b);
        if (!order) throw missing(`orderId: no order ${b}`);
        const input = parse(schemas.cancel, body ?? {});
        attempt(() => sim.orders.cancel(order, input.reason ?? 'Buyer cancelled', input.requestOnly ?? false));
        return sim.orders.readBack(order);
      }
      const input = parse(schemas.orders, body);
      const seller = sellerOf(sim, input.sellerId);
      if (input.orders) {
        const created = attempt(() => input.orders?.map((o, i) => {
          try {
            return sim.orders.create(seller, o, 'control');
          } catch (err) {
            throw new Error(`orders[${i}].${err instanceof Error ? err.message : String(err)}`);
          }
        }) ?? []);
        return { orders: created.map((o) => sim.orders.readBack(o)) };
      }
      const random = input.random as NonNullable<typeof input.random>;
      const created = [];
      for (let i = 0; i < random.count; i++) {
        const order = sim.orders.randomOrder(seller, random, 'random');
        if (!order) break;
        created.push(order);
      }
      if (created.length === 0) throw badRequest(`random: seller ${seller.sellerId} has no SKU with stock to order (fbmQuantity or fbaQuantity > 0)`);
      return { orders: created.map((o) => sim.orders.readBack(o)), requested: random.count, created: created.length };
    }
    case 'GET orders': {
      if (b !== undefined) {
        const order = sim.orders.get(b);
        if (!order) throw missing(`orderId: no order ${b}`);
        return sim.orders.readBack(order);
      }
      const sellerId = q.get('sellerId');
      const status = q.get('status');
      return {
        orders: [...sim.state.orders.values()]
          .filter((o) => (!sellerId || o.sellerId === sellerId) && (!status || o.status === status))
          .map((o) => sim.orders.readBack(o)),
      };
    }
    case 'POST order-generator': {
      if (b === 'stop') {
        const input = parse(schemas.generatorStop, body);
        const stopped = sim.stopGenerator(input.sellerId);
        return { stopped: Boolean(stopped), created: stopped?.created ?? 0 };
      }
      const input = parse(schemas.generator, body);
      const seller = sellerOf(sim, input.sellerId);
      const g = sim.startGenerator(seller, input);
      return { sellerId: g.sellerId, ordersPerHour: g.ordersPerHour, fbaShare: g.fbaShare, maxLines: g.maxLines };
    }
    case 'GET order-generator':
      return { generators: [...sim.state.generators.values()].map((g) => ({ sellerId: g.sellerId, ordersPerHour: g.ordersPerHour, fbaShare: g.fbaShare, maxLines: g.maxLines, created: g.created })) };
    case 'POST returns': {
      const input = parse(schemas.returns, body);
      const seller = sellerOf(sim, input.sellerId);
      const ret = attempt(() => sim.reports.createReturn(seller, input));
      return { ...ret, returnDate: iso(ret.returnDate), orderDate: ret.orderDate !== undefined ? iso(ret.orderDate) : undefined };
    }
    case 'GET returns': {
      const sellerId = q.get('sellerId');
      return { returns: sim.state.returns.filter((r) => !sellerId || r.sellerId === sellerId).map((r) => ({ ...r, returnDate: iso(r.returnDate) })) };
    }
    case 'POST fba-stock': {
      const input = parse(schemas.fbaStock, body);
      const seller = sellerOf(sim, input.sellerId);
      const listing = sim.listings.get(seller.sellerId, input.sku);
      if (!listing) throw badRequest(`sku: seller ${seller.sellerId} has no listing ${JSON.stringify(input.sku)}`);
      if (listing.fulfilment === 'FBM') throw badRequest(`sku: ${input.sku} is merchant-fulfilled only; FBA stock needs an FBA or HYBRID SKU`);
      const current = sim.fba.realLevel(seller.sellerId, input.sku);
      const delta = input.delta ?? (input.set as number) - current;
      sim.fba.move(seller.sellerId, input.sku, delta, input.reason ?? (delta >= 0 ? 'inbound received' : 'removal'));
      return sim.fba.readBack(sim.fba.get(seller.sellerId, input.sku) as NonNullable<ReturnType<typeof sim.fba.get>>);
    }
    case 'GET fba-stock': {
      const seller = sellerOf(sim, b);
      if (c === undefined) return { stock: sim.fba.stocksOf(seller.sellerId).map((s) => sim.fba.readBack(s)) };
      const stock = sim.fba.get(seller.sellerId, c);
      if (!stock) throw missing(`sku: seller ${seller.sellerId} has no FBA stock for ${JSON.stringify(c)}`);
      return sim.fba.readBack(stock);
    }
    case 'GET listings': {
      const seller = sellerOf(sim, b);
      if (c === undefined) return { listings: sim.listings.listFor(seller.sellerId).map((l) => sim.listings.readBack(l)) };
      const listing = sim.listings.get(seller.sellerId, c);
      if (!listing) throw missing(`sku: seller ${seller.sellerId} has no listing ${JSON.stringify(c)} (SKUs are exact and case-sensitive)`);
      return sim.listings.readBack(listing);
    }
    case 'GET faults':
      return { rules: sim.state.faults };
    case 'PUT faults':
    case 'POST faults': {
      const input = parse(schemas.faults, body);
      const rules = sim.setFaults(
        input.rules.map((r) => ({
          operation: r.operation,
          kind: r.kind as FaultKind,
          probability: r.probability ?? 1,
          remaining: r.count ?? null,
          delayMs: r.delayMs ?? (r.kind === 'slow' ? 2000 : 0),
          afterHandler: r.afterHandler ?? false,
          sellerId: r.sellerId,
        })),
      );
      return { rules };
    }
    case 'DELETE faults':
      sim.setFaults([]);
      return { rules: [] };
    case 'POST tokens':
      if (b !== 'expire') throw missing('path: use POST /_sim/tokens/expire');
      return { expired: sim.auth.expireAllAccessTokens() };
    case 'POST feeds': {
      if (b !== 'stuck') throw missing('path: use POST /_sim/feeds/stuck');
      const input = parse(schemas.stuck, body);
      if (input.sellerId) sellerOf(sim, input.sellerId);
      sim.state.stuckFeeds = input.stuck ? { status: input.stuck, sellerId: input.sellerId } : null;
      if (!sim.state.stuckFeeds) sim.feeds.resume();
      return { stuck: sim.state.stuckFeeds };
    }
    case 'GET feeds': {
      if (b !== undefined) {
        const feed = sim.feeds.get(b);
        if (!feed) throw missing(`feedId: no feed ${b}`);
        return sim.feeds.readBack(feed);
      }
      const sellerId = q.get('sellerId');
      return { feeds: [...sim.state.feeds.values()].filter((f) => !sellerId || f.sellerId === sellerId).map((f) => sim.feeds.readBack(f)) };
    }
    case 'GET stats':
      return { operations: Object.fromEntries(sim.state.stats) };
    case 'GET notifications': {
      const orderId = q.get('orderId');
      const status = q.get('status');
      return {
        defaultUrl: sim.state.notificationUrl ?? null,
        deliveries: sim.state.notifications
          .filter((n) => (!orderId || n.orderId === orderId) && (!status || n.status === status))
          .map((n) => ({ ...n, eventTime: iso(n.eventTime) })),
      };
    }
    case 'POST notifications': {
      if (b !== 'destination') throw missing('path: use POST /_sim/notifications/destination');
      const input = parse(schemas.destination, body);
      if (input.destinationId) {
        const destination = sim.state.destinations.get(input.destinationId);
        if (!destination) throw missing(`destinationId: no destination ${input.destinationId}`);
        destination.deliveryUrl = input.url ?? undefined;
      } else {
        sim.state.notificationUrl = input.url ?? undefined;
      }
      return { defaultUrl: sim.state.notificationUrl ?? null, destinationId: input.destinationId ?? null, url: input.url };
    }
    default:
      throw missing(`path: no control endpoint ${method} ${url.pathname}; see docs/simulator.md for the list`);
  }
}
