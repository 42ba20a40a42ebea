/**
 * The Mesos allocator benchmark grid (after Mesos' `HierarchicalAllocator_BENCHMARK_*` tests):
 * agents {1000, 10000, 20000, 50000} x frameworks {100, 1000, 2000, 6000}, every agent
 * `cpus:2;mem:1024;disk:4096;ports:[31000-32000]`, every framework in role `*` wanting offers.
 * The allocator runs in process (no agents, no network): this measures the allocation cycle only.
 *
 * Scenarios, each a median over `runs` cycles after one warm-up cycle (GC'd between runs when
 * `--expose-gc` is on, as `npm run bench` does):
 *   full       every resource free, nothing suppressed (the first cycle of a fresh cluster; the
 *              offers are given back without filters between runs)
 *   suppressed half of the frameworks have suppressed offers
 *   filtered   every framework declined its previous offers with refuse_seconds = 1e6, then a new
 *              cycle; revive clears the filters between runs
 *   random     as `full`, with `--role_sorter=random` and `--framework_sorter=random` (run on the
 *              small grid only: agents <= 10000, frameworks <= 1000)
 *   distinct   as `full`, but no two consecutive agents are equal (mem 1024 + i mod 997 MB): the
 *              allocator's sharing of equal agents' values does not apply, as in a cluster
 *              of many machine types registering in random order; run in a process of its own,
 *              so that its first cycle is cold too
 * Metrics: cycle_ms (median of the warm cycles), first_cycle_ms (the allocator's first cycle;
 * for `full`, the first cycle of the process: the cold figure, JIT not warmed by anything
 * earlier), offers (made by the measured cycle). The table shows cycle_ms and first_cycle_ms.
 *
 * Each grid point runs in a child process of its own (and `distinct` in another). `node
 * --import=tsx --expose-gc bench/allocator.bench.ts AGENTS FRAMEWORKS [distinct]` runs (and
 * prints) one point only.
 */
import { asAgentId, asFrameworkId } from '../common/ids.ts';
import { Resources } from '../common/resources/resources.ts';
import { createAllocator } from '../master/allocator/index.ts';
import type { HierarchicalAllocator } from '../master/allocator/index.ts';
import type { OfferDecision } from '../master/allocator/index.ts';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { emit, median, printTable } from './report.ts';
import type { BenchResult } from './report.ts';

const AGENTS = [1000, 10000, 20000, 50000];
const FRAMEWORKS = [100, 1000, 2000, 6000];
const AGENT_RESOURCES = 'cpus:2;mem:1024;disk:4096;ports:[31000-32000]';
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function cluster(agents: number, frameworks: number, sorter: 'drf' | 'random' = 'drf', distinct = false): HierarchicalAllocator {
  const a = createAllocator({ seed: 42, sorter });
  for (let i = 0; i < frameworks; i++) {
    a.addFramework(asFrameworkId(`framework-${i}`), { roles: ['*'], suppressedRoles: [], gpuResources: false, revocableResources: false }, new Map(), true);
  }
  for (let i = 0; i < agents; i++) {
    // Each agent parses its own resources, as the master does on registration.
    const text = distinct ? AGENT_RESOURCES.replace('mem:1024', `mem:${1024 + (i % 997)}`) : AGENT_RESOURCES;
    a.addAgent(asAgentId(`agent-${i}`), { hostname: `agent-${i}`, attributes: {} }, Resources.parse(text), new Map());
  }
  return a;
}

function giveBack(a: HierarchicalAllocator, offers: readonly OfferDecision[], now: number, refuseSeconds?: number): void {
  const filters = refuseSeconds === undefined ? undefined : { refuseSeconds };
  for (const o of offers) a.recoverResources(o.frameworkId, o.agentId, o.resources, filters, now);
}

function timed(fn: () => OfferDecision[]): { ms: number; offers: OfferDecision[] } {
  gc();
  const t0 = process.hrtime.bigint();
  const offers = fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, offers };
}

function runsFor(agents: number, frameworks: number): number {
  const work = agents * Math.max(1, Math.log2(frameworks));
  return work >= 50000 * 10 ? 1 : work >= 20000 * 10 ? 3 : 5;
}

function point(agents: number, frameworks: number, only?: string): BenchResult[] {
  const out: BenchResult[] = [];
  const runs = runsFor(agents, frameworks);
  const record = (scenario: string, first: number, ms: number[], offers: number) => {
    const config = { agents, frameworks, scenario, runs, harness: 'in-process allocator' };
    for (const r of [
      { bench: 'allocator', config, metric: 'cycle_ms', value: median(ms), unit: 'ms' },
      { bench: 'allocator', config, metric: 'first_cycle_ms', value: first, unit: 'ms' },
      { bench: 'allocator', config, metric: 'offers', value: offers, unit: 'offers' },
    ]) {
      emit(r);
      out.push(r);
    }
  };
  let now = 0;

  const full = (scenario: string, sorter: 'drf' | 'random', distinct = false): void => {
    const a = cluster(agents, frameworks, sorter, distinct);
    const first = timed(() => a.allocate(now));
    giveBack(a, first.offers, now);
    const ms: number[] = [];
    let offers = 0;
    for (let i = 0; i < runs; i++) {
      const r = timed(() => a.allocate(++now));
      ms.push(r.ms);
      offers = r.offers.length;
      giveBack(a, r.offers, now);
    }
    record(scenario, first.ms, ms, offers);
  };

  if (only === 'distinct') {
    full('distinct', 'drf', true);
    return out;
  }

  // full: first in the process, so that its first cycle is the cold one
  full('full', 'drf');

  // suppressed
  {
    const a = cluster(agents, frameworks);
    for (let i = 0; i < frameworks; i += 2) a.suppressOffers(asFrameworkId(`framework-${i}`), []);
    const first = timed(() => a.allocate(now));
    giveBack(a, first.offers, now);
    const ms: number[] = [];
    let offers = 0;
    for (let i = 0; i < runs; i++) {
      const r = timed(() => a.allocate(++now));
      ms.push(r.ms);
      offers = r.offers.length;
      giveBack(a, r.offers, now);
    }
    record('suppressed', first.ms, ms, offers);
  }

  // filtered
  {
    const a = cluster(agents, frameworks);
    const ms: number[] = [];
    let firstMs = 0;
    let offers = 0;
    for (let i = 0; i <= runs; i++) {
      const before = a.allocate(++now);
      giveBack(a, before, now, 1e6);
      const r = timed(() => a.allocate(++now));
      if (i === 0) firstMs = r.ms;
      else ms.push(r.ms);
      offers = r.offers.length;
      giveBack(a, r.offers, now);
      for (let f = 0; f < frameworks; f++) a.reviveOffers(asFrameworkId(`framework-${f}`), []);
    }
    record('filtered', firstMs, ms, offers);
  }

  // random (small grid)
  if (agents <= 10000 && frameworks <= 1000) full('random', 'random');
  return out;
}

/** Runs each grid point in its own process, so that one point's heap does not skew the next. */
function grid(): void {
  const results: BenchResult[] = [];
  for (const ag of AGENTS) {
    for (const fw of FRAMEWORKS) {
      for (const extra of [[], ['distinct']]) {
        const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), String(ag), String(fw), ...extra], { encoding: 'utf8', maxBuffer: 1 << 24 });
        if (r.status !== 0) {
          process.stderr.write(r.stderr);
          process.exit(1);
        }
        for (const line of r.stdout.split('\n')) {
          if (!line.startsWith('{')) continue;
          const result = JSON.parse(line) as BenchResult;
          emit(result);
          results.push(result);
        }
      }
    }
  }
  printTable(results.filter((r) => r.metric !== 'offers'));
}

const args = process.argv.slice(2);
if (args.length >= 2) printTable(point(Number(args[0]), Number(args[1]), args[2]).filter((r) => r.metric !== 'offers'));
else grid();
