/**
 * `listingFeedTick`: what the connection's listing-feed Schedule starts at each window hour. It
 * starts the one feed run of the connection (`listing-feed:<connection>`, trigger SCHEDULE, which
 * itself refuses to run outside the window); if a run is already in flight it does nothing, so
 * there is never more than one feed run per connection.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ApplicationFailure, ParentClosePolicy, startChild, workflowInfo } from '@temporalio/workflow';
import { listingFeedWorkflowId, type ListingFeedInput, type ListingFeedTickInput, type ListingFeedTickResult } from '../contracts/feeds';
import { ConnectionKey } from '../contracts/search-attributes';
import { listingFeed } from './listing-feed';

/** Starts the connection's feed run unless one is already in flight. */
export async function listingFeedTick(input: ListingFeedTickInput): Promise<ListingFeedTickResult> {
  if (!input || typeof input.connectionId !== 'string' || input.connectionId === '') {
    throw ApplicationFailure.nonRetryable('listingFeedTick needs a connectionId');
  }
  const args: [ListingFeedInput] = [{ connectionId: input.connectionId, trigger: 'SCHEDULE', requestedBy: 'schedule', ...(input.tuning ? { tuning: input.tuning } : {}) }];
  const indexed = workflowInfo().typedSearchAttributes.get(ConnectionKey) !== undefined;
  try {
    await startChild(listingFeed, {
      workflowId: listingFeedWorkflowId(input.connectionId),
      args,
      // The run outlives the tick: the tick only starts it.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      ...(indexed ? { typedSearchAttributes: [{ key: ConnectionKey, value: input.connectionId }] } : {}),
    });
    return { started: true };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { started: false, reason: 'a listing feed run is already in flight for this connection' };
    throw err;
  }
}
