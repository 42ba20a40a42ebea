/**
 * The messages of a live feed (one WebSocket per page, many subscriptions on it), shared by the
 * kit's client (live.ts) and server (common/ui/live-server.ts, with `import type`). JSON text frames.
 *
 *   client ─ subscribe {id, topic, params} ─►  server   (an existing id: new params, same subscription)
 *   client ─ unsubscribe {id} ──────────────►  server
 *   client ◄─ snapshot {id, now, data} ──────  server   (the whole view; again whenever it changed;
 *                                                        `now`: the server's clock, for ages)
 *   client ◄─ append {id, data} ─────────────  server   (streams: bytes appended to a file, say)
 *   client ◄─ error {id, field?, message} ───  server   (bad params: the subscription is not made)
 */
export type ClientMessage =
  | { readonly op: 'subscribe'; readonly id: number; readonly topic: string; readonly params: Readonly<Record<string, unknown>> }
  | { readonly op: 'unsubscribe'; readonly id: number };

export type ServerMessage =
  /** `now`: the server's clock when it was sent (ms since the epoch); ages shown in the page count from it, not from the browser's clock. */
  | { readonly op: 'snapshot'; readonly id: number; readonly now?: number; readonly data: unknown }
  | { readonly op: 'append'; readonly id: number; readonly data: unknown }
  | { readonly op: 'error'; readonly id: number; readonly field?: string; readonly message: string };

/** A page of rows the server filtered, sorted and cut (table.ts shows it). */
export interface Page<Row> {
  readonly total: number;
  readonly offset: number;
  readonly rows: readonly Row[];
}

/** The paging, filtering and sorting parameters every table topic accepts. */
export interface PageParams {
  readonly offset: number;
  readonly limit: number;
  readonly filter: string;
  readonly sort: string;
  readonly desc: boolean;
}
