import { SimClock, SECOND, MINUTE, HOUR } from './clock';
import { EventQueue, type SimEvent } from './event-queue';
import { Prng } from './prng';
import { SpApiModels } from './model-validator';
import { createEmptyState, type SimState } from './state';

/** Options of `startSimulator`. Durations are simulated seconds unless named otherwise. */
export interface SimulatorOptions {
  /** TCP port on 127.0.0.1 (0 = random free port). Default 0. */
  port?: number;
  /** N means simulated time runs N× faster than real time. Default 1. */
  timeScale?: number;
  /** Seed of every random choice (ids, random orders, fault dice, processing times). Default 1. */
  seed?: number;
  /** Where ORDER_CHANGE notifications are POSTed as JSON (can be changed through the control API). */
  notificationDestinationUrl?: string;
  /** LWA access token lifetime. Default 3600. */
  accessTokenTtlSeconds?: number;
  /** Lifetime of a consent code (spapi_oauth_code), simulated. Default 300 (Amazon: about 5 minutes). */
  consentCodeTtlSeconds?: number;
  /** How far getInventorySummaries lags behind real FBA stock movements. Default 5 h. */
  fbaLagSeconds?: number;
  /** The feed/inventory collision: a feed hit by a concurrent quantity change finishes this long after it was created. Default 30–90 min. */
  feedProcessingSeconds?: { min: number; max: number };
  /** false lifts every usage plan (engine-cost benchmarks). Default true. */
  rateLimits?: boolean;

  /** Simulated start instant (ISO string or epoch ms). Default: the real time at start. */
  startTime?: string | number;
  /** Ordinary feed time IN_QUEUE. Default 30–120 s. */
  feedQueueSeconds?: { min: number; max: number };
  /** Ordinary feed time IN_PROGRESS. Default 60–240 s. */
  feedRunSeconds?: { min: number; max: number };
  /** Report IN_QUEUE → DONE. Default 60–300 s. */
  reportProcessingSeconds?: { min: number; max: number };
  /** New orders stay PENDING this long before UNSHIPPED. Default 120. */
  pendingSeconds?: number;
  /** FBA orders are shipped by Amazon this long after becoming UNSHIPPED. Default 2 h. */
  fbaShipSeconds?: number;
  /** Accepted listing submissions become visible after this. Default 5. */
  listingApplySeconds?: number;
  /** Default delay of orders of sellers marked as legacy MWS. Default 3 h. */
  mwsDelaySeconds?: number;
  /** Extra delivery attempts after a failed notification POST. Default 3. */
  notificationRetries?: number;
  /** Real milliseconds before the first notification retry (doubles each time). Default 100. */
  notificationRetryBaseMs?: number;
  /** Only deliver ORDER_CHANGE to sellers with a subscription. Default false (deliver to the default URL regardless). */
  notificationsRequireSubscription?: boolean;
  /** Keep the last 5000 request/response pairs in `state.exchanges` (tests validate them against the models). Default false. */
  recordExchanges?: boolean;
  /** Directory holding Amazon's `models/` and `schemas/`. Default: SP_API_MODELS_DIR or <repo>/../shared/sp-api-models. */
  modelsDir?: string;
}

export interface Range {
  min: number;
  max: number;
}

export interface ResolvedOptions {
  port: number;
  timeScale: number;
  seed: number;
  notificationDestinationUrl?: string;
  accessTokenTtlMs: number;
  consentCodeTtlMs: number;
  fbaLagMs: number;
  feedCollisionMs: Range;
  feedQueueMs: Range;
  feedRunMs: Range;
  reportProcessingMs: Range;
  rateLimits: boolean;
  startMs: number;
  pendingMs: number;
  fbaShipMs: number;
  listingApplyMs: number;
  mwsDelayMs: number;
  notificationRetries: number;
  notificationRetryBaseMs: number;
  notificationsRequireSubscription: boolean;
  recordExchanges: boolean;
  modelsDir?: string;
}

function range(value: Range | undefined, fallback: Range, name: string): Range {
  const r = value ?? fallback;
  if (!(r.min >= 0) || !(r.max >= r.min)) throw new Error(`${name}: needs 0 <= min <= max, got ${JSON.stringify(r)}`);
  return { min: r.min * SECOND, max: r.max * SECOND };
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback;
  if (!(typeof v === 'number' && v >= 0 && Number.isFinite(v))) throw new Error(`${name}: must be a number >= 0, got ${String(value)}`);
  return v;
}

export function resolveOptions(opts: SimulatorOptions = {}): ResolvedOptions {
  const timeScale = opts.timeScale ?? 1;
  if (!(timeScale > 0 && Number.isFinite(timeScale))) throw new Error(`timeScale: must be a number > 0, got ${String(opts.timeScale)}`);
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`port: must be an integer 0–65535, got ${String(opts.port)}`);
  let startMs = Date.now();
  if (opts.startTime !== undefined) {
    startMs = typeof opts.startTime === 'number' ? opts.startTime : Date.parse(opts.startTime);
    if (Number.isNaN(startMs)) throw new Error(`startTime: not a date: ${String(opts.startTime)}`);
  }
  const ttl = nonNegative(opts.accessTokenTtlSeconds, 3600, 'accessTokenTtlSeconds');
  if (ttl === 0) throw new Error('accessTokenTtlSeconds: must be > 0');
  const codeTtl = nonNegative(opts.consentCodeTtlSeconds, 300, 'consentCodeTtlSeconds');
  if (codeTtl === 0) throw new Error('consentCodeTtlSeconds: must be > 0');
  return {
    port,
    timeScale,
    seed: Math.trunc(opts.seed ?? 1),
    notificationDestinationUrl: opts.notificationDestinationUrl,
    accessTokenTtlMs: ttl * SECOND,
    consentCodeTtlMs: codeTtl * SECOND,
    fbaLagMs: nonNegative(opts.fbaLagSeconds, 5 * 3600, 'fbaLagSeconds') * SECOND,
    feedCollisionMs: range(opts.feedProcessingSeconds, { min: 30 * 60, max: 90 * 60 }, 'feedProcessingSeconds'),
    feedQueueMs: range(opts.feedQueueSeconds, { min: 30, max: 120 }, 'feedQueueSeconds'),
    feedRunMs: range(opts.feedRunSeconds, { min: 60, max: 240 }, 'feedRunSeconds'),
    reportProcessingMs: range(opts.reportProcessingSeconds, { min: 60, max: 300 }, 'reportProcessingSeconds'),
    rateLimits: opts.rateLimits ?? true,
    startMs,
    pendingMs: nonNegative(opts.pendingSeconds, 120, 'pendingSeconds') * SECOND,
    fbaShipMs: nonNegative(opts.fbaShipSeconds, 2 * 3600, 'fbaShipSeconds') * SECOND,
    listingApplyMs: nonNegative(opts.listingApplySeconds, 5, 'listingApplySeconds') * SECOND,
    mwsDelayMs: nonNegative(opts.mwsDelaySeconds, 3 * 3600, 'mwsDelaySeconds') * SECOND,
    notificationRetries: Math.trunc(nonNegative(opts.notificationRetries, 3, 'notificationRetries')),
    notificationRetryBaseMs: nonNegative(opts.notificationRetryBaseMs, 100, 'notificationRetryBaseMs'),
    notificationsRequireSubscription: opts.notificationsRequireSubscription ?? false,
    recordExchanges: opts.recordExchanges ?? false,
    modelsDir: opts.modelsDir,
  };
}

type Stream = 'ids' | 'orders' | 'faults' | 'timing' | 'requests' | 'tokens';

/** Clock, event queue, seeded randomness, models and the state they act on. */
export class SimCore {
  readonly clock: SimClock;
  readonly queue = new EventQueue();
  readonly models: SpApiModels;
  state: SimState = createEmptyState();
  private streams!: Record<Stream, Prng>;
  private eventTime: number | undefined;
  private processing = false;
  private counter = 0;

  constructor(readonly options: ResolvedOptions) {
    this.clock = new SimClock(options.startMs, options.timeScale);
    this.models = SpApiModels.load(options.modelsDir);
    this.reseed();
    this.state.notificationUrl = options.notificationDestinationUrl;
  }

  reseed(): void {
    const s = this.options.seed;
    this.streams = {
      ids: Prng.derive(s, 'ids'),
      orders: Prng.derive(s, 'orders'),
      faults: Prng.derive(s, 'faults'),
      timing: Prng.derive(s, 'timing'),
      requests: Prng.derive(s, 'requests'),
      tokens: Prng.derive(s, 'tokens'),
    };
    this.counter = 0;
  }

  rng(stream: Stream): Prng {
    return this.streams[stream];
  }

  /** Simulated now; inside an event handler, the event's own instant. */
  now(): number {
    return this.eventTime ?? this.clock.now();
  }

  schedule(at: number, label: string, run: (at: number) => void): SimEvent {
    return this.queue.schedule(at, label, run);
  }

  after(delayMs: number, label: string, run: (at: number) => void): SimEvent {
    return this.schedule(this.now() + delayMs, label, run);
  }

  /** Runs every event due at the current simulated time, in time order. */
  processDue(): void {
    if (this.processing) return;
    this.processing = true;
    try {
      const now = this.clock.now();
      for (let event = this.queue.popDue(now); event; event = this.queue.popDue(now)) {
        if (event.cancelled) continue;
        this.eventTime = event.at;
        try {
          event.run(event.at);
        } catch (err) {
          console.error(`[simulator] event ${event.label} failed:`, err);
        } finally {
          this.eventTime = undefined;
        }
      }
    } finally {
      this.processing = false;
    }
  }

  /** A monotonically increasing number, handy for unique ids. */
  nextSerial(): number {
    return ++this.counter;
  }

  randomIn(r: Range): number {
    return Math.round(this.rng('timing').between(r.min, r.max));
  }

  reset(): void {
    this.queue.clear();
    this.state = createEmptyState();
    this.state.notificationUrl = this.options.notificationDestinationUrl;
    this.reseed();
  }
}

export { SECOND, MINUTE, HOUR };
