/**
 * The `BatchService` of a batch process that does not lead: no state; changes are refused with
 * 503 naming the leader (clients retry there), reads are empty.
 */
import type { BatchError, BatchService } from '../ports.ts';

export function createFollowerBatchService(leader: () => string | undefined): BatchService {
  const refuse = (): Promise<BatchError> => {
    const l = leader();
    return Promise.resolve({ ok: false, status: 503, message: l === undefined ? 'Could not determine the current leader' : `Not the leader; the leader is at ${l}` });
  };
  return {
    jobs: () => [],
    job: () => undefined,
    schedules: () => [],
    activeRuns: () => [],
    history: () => Promise.resolve({ successCount: 0, failureCount: 0, lastSuccessAt: null, lastFailureAt: null, successfulFinishedRuns: [], failedFinishedRuns: [] }),
    run: () => Promise.resolve(undefined),
    createJob: refuse,
    updateJob: refuse,
    deleteJob: refuse,
    startRun: refuse,
    stopRun: refuse,
    createSchedule: refuse,
    updateSchedule: refuse,
    deleteSchedule: refuse,
    nextRunAt: () => undefined,
  };
}
