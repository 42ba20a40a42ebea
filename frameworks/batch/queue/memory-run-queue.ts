/**
 * `RunQueue` in memory, for unit tests of the core and for a batch process without Redis. Same
 * semantics as the BullMQ queue (run-queue-contract.ts pins them): enqueue is idempotent by run id
 * (an identical enqueue keeps the run's place, a changed one replaces it and goes behind its
 * equals); `ready` reads without consuming; `rebuild` holds exactly the given runs, in the given
 * order among equals.
 */
import type { QueuedRun, RunQueue } from '../ports.ts';
import { checkQueuedRun, copyRun, isSameQueuedRun, planRebuild, readyRuns, type SequencedRun } from './queue-order.ts';

export function createMemoryRunQueue(): RunQueue {
  const runs = new Map<string, SequencedRun>();
  let seq = 0;
  let closed = false;
  const open = () => {
    if (closed) throw new Error('the run queue is closed');
  };
  const put = (run: QueuedRun) => {
    const current = runs.get(run.runId);
    if (current && isSameQueuedRun(current.run, run)) return;
    runs.delete(run.runId); // a replaced run is a new entry: Map order and seq both move it back
    runs.set(run.runId, { run: copyRun(run), seq: ++seq });
  };
  return {
    async enqueue(run) {
      open();
      checkQueuedRun(run);
      put(run);
    },
    async enqueueAll(list) {
      open();
      list.forEach(checkQueuedRun);
      list.forEach(put);
    },
    async remove(runId) {
      open();
      runs.delete(runId);
    },
    async removeAll(runIds) {
      open();
      for (const id of runIds) runs.delete(id);
    },
    async ready(now, limit) {
      open();
      return readyRuns(runs.values(), now, limit);
    },
    async size() {
      open();
      return runs.size;
    },
    async rebuild(list) {
      open();
      list.forEach(checkQueuedRun);
      runs.clear();
      for (const run of planRebuild(list)) put(run);
    },
    async close() {
      closed = true;
      runs.clear();
    },
  };
}
