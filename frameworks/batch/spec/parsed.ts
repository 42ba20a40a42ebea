/**
 * The outcome of reading a batch request body (a job, a schedule): the value, or Metronome's 422
 * details (`{ path, errors }` per failing JSON path, paths as Play writes them: `/run/cpus`,
 * `/run/artifacts(0)/uri`). An invalid input is a value, never a throw.
 */

export interface ValidationDetail {
  readonly path: string;
  readonly errors: readonly string[];
}

export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly details: readonly ValidationDetail[] };
