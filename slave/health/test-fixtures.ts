/**
 * Test fixtures for the checkers: a scripted probe (a fake at the probe seam) that answers each
 * run with the next scripted step, where 'hang' never settles until aborted, and a way to let
 * promise callbacks run after the manual clock moved. The clock and timers are master's
 * ManualTime (a fake at the Timers port).
 */
import type { Probe } from './probe-loop.ts';
import type { Observation } from './probe-result.ts';

export { ManualTime } from '../../master/test-fixtures.ts';

export type ScriptStep = Observation | 'hang';

export interface ScriptedProbe {
  readonly probe: Probe;
  /** How many probes started. */
  runs(): number;
  /** How many probes were aborted while in flight. */
  aborts(): number;
}

/** Answers run i with steps[i]; runs past the script repeat the last step. */
export function scriptedProbe(steps: readonly ScriptStep[]): ScriptedProbe {
  let runs = 0;
  let aborts = 0;
  const probe: Probe = (signal) => {
    const step = steps[Math.min(runs, steps.length - 1)]!;
    runs++;
    if (step !== 'hang') return Promise.resolve(step);
    return new Promise((resolve) => {
      signal.addEventListener('abort', () => {
        aborts++;
        resolve({ kind: 'error', message: 'aborted' });
      });
    });
  };
  return { probe, runs: () => runs, aborts: () => aborts };
}

/** Lets pending promise callbacks run (a probe's result reaches the loop through one). */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export const exited = (exitCode: number): Observation => ({ kind: 'exited', exitCode });
export const response = (statusCode: number): Observation => ({ kind: 'response', statusCode });
export const CONNECTED: Observation = { kind: 'connected' };
export const REFUSED: Observation = { kind: 'error', message: 'connect ECONNREFUSED' };
