/**
 * The master's web UI, server side: the page and its bundle at `/` (`masterUiAssets`, a Fastify
 * plugin registered by master/http/app.ts) and the live feed on `/ui/ws` (`createMasterUi`, wired by
 * main.ts). The feed's topics (master/ui/web/master-protocol.ts) are computed by views.ts over the
 * master's books, once per state generation: every change the master reports (change-signal.ts)
 * starts a new generation, and the hub (common/ui/live-server.ts) recomputes each subscribed view
 * at most 4 times a second and pushes it only if it changed.
 *
 * Kept here, not in the core: when each outstanding offer was first seen (the Offers page's age;
 * noted within a tick of the offer's creation) and the allocation history (a ring of 900 samples:
 * one every `sampleIntervalMs` (5 s), and while a page is open one a second at most as the books
 * change).
 *
 * Cost when no page is open (the master's hot paths: every status update and call reports a
 * change): a change only bumps the generation. Offers are made only by allocation timers and
 * `allocate()`, so only those note first-seen times (one pass over the outstanding offers); a
 * history sample is taken every 5 s, not after every change, unless a page is open, and it does
 * not walk the tasks (views.ts `totalsFromAllocator`: agents, offers and the allocator's per-role
 * allocation). Measured at 10,000 agents and 100,000 tasks, 2,000 status updates a second through
 * the observed master for 10 s, no page open: the process's CPU was 914 to 1,175 ms with the UI as
 * first wired, ~410 ms now, ~340 ms with no UI at all.
 */
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { OfferId } from '../../common/ids.ts';
import type { Logger, Timers } from '../../common/ports.ts';
import { registerUi } from '../../common/ui/serve.ts';
import { createLiveHub, type LiveHub } from '../../common/ui/live-server.ts';
import { parsePageParams, type ParseResult } from '../../common/ui/paging.ts';
import type { PageParams } from '../../common/ui/web/live-protocol.ts';
import type { Allocator } from '../allocator/allocator.ts';
import { answeredByLeaderCheck, type LeaderCheck } from '../http/leader-check.ts';
import type { Master } from '../master.ts';
import { AllocationHistory } from './allocation-history.ts';
import { isVisibleChange, mayChange, observeCalls, observeTimers } from './change-signal.ts';
import { createSandboxTopics } from './sandbox-proxy.ts';
import { createUiViews, totalsFromAllocator, type UiViews } from './views.ts';

export const UI_FEED_PATH = '/ui/ws';
/** Per connection to the master's feed. */
export const MAX_SUBSCRIPTIONS = 16;
const ENTRY = fileURLToPath(new URL('./web/main.ts', import.meta.url));

export interface MasterUiAssetsOptions {
  /** With HA: where the leader is (master/http/leader-check.ts). */
  readonly leader?: LeaderCheck;
}

/**
 * The page, bundle and stylesheet at `/` (a Fastify plugin: `app.register(masterUiAssets, {leader})`).
 * A master that does not lead sends the browser to the leader's page (307; 503 while none is
 * elected), as it does for every API: its own books are empty and its feed would show no cluster.
 */
export async function masterUiAssets(app: FastifyInstance, options: MasterUiAssetsOptions = {}): Promise<void> {
  const { leader } = options;
  // Encapsulated: the hook covers the routes of this plugin only.
  if (leader !== undefined) app.addHook('onRequest', async (request, reply) => { if (answeredByLeaderCheck(leader, request, reply)) return reply; });
  await registerUi(app, { title: 'maestro master', entry: ENTRY, prefix: '/' });
}

export interface MasterUiOptions {
  readonly logger?: Logger;
  readonly sampleIntervalMs?: number;
  readonly historySize?: number;
  readonly minPushIntervalMs?: number;
  /** Between two samples taken on change (default 1000). */
  readonly minSampleGapMs?: number;
}

export interface MasterUi {
  /** The master's books changed. */
  changed(): void;
  /** Timers that report a change after each callback (give them to the Master). */
  timers(timers: Timers): Timers;
  /** The master as the HTTP app and agent link should see it: its mutating calls report changes. */
  observe(master: Master): Master;
  /** Starts the feed over this master: topics on `UI_FEED_PATH` of `server`, history sampling. */
  attach(server: Server, master: Master, allocator: Allocator, otherUpgradePaths: readonly string[]): void;
  /** The views of the current generation (tests and the benchmark). */
  views(): UiViews;
  readonly hub: LiveHub;
  close(): Promise<void>;
}

type WithPage<T> = (raw: Readonly<Record<string, unknown>>) => ParseResult<PageParams & T>;

function pageTopic<T extends object>(sortKeys: readonly string[], defaultSort: string, extra: (raw: Readonly<Record<string, unknown>>) => ParseResult<T>): WithPage<T> {
  return (raw) => {
    const page = parsePageParams(raw, sortKeys, defaultSort);
    if (!page.ok) return page;
    const more = extra(raw);
    return more.ok ? { ok: true, value: { ...page.value, ...more.value } } : more;
  };
}

const none = (): ParseResult<object> => ({ ok: true, value: {} });

const SCOPES = ['active', 'unreachable', 'completed', 'all'] as const;

function taskExtra(raw: Readonly<Record<string, unknown>>): ParseResult<{ scope: typeof SCOPES[number]; framework?: string; agent?: string }> {
  const scope = raw.scope ?? 'active';
  if (typeof scope !== 'string' || !(SCOPES as readonly string[]).includes(scope)) return { ok: false, field: 'scope', message: `scope must be one of ${SCOPES.join(', ')}` };
  for (const k of ['framework', 'agent'] as const) {
    if (raw[k] !== undefined && (typeof raw[k] !== 'string' || (raw[k] as string).length > 256)) return { ok: false, field: k, message: `${k} must be an id` };
  }
  return { ok: true, value: { scope: scope as typeof SCOPES[number], ...(raw.framework === undefined ? {} : { framework: raw.framework as string }), ...(raw.agent === undefined ? {} : { agent: raw.agent as string }) } };
}

export function createMasterUi(options: MasterUiOptions = {}): MasterUi {
  let source: { master: Master; allocator: Allocator } | undefined;
  let generation = 0;
  let current: { generation: number; views: UiViews } | undefined;
  const offerSeen = new Map<OfferId, number>();
  const history = new AllocationHistory(options.historySize ?? 900);
  const minSampleGapMs = options.minSampleGapMs ?? 1000;
  let sampler: NodeJS.Timeout | undefined;
  let pendingSample: NodeJS.Timeout | undefined;
  let lastSampleAt = 0;
  let sweepQueued = false;
  let closed = false;

  /** Notes new offers' first-seen time and forgets gone ones. */
  const sweepOffers = () => {
    sweepQueued = false;
    if (source === undefined) return;
    const offers = source.master.state.offers;
    const now = Date.now();
    for (const id of offers.keys()) if (!offerSeen.has(id)) offerSeen.set(id, now);
    if (offerSeen.size > offers.size) for (const id of offerSeen.keys()) if (!offers.has(id)) offerSeen.delete(id);
  };

  const views = (): UiViews => {
    if (source === undefined) throw new Error('master UI: not attached');
    if (current?.generation === generation) return current.views;
    sweepOffers();
    const { master, allocator } = source;
    const info = master.masterInfo();
    const v = createUiViews({
      state: master.state,
      master: { id: info.id, hostname: info.hostname ?? '', version: info.version ?? '', ...(master.config.cluster ? { cluster: master.config.cluster } : {}), startedAt: Math.round(master.startTime() * 1000) },
      roleDetails: () => master.getRoleDetails(),
      roleShares: () => allocator.roleShares(),
      frameworkShare: (id) => allocator.frameworkShare(id),
      offerSeen,
      history: () => history.samples(),
      now: Date.now(),
      maintenance: master.maintenance,
      recoveredAgents: master.recoveredAgents(),
    });
    current = { generation, views: v };
    return v;
  };

  const hub = createLiveHub({
    // A page holds at most 3 (the sandbox: its listing and two tails); each subscription is a
    // view recomputed after every change (tens of ms at 100,000 tasks), so one client gets few.
    maxSubscriptions: MAX_SUBSCRIPTIONS,
    ...(options.minPushIntervalMs === undefined ? {} : { minIntervalMs: options.minPushIntervalMs }),
    ...(options.logger ? { logger: options.logger } : {}),
    topics: {
      overview: { parse: none, snapshot: () => views().overview() },
      agents: { parse: pageTopic(['hostname', 'id', 'status', 'tasks', 'cpus', 'mem'], 'hostname', none), snapshot: (p: PageParams) => views().agents(p) },
      frameworks: {
        parse: pageTopic(['name', 'id', 'tasks', 'registered'], 'name', (raw) => (raw.completed === undefined || typeof raw.completed === 'boolean' ? { ok: true, value: { completed: raw.completed === true } } : { ok: false, field: 'completed', message: 'completed must be a boolean' })),
        snapshot: (p: PageParams & { completed: boolean }) => views().frameworks(p),
      },
      offers: { parse: pageTopic(['id', 'framework', 'agent', 'cpus', 'age'], 'id', none), snapshot: (p: PageParams) => views().offers(p) },
      tasks: { parse: pageTopic(['id', 'name', 'state', 'framework', 'agent', 'updated'], 'id', taskExtra), snapshot: (p: Parameters<UiViews['tasks']>[0]) => views().tasks(p) },
      roles: { parse: none, snapshot: () => views().roles() },
      maintenance: { parse: pageTopic(['hostname', 'mode'], 'hostname', none), snapshot: (p: PageParams) => views().maintenance(p) },
      ...createSandboxTopics({ get state() { return source!.master.state; } } as { state: Master['state'] }),
    },
  });

  const sample = () => {
    if (pendingSample) clearTimeout(pendingSample);
    pendingSample = undefined;
    if (source === undefined) return;
    const t = totalsFromAllocator(source.master.state, source.allocator.roleShares().map((r) => r.allocated));
    lastSampleAt = Date.now();
    history.push({ t: lastSampleAt, total: t.total, allocated: t.allocated, offered: t.offered });
    hub.changed();
  };

  /** The books changed; `offersMayBeNew`: through an allocation (the only way offers are made). */
  const changedBy = (offersMayBeNew: boolean) => {
    if (closed) return;
    generation++;
    // Sampling on change only while somebody looks; the interval sample runs regardless.
    if (source !== undefined && pendingSample === undefined && hub.stats().clients > 0) {
      pendingSample = setTimeout(sample, Math.max(0, lastSampleAt + minSampleGapMs - Date.now()));
      pendingSample.unref();
    }
    if (offersMayBeNew && !sweepQueued) {
      sweepQueued = true;
      setImmediate(sweepOffers);
    }
    hub.changed();
  };
  const changed = () => changedBy(true);

  return {
    changed,
    timers: (t) => observeTimers(t, changed),
    observe: (master) => observeCalls(master, mayChange, (method, args) => { if (isVisibleChange(method, args)) changedBy(method === 'allocate'); }),
    attach(server, master, allocator, otherUpgradePaths) {
      source = { master, allocator };
      hub.attach(server, UI_FEED_PATH, otherUpgradePaths);
      sample();
      sampler = setInterval(sample, options.sampleIntervalMs ?? 5000);
      sampler.unref();
    },
    views,
    hub,
    async close() {
      closed = true;
      if (sampler) clearInterval(sampler);
      if (pendingSample) clearTimeout(pendingSample);
      await hub.close();
    },
  };
}
