/**
 * The probe schedule: the first probe `delayMs` after the start, each next one `intervalMs` after
 * the previous one finished (Mesos schedules from the result, so probes never overlap), and a
 * probe that runs past `timeoutMs` is aborted (its AbortSignal fires; the adapter kills what it
 * started) and reported as `timed-out`. Time only through the `Timers` port, so tests drive it
 * with a manual clock.
 *
 *   waiting ──timer──► probing ──result──► waiting
 *                         └────timeout────► waiting (probe aborted)
 *   any ──stop()──► stopped (timers cleared, the probe in flight aborted, its result dropped)
 *
 * Invariants: at most one probe in flight; `onOutcome` is called exactly once per probe started
 * before `stop()` finished it, never after `stop()`; a result that arrives after the probe's
 * timeout is dropped.
 */
import type { TimerHandle, Timers } from '../../common/ports.ts';
import type { ProbeTiming } from './config.ts';
import type { Observation, ProbeOutcome } from './probe-result.ts';

/** Runs one probe. Must settle; on `signal` abort it stops its work (kills its process, closes its socket) and may settle however it likes. */
export type Probe = (signal: AbortSignal) => Promise<Observation>;

export interface ProbeLoop {
  stop(): void;
}

export function startProbeLoop(timing: ProbeTiming, probe: Probe, timers: Timers, onOutcome: (outcome: ProbeOutcome) => void): ProbeLoop {
  let stopped = false;
  let timer: TimerHandle | undefined;
  let deadline: TimerHandle | undefined;
  let inFlight: AbortController | undefined;

  const schedule = (ms: number) => {
    timer = timers.setTimeout(run, ms);
  };

  const finish = (controller: AbortController, outcome: ProbeOutcome) => {
    if (stopped || inFlight !== controller) return;
    inFlight = undefined;
    if (deadline !== undefined) timers.clear(deadline);
    deadline = undefined;
    if (outcome.kind === 'timed-out') controller.abort();
    onOutcome(outcome);
    if (!stopped) schedule(timing.intervalMs);
  };

  function run(): void {
    timer = undefined;
    if (stopped) return;
    const controller = new AbortController();
    inFlight = controller;
    if (Number.isFinite(timing.timeoutMs)) {
      deadline = timers.setTimeout(() => finish(controller, { kind: 'timed-out', timeoutMs: timing.timeoutMs }), timing.timeoutMs);
    }
    let pending: Promise<Observation>;
    try {
      pending = probe(controller.signal);
    } catch (error) {
      pending = Promise.resolve({ kind: 'error', message: (error as Error).message });
    }
    pending.then(
      (observation) => finish(controller, observation),
      (error: unknown) => finish(controller, { kind: 'error', message: error instanceof Error ? error.message : String(error) }),
    );
  }

  schedule(timing.delayMs);
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      if (timer !== undefined) timers.clear(timer);
      if (deadline !== undefined) timers.clear(deadline);
      inFlight?.abort();
      inFlight = undefined;
    },
  };
}
