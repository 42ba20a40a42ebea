/**
 * Run and task ids. A run id is Metronome's: the creation time as `yyyyMMddHHmmss` (UTC) and five
 * random letters or digits (`20261122134501aB3x9`). A task id names job, run, attempt and index
 * (`<job>_<run>.<attempt>.<index>`), so an update finds its run and a retry never reuses an id.
 */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export function runId(nowMs: number, random: () => number): string {
  const d = new Date(nowMs);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
  let tail = '';
  for (let i = 0; i < 5; i++) tail += ALPHABET[Math.floor(random() * ALPHABET.length) % ALPHABET.length];
  return stamp + tail;
}

export const taskId = (jobId: string, runId: string, attempt: number, index: number): string => `${jobId}_${runId}.${attempt}.${index}`;
