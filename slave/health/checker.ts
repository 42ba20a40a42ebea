/**
 * A running generic check (CheckInfo): the probe loop feeding check results. The last status
 * starts as the empty status of the check's type (`emptyCheckStatus`: what the agent puts in the
 * task's first TASK_RUNNING itself); `onCheckStatus` is called whenever a result differs from the
 * last one, as Mesos' checker does, so the start is not reported again. A probe that cannot
 * complete (timeout, could not start, killed) yields the empty status, which is news only after
 * a real result.
 */
import type { Clock, Timers } from '../../common/ports.ts';
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
