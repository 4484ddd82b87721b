/** Workflow time: Temporal's sandbox makes Date deterministic (it is the time of the current task), so this is replay-safe. */
export function workflowNowIso(): string {
  // eslint-disable-next-line no-restricted-properties -- the workflow sandbox replaces Date.now with the task's deterministic time
  return new Date(Date.now()).toISOString();
}
