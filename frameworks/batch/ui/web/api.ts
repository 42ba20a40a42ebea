/**
 * Batch's endpoints (Metronome's `/v1/jobs`) and page links as the pages name them; the calls
 * go through the kit's `fetchJson` (common/ui/web/api.ts: an answer is a value, never a throw).
 */
import { fetchJson, refusal } from '../../../../common/ui/web/api.ts';

export const jobHref = (id: string): string => `#/jobs/${encodeURIComponent(id)}`;
export const runHref = (jobId: string, runId: string): string => `#/jobs/${encodeURIComponent(jobId)}/runs/${encodeURIComponent(runId)}`;

/** Starts a run now (`POST /v1/jobs/{id}/runs`): the run's id, or the refusal. */
export async function runNow(jobId: string): Promise<{ ok: true; runId: string } | { ok: false; message: string }> {
  const a = await fetchJson('POST', `/v1/jobs/${encodeURIComponent(jobId)}/runs`);
  return a.status === 201 || a.status === 200 ? { ok: true, runId: String(a.body?.id) } : { ok: false, message: refusal(a) };
}
