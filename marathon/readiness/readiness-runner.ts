/**
 * Runs an app's readiness checks against instances a deployment waits on. Per tracked instance
 * and check: a GET of `<protocol>://<host>:<port of portName><path>` at once (Marathon's first
 * readiness check is eager), then one `intervalSeconds` after each answer, each aborted after
 * `timeoutSeconds` (the shared probe loop, slave/health/probe-loop.ts); every answer becomes a
 * `ReadinessResult` (readiness-state.ts) handed to `onResult`. Once a check reads ready, that
 * check stops probing the instance (Marathon keeps a ready result for good).
 *
 * Invariants: nothing is reported for an instance after `untrack` (or `stop`); no probe for a
 * check after its ready result; `track` of an instance already tracked starts it afresh.
 */
import type { Clock, Logger, Timers } from '../../common/ports.ts';
import { startProbeLoop, type Probe, type ProbeLoop } from '../../slave/health/probe-loop.ts';
import type { Observation, ProbeOutcome } from '../../slave/health/probe-result.ts';
import type { HealthTarget } from '../health/health-runner.ts';
import { httpGet, type HttpGetResult } from '../health/http-get.ts';
import type { AppDefinition, ReadinessCheck, ReadinessResult } from '../model.ts';
import { readinessResult, type ReadinessOutcome } from './readiness-state.ts';
import { readinessUrl } from './readiness-target.ts';

export interface ReadinessRunner {
  track(target: HealthTarget, app: AppDefinition): void;
  untrack(instanceId: string): void;
  stop(): void;
}

export interface ReadinessRunnerOptions {
  readonly timers: Timers;
  /** Kept for symmetry with the health runner and for logs; the results carry no time. */
  readonly clock: Clock;
  readonly logger?: Logger;
  onResult(instanceId: string, result: ReadinessResult): void;
}

export function readinessTiming(check: ReadinessCheck): { delayMs: number; intervalMs: number; timeoutMs: number } {
  return {
    delayMs: 0,
    intervalMs: check.intervalSeconds * 1000,
    timeoutMs: check.timeoutSeconds > 0 ? check.timeoutSeconds * 1000 : Infinity,
  };
}

/** The probe's observation with the whole answer beside it (the loop hands the same object back). */
type ReadinessObservation = Observation & { readonly http?: HttpGetResult };

function toOutcome(outcome: ProbeOutcome): ReadinessOutcome {
  if (outcome.kind === 'timed-out') return { kind: 'error', cause: `request timed out after ${outcome.timeoutMs / 1000} seconds` };
  const http = (outcome as ReadinessObservation).http;
  if (http === undefined) return { kind: 'error', cause: outcome.kind === 'error' ? outcome.message : `unexpected ${outcome.kind}` };
  return http.ok ? { kind: 'response', response: http.response } : { kind: 'error', cause: http.cause };
}

export function createReadinessRunner(opts: ReadinessRunnerOptions): ReadinessRunner {
  const tracked = new Map<string, ProbeLoop[]>();
  let stopped = false;

  const untrack = (instanceId: string) => {
    const loops = tracked.get(instanceId);
    if (loops === undefined) return;
    tracked.delete(instanceId);
    for (const loop of loops) loop.stop();
  };

  const track = (target: HealthTarget, app: AppDefinition) => {
    if (stopped) {
      opts.logger?.warn({ instanceId: target.instanceId }, 'readiness runner stopped: instance not tracked');
      return;
    }
    untrack(target.instanceId);
    const loops: ProbeLoop[] = [];
    tracked.set(target.instanceId, loops);
    const current = () => tracked.get(target.instanceId) === loops;
    for (const check of app.readinessChecks) {
      const where = readinessUrl(check, app, target);
      if (!where.ok) {
        opts.logger?.warn({ instanceId: target.instanceId, check: check.name, cause: where.cause }, 'readiness check cannot run');
        opts.onResult(target.instanceId, readinessResult(check, target.taskId, `${check.protocol.toLowerCase()}://${target.host}${check.path}`, { kind: 'error', cause: where.cause }));
        continue;
      }
      const url = where.url;
      const probe: Probe = async (signal): Promise<ReadinessObservation> => {
        const http = await httpGet(url, signal, { readBody: check.preserveLastResponse });
        return http.ok ? { kind: 'response', statusCode: http.response.status, http } : { kind: 'error', message: http.error, http };
      };
      const loop = startProbeLoop(readinessTiming(check), probe, opts.timers, (outcome) => {
        if (!current()) return;
        const result = readinessResult(check, target.taskId, url.href, toOutcome(outcome));
        opts.logger?.info({ instanceId: target.instanceId, check: check.name, url: url.href, ready: result.ready }, 'readiness check result');
        if (result.ready) loop.stop();
        opts.onResult(target.instanceId, result);
      });
      loops.push(loop);
    }
  };

  return {
    track,
    untrack,
    stop() {
      stopped = true;
      for (const id of [...tracked.keys()]) untrack(id);
    },
  };
}
