/**
 * Metronome's schedule JSON (`POST/PUT /v1/jobs/{id}/schedules`, and the `schedules` array of a
 * job) -> a `ScheduleSpec` with Metronome's defaults: timezone `UTC`, startingDeadlineSeconds 900,
 * concurrencyPolicy `ALLOW`, enabled `true`.
 *
 * Validation (422 details at JSON paths): `id` matches Metronome's schedule id pattern (two or
 * more of [a-z0-9-], no leading or trailing dash), `cron` parses (cron.ts), `timezone` is a zone
 * the runtime's tz database knows, `startingDeadlineSeconds` an integer >= 1, `concurrencyPolicy`
 * ALLOW or FORBID. Unknown fields are ignored, as Metronome's schema allows them (so a schedule
 * read back with its `nextRunAt` can be sent again).
 */
import type { ScheduleSpec } from '../model.ts';
import { isTimeZone, parseCron } from './cron.ts';
import { checkStorable, createReader, field, isAbsent, isObject, MSG, type Reader } from './json-read.ts';
import type { Parsed } from './parsed.ts';

export const SCHEDULE_ID_PATTERN = '^([a-z0-9][a-z0-9\\-]*[a-z0-9]+)$';
const SCHEDULE_ID_RE = new RegExp(SCHEDULE_ID_PATTERN);

export const DEFAULT_TIMEZONE = 'UTC';
export const DEFAULT_STARTING_DEADLINE_SECONDS = 900;
export const DEFAULT_CONCURRENCY_POLICY: ScheduleSpec['concurrencyPolicy'] = 'ALLOW';
export const DEFAULT_ENABLED = true;

const POLICIES: readonly ScheduleSpec['concurrencyPolicy'][] = ['ALLOW', 'FORBID'];

export function parseSchedule(json: unknown): Parsed<ScheduleSpec> {
  const r = createReader();
  const s = readSchedule(r, json, '/');
  checkStorable(r, json, '/');
  return s === undefined || r.errors.size > 0 ? { ok: false, details: r.details() } : { ok: true, value: s };
}

/** Reads a schedule at `path` into `r`; undefined when it is not an object or has errors. */
export function readSchedule(r: Reader, json: unknown, path: string): ScheduleSpec | undefined {
  if (!isObject(json)) {
    r.fail(path, MSG.object);
    return undefined;
  }
  const before = r.errors.size;
  const id = r.str(json.id, field(path, 'id'));
  if (isAbsent(json.id)) r.fail(field(path, 'id'), MSG.missing);
  else if (id !== undefined && !SCHEDULE_ID_RE.test(id)) {
    r.fail(field(path, 'id'), `must fully match regular expression '${SCHEDULE_ID_PATTERN}'`);
  }

  const cronText = r.str(json.cron, field(path, 'cron'));
  if (isAbsent(json.cron)) r.fail(field(path, 'cron'), MSG.missing);
  else if (cronText !== undefined) {
    const c = parseCron(cronText);
    if (!c.ok) r.fail(field(path, 'cron'), `Can not read cron expression: ${c.message}`);
  }

  const timezone = r.str(json.timezone, field(path, 'timezone')) ?? DEFAULT_TIMEZONE;
  if (!isTimeZone(timezone)) r.fail(field(path, 'timezone'), `No time zone found with this id: ${timezone}`);

  const deadline = r.int(json.startingDeadlineSeconds, field(path, 'startingDeadlineSeconds')) ?? DEFAULT_STARTING_DEADLINE_SECONDS;
  if (deadline < 1) r.fail(field(path, 'startingDeadlineSeconds'), 'must be at least 1');

  const policyText = r.str(json.concurrencyPolicy, field(path, 'concurrencyPolicy')) ?? DEFAULT_CONCURRENCY_POLICY;
  const policy = POLICIES.find((p) => p === policyText);
  if (policy === undefined) {
    r.fail(field(path, 'concurrencyPolicy'), `'${policyText}' is not a valid concurrency policy. Allowed values: ${POLICIES.join(', ')}`);
  }

  const enabled = r.bool(json.enabled, field(path, 'enabled')) ?? DEFAULT_ENABLED;

  if (r.errors.size > before || id === undefined || cronText === undefined || policy === undefined) return undefined;
  return { id, cron: cronText.trim(), timezone, startingDeadlineSeconds: deadline, concurrencyPolicy: policy, enabled };
}
