/**
 * Fluent fixture builders for allocator tests: `agent('a1').cpus(4).mem(8192).build()`,
 * `framework('f1').roles('web').gpu().build()`, and `harness()` which wires them into a real
 * allocator (never a fake) and summarises offers.
 */
import { asAgentId, asFrameworkId } from '../../common/ids.ts';
import type { AgentId, FrameworkId } from '../../common/ids.ts';
import { Resources } from '../../common/resources/resources.ts';
import type { AgentDescription, AllocatorOptions, FrameworkDescription, OfferDecision } from './allocator.ts';
import { createAllocator } from './hierarchical-allocator.ts';
import type { HierarchicalAllocator } from './hierarchical-allocator.ts';

export interface AgentFixture {
  readonly id: AgentId;
  readonly info: AgentDescription;
  readonly total: Resources;
}

export class AgentBuilder {
  private parts: string[] = [];
  constructor(private readonly id: string) {}
  private add(text: string): this {
    this.parts.push(text);
    return this;
  }
  cpus(n: number, role = '*'): this {
    return this.add(`cpus(${role}):${n}`);
  }
  mem(n: number, role = '*'): this {
    return this.add(`mem(${role}):${n}`);
  }
  disk(n: number, role = '*'): this {
    return this.add(`disk(${role}):${n}`);
  }
  gpus(n: number): this {
    return this.add(`gpus:${n}`);
  }
  ports(range: string, role = '*'): this {
    return this.add(`ports(${role}):[${range}]`);
  }
  resources(text: string): this {
    return this.add(text);
  }
  build(): AgentFixture {
    return { id: asAgentId(this.id), info: { hostname: `${this.id}.example`, attributes: {} }, total: Resources.parse(this.parts.join(';')) };
  }
}

export const agent = (id: string): AgentBuilder => new AgentBuilder(id);

export interface FrameworkFixture {
  readonly id: FrameworkId;
  readonly info: FrameworkDescription;
}

export class FrameworkBuilder {
  private roleList: string[] = [];
  private suppressedList: string[] = [];
  private gpuResources = false;
  private revocableResources = false;
  private minAlloc: Record<string, Resources[]> | undefined;
  constructor(private readonly id: string) {}
  roles(...roles: string[]): this {
    this.roleList = roles;
    return this;
  }
  suppressed(...roles: string[]): this {
    this.suppressedList = roles;
    return this;
  }
  gpu(): this {
    this.gpuResources = true;
    return this;
  }
  revocable(): this {
    this.revocableResources = true;
    return this;
  }
  minAllocatable(role: string, ...texts: string[]): this {
    this.minAlloc = { ...(this.minAlloc ?? {}), [role]: texts.map((t) => Resources.parse(t)) };
    return this;
  }
  build(): FrameworkFixture {
    const info: FrameworkDescription = {
      roles: this.roleList.length === 0 ? ['*'] : this.roleList,
      suppressedRoles: this.suppressedList,
      gpuResources: this.gpuResources,
      revocableResources: this.revocableResources,
      ...(this.minAlloc === undefined ? {} : { minAllocatable: this.minAlloc }),
    };
    return { id: asFrameworkId(this.id), info };
  }
}

export const framework = (id: string): FrameworkBuilder => new FrameworkBuilder(id);

export interface Harness {
  readonly allocator: HierarchicalAllocator;
  agents(...builders: AgentBuilder[]): Harness;
  frameworks(...builders: FrameworkBuilder[]): Harness;
}

export function harness(options: Partial<AllocatorOptions> = {}): Harness {
  const allocator = createAllocator({ seed: 7, ...options });
  const h: Harness = {
    allocator,
    agents(...builders) {
      for (const b of builders) {
        const a = b.build();
        allocator.addAgent(a.id, a.info, a.total, new Map());
      }
      return h;
    },
    frameworks(...builders) {
      for (const b of builders) {
        const f = b.build();
        allocator.addFramework(f.id, f.info, new Map(), true);
      }
      return h;
    },
  };
  return h;
}

/** Offers as sorted `framework@agent(role): resources` lines, easy to compare in tests. */
export function describe(decisions: readonly OfferDecision[]): string[] {
  return decisions.map((d) => `${d.frameworkId}@${d.agentId}(${d.role}): ${d.resources.unallocate().toString()}`).sort();
}

/** Number of offers per framework. */
export function offerCounts(decisions: readonly OfferDecision[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of decisions) out[d.frameworkId] = (out[d.frameworkId] ?? 0) + 1;
  return out;
}

/** Sum of one scalar offered per framework. */
export function offeredScalar(decisions: readonly OfferDecision[], name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of decisions) out[d.frameworkId] = (out[d.frameworkId] ?? 0) + d.resources.scalar(name);
  return out;
}
