/**
 * The agent's sandbox GC schedule (slave/gc/gc-schedule.ts) at the sizes a busy agent reaches:
 * `gc_delay` is a week, so every run and executor directory of a week's tasks is scheduled at
 * once (two entries per completed command task). With N directories already scheduled, per
 * operation, the way the agent uses the schedule (sandbox-gc.ts re-arms its one timer after each):
 *
 *   schedule_us       a task completes: schedule its run and executor directory, then the next removal time
 *   unschedule_us     an executor id launched again: unschedule its directory, then the next removal time
 *   due_take_us       the timer fires for the oldest directory: due(now), take it, the next removal time
 *   prune_ms          a disk check under pressure that removes 1 % of what is scheduled: prunable() and take()
 *
 * Medians over repeated operations (µs) and runs (ms). `node --import=tsx bench/gc-schedule.bench.ts 100000`
 * picks N (default 100,000).
 */
import { GcSchedule } from '../slave/gc/gc-schedule.ts';
import { emit, median, printTable, type BenchResult } from './report.ts';

const N = Number(process.argv[2]) > 0 ? Number(process.argv[2]) : 100_000;
const DELAY = 7 * 24 * 3600 * 1000;
const OPS = 2_000;

function filled(): GcSchedule {
  const s = new GcSchedule(DELAY);
  for (let i = 0; i < N; i++) s.schedule(`/w/slaves/S0/frameworks/F/executors/e${i}`, i);
  return s;
}

function perOp(op: (s: GcSchedule, i: number) => void): number {
  const s = filled();
  const samples: number[] = [];
  for (let i = 0; i < OPS; i++) {
    const t0 = process.hrtime.bigint();
    op(s, i);
    samples.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  return median(samples);
}

const results: BenchResult[] = [];
const config = { scheduled: N };
const figure = (metric: string, value: number, unit: string) => {
  const r = { bench: 'gc-schedule', config, metric, value, unit };
  results.push(r);
  emit(r);
};

figure('schedule_us', perOp((s, i) => {
  s.schedule(`/w/slaves/S0/frameworks/F/executors/n${i}/runs/c`, N + i);
  s.schedule(`/w/slaves/S0/frameworks/F/executors/n${i}`, N + i);
  s.nextRemovalTime();
}), 'us');
figure('unschedule_us', perOp((s, i) => {
  s.unschedule(`/w/slaves/S0/frameworks/F/executors/e${N - 1 - i}`);
  s.nextRemovalTime();
}), 'us');
figure('due_take_us', perOp((s, i) => {
  s.take(s.due(DELAY + i));
  s.nextRemovalTime();
}), 'us');
const prunes: number[] = [];
for (let r = 0; r < 5; r++) {
  const s = filled();
  const t0 = process.hrtime.bigint();
  // Usage such that the oldest 1 % is older than the allowed age.
  const maxAge = N - N / 100;
  s.take(s.prunable(N, 1 - 0.1 - maxAge / DELAY, 0.1));
  prunes.push(Number(process.hrtime.bigint() - t0) / 1e6);
  if (s.size !== N - N / 100 - 1 && s.size !== N - N / 100 && s.size !== N - N / 100 + 1) throw new Error(`pruned to ${s.size}`);
}
figure('prune_ms', median(prunes), 'ms');
printTable(results);
