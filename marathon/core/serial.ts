/**
 * One-at-a-time execution: every change of the core's state (API change, offers, status update,
 * timer) runs inside `run`, so a change computed from the state is persisted and applied before the
 * next one reads it. A failing job rejects its own promise only; the queue goes on.
 */
export interface Serial {
  run<T>(job: () => Promise<T> | T): Promise<T>;
}

export function createSerial(): Serial {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run<T>(job: () => Promise<T> | T): Promise<T> {
      const result = tail.then(job);
      tail = result.catch(() => undefined);
      return result;
    },
  };
}
