/**
 * Safety invariants of the allocator (STYLE.md), checked by fast-check over random event
 * sequences played against the real allocator:
 * - offered + allocated <= total per agent and resource (exactly: available + held == total);
 * - nothing is offered twice (offers of one cycle on one agent are disjoint and were available);
 * - the same state and seed give the same offers;
 * - declined resources are not re-offered to the framework before the filter expires;
 * - a cycle that offers a role unreserved cpus leaves the role and every ancestor with a cpus
 *   limit within it (consumption: unreserved held + everything reserved to the subtree).
 */
import test from 'ava';
import fc from 'fast-check';
import { asAgentId, asFrameworkId } from '../../common/ids.ts';
import type { AgentId, FrameworkId } from '../../common/ids.ts';
import { Resources } from '../../common/resources/resources.ts';
import type { OfferDecision } from './allocator.ts';
import { describe, framework } from './fixtures.ts';
import { isRoleOrDescendant, reservationRole } from '../../common/resources/resource.ts';
import { createAllocator } from './hierarchical-allocator.ts';

type Op =
  | { kind: 'agent'; text: string }
  | { kind: 'framework'; roles: string[]; gpu: boolean }
  | { kind: 'allocate'; dt: number }
  | { kind: 'recover'; pick: number; refuse: number | undefined }
  | { kind: 'suppress' | 'revive' | 'deactivate' | 'activate'; pick: number }
  | { kind: 'quota'; role: string; guarantee: number; limit: number }
  | { kind: 'removeFramework' | 'removeAgent' | 'reserve'; pick: number };

const roles = ['*', 'a', 'a/b', 'c'];
const agentText = fc
  .tuple(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 4096 }), fc.constantFrom('', ';gpus:1', ';cpus(a):1', ';cpus(c):2;mem(c):64', ';ports:[1-100]'))
  .map(([c, m, extra]) => `cpus:${c / 2};mem:${m}${extra}`);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: agentText.map((text) => ({ kind: 'agent' as const, text })) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('framework' as const), roles: fc.uniqueArray(fc.constantFrom(...roles), { minLength: 1, maxLength: 2 }), gpu: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('allocate' as const), dt: fc.integer({ min: 0, max: 4000 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('recover' as const), pick: fc.nat(), refuse: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('suppress' as const, 'revive' as const, 'deactivate' as const, 'activate' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('quota' as const), role: fc.constantFrom('a', 'a/b', 'c'), guarantee: fc.integer({ min: 0, max: 4 }), limit: fc.integer({ min: 0, max: 10 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('removeFramework' as const, 'removeAgent' as const, 'reserve' as const), pick: fc.nat() }) },
);

interface Held {
  readonly fw: FrameworkId;
  readonly agent: AgentId;
  readonly role: string;
  resources: Resources;
}

interface Declined {
  readonly fw: FrameworkId;
  readonly agent: AgentId;
  readonly role: string;
  readonly resources: Resources;
  readonly until: number;
}

/** Plays the ops; returns a transcript of every cycle's offers. Calls `check` with violations. */
function play(ops: readonly Op[], seed: number, fail: (why: string) => void): string[][] {
  const alloc = createAllocator({ seed });
  const totals = new Map<AgentId, Resources>();
  const fws: FrameworkId[] = [];
  const held: Held[] = [];
  let declined: Declined[] = [];
  let now = 0;
  let agentSeq = 0;
  let frameworkSeq = 0;
  const transcript: string[][] = [];
  /** cpus limits by role, in milli. */
  const limits = new Map<string, number>();
  /** Quota consumption of cpus by the subtree of `q`, in milli. */
  const consumption = (q: string): number => {
    let milli = 0;
    for (const h of held) {
      if (!isRoleOrDescendant(h.role, q)) continue;
      for (const e of h.resources.entries) if (e.name === 'cpus' && e.reservations.length === 0 && !e.revocable) milli += e.milli;
    }
    for (const total of totals.values()) {
      for (const e of total.entries) if (e.name === 'cpus' && e.reservations.length > 0 && isRoleOrDescendant(reservationRole(e), q)) milli += e.milli;
    }
    return milli;
  };
  for (const o of ops) {
    switch (o.kind) {
      case 'agent': {
        const id = asAgentId(`a${agentSeq++}`);
        const total = Resources.parse(o.text);
        totals.set(id, total);
        alloc.addAgent(id, { hostname: id, attributes: {} }, total, new Map());
        break;
      }
      case 'framework': {
        const id = asFrameworkId(`f${frameworkSeq++}`);
        fws.push(id);
        const b = framework(id).roles(...o.roles);
        if (o.gpu) b.gpu();
        alloc.addFramework(id, b.build().info, new Map(), true);
        break;
      }
      case 'allocate': {
        now += o.dt;
        const before = new Map([...totals.keys()].map((id) => [id, alloc.available(id)!]));
        const offers: OfferDecision[] = alloc.allocate(now);
        transcript.push(describe(offers));
        const perAgent = new Map<AgentId, Resources>();
        for (const d of offers) {
          const plain = d.resources.unallocate();
          const sum = (perAgent.get(d.agentId) ?? Resources.empty).plus(plain);
          perAgent.set(d.agentId, sum);
          if (!before.get(d.agentId)!.contains(sum)) fail(`offered twice or not available on ${d.agentId}: ${sum.toString()}`);
          for (const x of declined) {
            if (x.fw === d.frameworkId && x.agent === d.agentId && x.role === d.role && now < x.until && x.resources.contains(plain)) {
              fail(`re-offered declined ${plain.toString()} to ${d.frameworkId} on ${d.agentId} at ${now} (until ${x.until})`);
            }
          }
          held.push({ fw: d.frameworkId, agent: d.agentId, role: d.role, resources: d.resources });
        }
        for (const [q, limit] of limits) {
          const grew = offers.some((d) => isRoleOrDescendant(d.role, q) && d.resources.unreserved().scalar('cpus') > 0);
          if (grew && consumption(q) > limit) fail(`role ${q} consumes ${consumption(q)} milli cpus over its limit ${limit}`);
        }
        break;
      }
      case 'recover': {
        if (held.length === 0) break;
        const [h] = held.splice(o.pick % held.length, 1);
        alloc.recoverResources(h.fw, h.agent, h.resources, o.refuse === undefined ? undefined : { refuseSeconds: o.refuse }, now);
        if (o.refuse !== undefined && o.refuse > 0) declined.push({ fw: h.fw, agent: h.agent, role: h.role, resources: h.resources.unallocate(), until: now + o.refuse * 1000 });
        break;
      }
      case 'suppress':
      case 'revive':
      case 'deactivate':
      case 'activate': {
        if (fws.length === 0) break;
        const id = fws[o.pick % fws.length];
        if (o.kind === 'suppress') alloc.suppressOffers(id, []);
        else if (o.kind === 'revive') {
          alloc.reviveOffers(id, []);
          declined = declined.filter((x) => x.fw !== id);
        } else if (o.kind === 'deactivate') alloc.deactivateFramework(id);
        else alloc.activateFramework(id);
        break;
      }
      case 'quota':
        alloc.updateQuota(o.role, { guarantees: o.guarantee > 0 ? { cpus: o.guarantee } : {}, limits: { cpus: o.limit } });
        limits.set(o.role, o.limit * 1000);
        break;
      case 'removeFramework': {
        if (fws.length === 0) break;
        const [id] = fws.splice(o.pick % fws.length, 1);
        alloc.removeFramework(id);
        for (let i = held.length - 1; i >= 0; i--) if (held[i].fw === id) held.splice(i, 1);
        declined = declined.filter((x) => x.fw !== id);
        break;
      }
      case 'removeAgent': {
        if (totals.size === 0) break;
        const id = [...totals.keys()][o.pick % totals.size];
        alloc.removeAgent(id);
        totals.delete(id);
        for (let i = held.length - 1; i >= 0; i--) if (held[i].agent === id) held.splice(i, 1);
        break;
      }
      case 'reserve': {
        // RESERVE applied to offered resources: the holder keeps them, now dynamically reserved to the offer's role.
        const h = held[o.pick % Math.max(1, held.length)];
        if (h === undefined || h.role === '*') break;
        const from = h.resources;
        const plainFrom = from.unallocate();
        const unreserved = plainFrom.unreserved().filter((e) => !e.revocable);
        if (unreserved.isEmpty()) break;
        const toPlain = plainFrom.minus(unreserved).plus(unreserved.pushReservation({ type: 'DYNAMIC', role: h.role, principal: 'p' }));
        const to = toPlain.allocate(h.role);
        alloc.updateAllocation(h.fw, h.agent, from, to);
        totals.set(h.agent, totals.get(h.agent)!.minus(plainFrom).plus(toPlain));
        h.resources = to;
        break;
      }
    }
    for (const [id, total] of totals) {
      let sum = alloc.available(id)!;
      for (const h of held) if (h.agent === id) sum = sum.plus(h.resources.unallocate());
      if (!sum.equals(total)) fail(`agent ${id}: available + held = ${sum.toString()} != total ${total.toString()}`);
    }
  }
  return transcript;
}

const scenario = fc.array(op, { minLength: 5, maxLength: 60 });

test('property: available + held == total on every agent, nothing offered twice, declines honoured', (t) => {
  fc.assert(
    fc.property(scenario, fc.integer(), (ops, seed) => {
      const errors: string[] = [];
      play(ops, seed, (why) => errors.push(why));
      if (errors.length > 0) throw new Error(errors[0]);
    }),
    { numRuns: 150 },
  );
  t.pass();
});

test('property: the same events and seed give the same offers', (t) => {
  fc.assert(
    fc.property(scenario, fc.integer(), (ops, seed) => {
      const a = play(ops, seed, () => {});
      const b = play(ops, seed, () => {});
      return JSON.stringify(a) === JSON.stringify(b);
    }),
    { numRuns: 80 },
  );
  t.pass();
});
