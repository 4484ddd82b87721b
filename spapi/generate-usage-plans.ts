/**
 * Reads the "Usage Plan" table (rate per second, burst) that Amazon prints in every operation's
 * description in the official models, and writes spapi/usage-plans.json. The JSON is committed
 * because production has no `../shared`; test/spapi/usage-plans.test.ts regenerates it from the
 * models and fails if the two differ.
 *
 *   node --import tsx spapi/generate-usage-plans.ts [modelsDir]
 *
 * modelsDir defaults to ../shared/sp-api-models/models next to the checkout.
 */
import fs from 'node:fs';
import path from 'node:path';

/** One operation's default usage plan as printed in its model. */
export interface ModelUsagePlan {
  /** Model file, relative to the models directory (e.g. orders-api-model/ordersV0.json). */
  model: string;
  operationId: string;
  method: string;
  path: string;
  /** Requests per second restored to the bucket. */
  rate: number;
  /** Bucket size. */
  burst: number;
}

export interface GeneratedUsagePlans {
  source: string;
  /** Keyed `<model file basename>#<operationId>`, e.g. `orders_2026-01-01#getOrder`. */
  operations: Record<string, ModelUsagePlan>;
}

export const defaultModelsDir = path.resolve(__dirname, '..', '..', 'shared', 'sp-api-models', 'models');
export const usagePlansJsonPath = path.join(__dirname, 'usage-plans.json');

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);
// | Rate (requests per second) | Burst |
// | ---- | ---- |
// | 0.5 | 30 |
const USAGE_PLAN_TABLE = /\|\s*Rate \(requests per second\)\s*\|\s*Burst\s*\|\s*\r?\n\s*\|\s*-+\s*\|\s*-+\s*\|\s*\r?\n\s*\|\s*([0-9.]+)\s*\|\s*([0-9.]+)\s*\|/;

/** Parses the usage-plan table out of one operation description; undefined when there is none. */
export function parseUsagePlanTable(description: string): { rate: number; burst: number } | undefined {
  const match = USAGE_PLAN_TABLE.exec(description);
  if (!match) return undefined;
  const rate = Number(match[1]);
  const burst = Number(match[2]);
  if (!(rate > 0) || !(burst >= 1)) throw new Error(`Usage plan table with impossible numbers: rate ${match[1]}, burst ${match[2]}`);
  return { rate, burst };
}

interface SwaggerOperation {
  operationId?: string;
  description?: string;
}

/** Every operation with a usage plan in every model under modelsDir, in a stable order. */
export function extractUsagePlans(modelsDir: string = defaultModelsDir): GeneratedUsagePlans {
  const files = fs
    .readdirSync(modelsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      fs
        .readdirSync(path.join(modelsDir, d.name))
        .filter((f) => f.endsWith('.json'))
        .map((f) => `${d.name}/${f}`),
    )
    .sort();
  const operations: Record<string, ModelUsagePlan> = {};
  for (const file of files) {
    const model = JSON.parse(fs.readFileSync(path.join(modelsDir, file), 'utf8')) as { paths?: Record<string, Record<string, SwaggerOperation>> };
    const basename = path.basename(file, '.json');
    for (const [apiPath, methods] of Object.entries(model.paths ?? {})) {
      for (const [method, op] of Object.entries(methods)) {
        if (!HTTP_METHODS.has(method) || !op.operationId) continue;
        const plan = parseUsagePlanTable(op.description ?? '');
        if (!plan) continue; // sandbox-only operations carry no plan
        operations[`${basename}#${op.operationId}`] = { model: file, operationId: op.operationId, method: method.toUpperCase(), path: apiPath, ...plan };
      }
    }
  }
  return { source: 'amzn/selling-partner-api-models, "Usage Plan" table of each operation description', operations };
}

/** The JSON text exactly as committed (stable key order, trailing newline). */
export function renderUsagePlans(plans: GeneratedUsagePlans): string {
  return `${JSON.stringify(plans, null, 2)}\n`;
}

if (require.main === module) {
  const modelsDir = path.resolve(process.argv[2] ?? defaultModelsDir);
  const plans = extractUsagePlans(modelsDir);
  fs.writeFileSync(usagePlansJsonPath, renderUsagePlans(plans));
  console.log(`Wrote ${Object.keys(plans.operations).length} usage plans from ${modelsDir} to ${path.relative(process.cwd(), usagePlansJsonPath)}`);
}
