/**
 * The two CallOutcome constructors every call handler uses (the seam types are in
 * scheduler-endpoint.ts).
 */
import type { CallRejection } from './scheduler-endpoint.ts';

export const OK = { ok: true as const };

export function reject(status: CallRejection['status'], message: string): CallRejection {
  return { ok: false, status, message };
}
