/**
 * The outcome constructors every call handler uses (the seam types are in
 * scheduler-endpoint.ts).
 */
import type { CallRejection, SubscribeRefusal } from './scheduler-endpoint.ts';

export const OK = { ok: true as const };

export function reject(status: CallRejection['status'], message: string): CallRejection {
  return { ok: false, status, message };
}

/** SUBSCRIBE refused on the stream: 200, one ERROR event with `message`, end of stream. */
export function refuseSubscription(message: string): SubscribeRefusal {
  return { ok: false, status: 200, message };
}
