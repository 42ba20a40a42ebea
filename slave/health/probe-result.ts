/**
 * What a probe observed, and what that means: a health verdict (HealthCheck) or a check result
 * (CheckInfo). Pure functions over plain values; the probe adapters (command-probe.ts,
 * http-probe.ts, tcp-probe.ts) produce the observations, the probe loop adds `timed-out`.
 *
 * Mesos rules: a COMMAND is healthy when it exits 0; an HTTP check is healthy for a status in
 * [200, 399] (redirects are followed first, as Mesos' curl -L does); a TCP check when the
 * connection opens. A generic check reports the exit code, the status code or whether the
 * connection opened; a probe that could not complete (timed out, killed by a signal, could not
 * start or connect over HTTP) reports the empty status of its type, as Mesos' checker does.
 * Failure messages read `<TYPE> health check failed: <why>` as in Mesos.
 */
import { STATUS_CODES } from 'node:http';
import { constants } from 'node:os';
import type { mesos } from '../../proto/types.generated.ts';
import { formatDuration } from './config.ts';
import type { ProbeVerdict } from './health-state.ts';

export type Observation =
  | { readonly kind: 'exited'; readonly exitCode: number }
  | { readonly kind: 'signaled'; readonly signal: string }
  | { readonly kind: 'response'; readonly statusCode: number }
  | { readonly kind: 'connected' }
  /** The probe could not do its work (could not spawn, connection refused, bad response). */
  | { readonly kind: 'error'; readonly message: string };

/** What the probe loop hands on: an observation, or the probe ran past its timeout (and was aborted). */
export type ProbeOutcome = Observation | { readonly kind: 'timed-out'; readonly timeoutMs: number };

export type CheckType = 'COMMAND' | 'HTTP' | 'TCP';

/** The name of the thing that runs each kind of probe, for "has not returned" messages. */
const RUNNER: Record<CheckType, string> = { COMMAND: 'Command', HTTP: 'HTTP request', TCP: 'TCP connection' };

function signalNumber(signal: string): number | undefined {
  return (constants.signals as Record<string, number | undefined>)[signal];
}

/** How a process ended, in the words of Mesos' WSTRINGIFY ("exited with status 1", "terminated with signal SIGKILL"). */
export function describeExit(observation: Observation): string {
  switch (observation.kind) {
    case 'exited':
      return `exited with status ${observation.exitCode}`;
    case 'signaled': {
      const n = signalNumber(observation.signal);
      return n === undefined ? `terminated with signal ${observation.signal}` : `terminated with signal ${observation.signal} (${n})`;
    }
    default:
      return observation.kind;
  }
}

export function isHealthyStatusCode(code: number): boolean {
  return code >= 200 && code < 400;
}

export function healthVerdict(type: CheckType, outcome: ProbeOutcome): ProbeVerdict {
  const failed = (why: string): ProbeVerdict => ({ ok: false, message: `${type} health check failed: ${why}` });
  const passed: ProbeVerdict = { ok: true, message: `${type} health check passed` };
  switch (outcome.kind) {
    case 'timed-out':
      return failed(`${RUNNER[type]} has not returned after ${formatDuration(outcome.timeoutMs)}; aborting`);
    case 'error':
      return failed(outcome.message);
    case 'exited':
    case 'signaled':
      return outcome.kind === 'exited' && outcome.exitCode === 0 ? passed : failed(`Command returned ${describeExit(outcome)}`);
    case 'response':
      return isHealthyStatusCode(outcome.statusCode)
        ? passed
        : failed(`Unexpected HTTP response code: ${outcome.statusCode} ${STATUS_CODES[outcome.statusCode] ?? ''}`.trimEnd());
    case 'connected':
      return passed;
  }
}

/** The status a check reports before its first result and whenever a probe could not complete (UNKNOWN: the type alone). */
export function emptyCheckStatus(type: mesos.v1.CheckInfo.Type): mesos.v1.CheckStatusInfo {
  switch (type) {
    case 'COMMAND':
      return { type, command: {} };
    case 'HTTP':
      return { type, http: {} };
    case 'TCP':
      return { type, tcp: {} };
    default:
      return { type };
  }
}

export function checkResult(type: CheckType, outcome: ProbeOutcome): mesos.v1.CheckStatusInfo {
  if (type === 'COMMAND' && outcome.kind === 'exited') return { type, command: { exit_code: outcome.exitCode } };
  if (type === 'HTTP' && outcome.kind === 'response') return { type, http: { status_code: outcome.statusCode } };
  if (type === 'TCP' && (outcome.kind === 'connected' || outcome.kind === 'error')) return { type, tcp: { succeeded: outcome.kind === 'connected' } };
  return emptyCheckStatus(type);
}

export function sameCheckStatus(a: mesos.v1.CheckStatusInfo, b: mesos.v1.CheckStatusInfo): boolean {
  return (
    a.type === b.type &&
    (a.command === undefined) === (b.command === undefined) &&
    (a.http === undefined) === (b.http === undefined) &&
    (a.tcp === undefined) === (b.tcp === undefined) &&
    a.command?.exit_code === b.command?.exit_code &&
    a.http?.status_code === b.http?.status_code &&
    a.tcp?.succeeded === b.tcp?.succeeded
  );
}
