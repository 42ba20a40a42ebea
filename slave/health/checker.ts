/**
 * A running generic check (CheckInfo): the probe loop feeding check results; the caller hears
 * `onCheckStatus` with the empty status of the check's type at the start (what the task's first
 * TASK_RUNNING carries) and then whenever the result differs from the last one reported, as
 * Mesos' checker does. A probe that cannot complete (timeout, could not start) reports the empty
 * status again.
 */
import type { Clock, Timers } from '../../master/ports.ts';
import type { mesos } from '../../proto/types.generated.ts';
import { checkTiming } from './config.ts';
import type { CheckHandle } from './health-checker.ts';
import { startProbeLoop, type Probe } from './probe-loop.ts';
import { checkResult, emptyCheckStatus, sameCheckStatus, type CheckType } from './probe-result.ts';

export interface CheckDeps {
  readonly clock: Clock;
  readonly timers: Timers;
  onCheckStatus(status: mesos.v1.CheckStatusInfo): void;
}

export interface CheckerHandle extends CheckHandle {
  /** The last status reported. */
  status(): mesos.v1.CheckStatusInfo;
}

export function runCheck(check: mesos.v1.CheckInfo, probe: Probe, deps: CheckDeps): CheckerHandle {
  const type = check.type as CheckType;
  let last = emptyCheckStatus(type);
  let stopped = false;
  deps.onCheckStatus(last);
  const loop = startProbeLoop(checkTiming(check), probe, deps.timers, (outcome) => {
    const next = checkResult(type, outcome);
    if (stopped || sameCheckStatus(next, last)) return;
    last = next;
    deps.onCheckStatus(next);
  });
  return {
    stop() {
      stopped = true;
      loop.stop();
    },
    status: () => last,
  };
}
