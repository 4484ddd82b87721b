/**
 * The time-skipping test server for workflow tests: one per test file, with the workflow bundle
 * built once. `serve` starts a worker for the whole file (workflows left idling by one test keep
 * being served while another skips time); tests that want a worker of their own create one from
 * `env` and `bundle`. `teardown` stops the file's workers, then the server.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { temporal as proto } from '@temporalio/proto';
import { findTestServer } from '../../scripts/lib/temporal-server';
import { conduitSearchAttributes } from '../../workflows/contracts/search-attributes';

export interface TimeSkipping {
  env: TestWorkflowEnvironment;
  bundle: WorkflowBundleWithSourceMap;
  /** Starts a worker on `taskQueue` serving `activities` until teardown. */
  serve(taskQueue: string, activities: object): Promise<Worker>;
  teardown(): Promise<void>;
}

export async function startTimeSkipping(opts: { logLevel?: 'WARN' | 'ERROR'; searchAttributes?: boolean } = {}): Promise<TimeSkipping> {
  Runtime.install({ logger: new DefaultLogger(opts.logLevel ?? 'WARN') });
  const path = findTestServer();
  const env = await TestWorkflowEnvironment.createTimeSkipping(path ? { server: { executable: { type: 'existing-path', path } } } : {});
  if (opts.searchAttributes) {
    // The time-skipping server implements AddSearchAttributes but not ListSearchAttributes, so register directly.
    const T = proto.api.enums.v1.IndexedValueType;
    const types: Record<string, proto.api.enums.v1.IndexedValueType> = { KEYWORD: T.INDEXED_VALUE_TYPE_KEYWORD, KEYWORD_LIST: T.INDEXED_VALUE_TYPE_KEYWORD_LIST, BOOL: T.INDEXED_VALUE_TYPE_BOOL };
    await env.connection.operatorService.addSearchAttributes({
      namespace: env.namespace ?? 'default',
      searchAttributes: Object.fromEntries(conduitSearchAttributes.map((k) => [k.name, types[k.type]!])),
    });
  }
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: new DefaultLogger('WARN') });
  const running: Array<{ worker: Worker; run: Promise<void> }> = [];
  return {
    env,
    bundle,
    async serve(taskQueue, activities) {
      const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
      running.push({ worker, run: worker.run() });
      return worker;
    },
    async teardown() {
      for (const { worker } of running) worker.shutdown();
      await Promise.all(running.map((r) => r.run));
      await env.teardown();
    },
  };
}
