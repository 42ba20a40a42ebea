/**
 * The framework's side of the offer cycle as the end-to-end benchmarks drive it, over
 * scheduler-client.ts: gather offers until every agent has one, and launch one task per offer
 * (one ACCEPT per offer, a bounded number of calls in flight). A call answered with anything but
 * 202 fails the benchmark with the master's status and message.
 */
import type { BenchScheduler, CallAnswer, Json, ReceivedEvent } from './scheduler-client.ts';

export interface Offer {
  readonly id: Json;
  readonly agentId: string;
}

export interface OfferCollection {
  /** Resolves once offers for `agents` distinct agents arrived; rejects after the timeout. */
  readonly done: Promise<void>;
  readonly offers: Offer[];
  /** The OFFERS events, in arrival order. */
  readonly events: ReceivedEvent[];
}

/** Starts collecting OFFERS events now (arm it before the call that causes them). Fails when the stream closes first. */
export function collectOffers(sched: BenchScheduler, agents: number, timeoutMs: number): OfferCollection {
  const offers: Offer[] = [];
  const events: ReceivedEvent[] = [];
  const seen = new Set<string>();
  const done = new Promise<void>((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      off();
      reject(new Error(`offers for ${seen.size} of ${agents} agents ${why}`));
    };
    const timer = setTimeout(() => fail(`after ${timeoutMs} ms`), timeoutMs);
    void sched.closed.then(() => fail('when the event stream closed'));
    const off = sched.onEvent((e) => {
      if (e.event.type !== 'OFFERS') return;
      events.push(e);
      for (const o of e.event.offers.offers as Json[]) {
        offers.push({ id: o.id, agentId: o.agent_id.value });
        seen.add(o.agent_id.value);
      }
      if (seen.size >= agents) {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  });
  return { done, offers, events };
}

/** Runs `fn` over `items` with at most `width` running at once. */
export async function inParallel<T>(items: readonly T[], width: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  }));
}

export function expect202(what: string, answer: CallAnswer): void {
  if (answer.status !== 202) throw new Error(`${what}: ${answer.status} ${answer.text}`);
}

const scalar = (name: string, value: number): Json => ({ name, type: 'SCALAR', scalar: { value } });

/**
 * One ACCEPT per offer, each launching task `${taskPrefix}-${i}` (cpus:1;mem:128, a shell
 * command the simulated agents never run) and declining the rest for `refuseSeconds`.
 * Returns the task ids by offer index.
 */
export async function launchOnePerOffer(sched: BenchScheduler, offers: readonly Offer[], taskPrefix: string, inFlight: number, refuseSeconds = 3600): Promise<string[]> {
  const taskIds = offers.map((_, i) => `${taskPrefix}-${i}`);
  await inParallel(offers, inFlight, async (o, i) => {
    expect202('ACCEPT', await sched.call({
      type: 'ACCEPT',
      accept: {
        offer_ids: [o.id],
        operations: [{
          type: 'LAUNCH',
          launch: {
            task_infos: [{
              name: taskIds[i], task_id: { value: taskIds[i] }, agent_id: { value: o.agentId },
              resources: [scalar('cpus', 1), scalar('mem', 128)],
              command: { value: 'sleep 3600', shell: true },
            }],
          },
        }],
        filters: { refuse_seconds: refuseSeconds },
      },
    }));
  });
  return taskIds;
}
