import type { ModelOperation } from './model-validator';

/** Default rate (requests/second) and burst of one operation, as printed in its model description. */
export interface UsagePlan {
  rate: number;
  burst: number;
}

// Matches "**Usage Plan:**" (or "Usage Plan:") followed by the markdown table's first data row.
const USAGE_PLAN_TABLE = /Usage Plan:?\**\s*\n\s*\|[^\n]*Rate[^\n]*\|\s*\n\s*\|[-\s|]+\|\s*\n\s*\|\s*([0-9]*\.?[0-9]+)\s*\|\s*([0-9]+)\s*\|/;

/** Parses the usage-plan table out of an operation description; throws if it is not there. */
export function parseUsagePlan(op: ModelOperation): UsagePlan {
  const description = typeof op.definition.description === 'string' ? op.definition.description : '';
  const match = USAGE_PLAN_TABLE.exec(description);
  if (!match || match[1] === undefined || match[2] === undefined) {
    throw new Error(`No usage plan table found in the description of ${op.model}#${op.operationId}`);
  }
  const rate = Number(match[1]);
  const burst = Number(match[2]);
  if (!(rate > 0) || !(burst > 0)) throw new Error(`Nonsensical usage plan ${rate}/${burst} for ${op.model}#${op.operationId}`);
  return { rate, burst };
}

/** A token bucket measured in simulated time: rate × timeScale per real second falls out for free. */
export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(private readonly plan: UsagePlan, nowMs: number) {
    this.tokens = plan.burst;
    this.lastMs = nowMs;
  }

  tryTake(nowMs: number): boolean {
    const elapsed = Math.max(0, nowMs - this.lastMs) / 1000;
    this.tokens = Math.min(this.plan.burst, this.tokens + elapsed * this.plan.rate);
    this.lastMs = Math.max(this.lastMs, nowMs);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}
