/**
 * The master registry (Mesos' registrar state): what a newly elected master must know that the
 * agents cannot tell it. Agents admitted (their AgentInfo, so a re-registering agent keeps its id
 * and a missing one can be marked unreachable), agents unreachable (with the time, oldest first)
 * and gone, role weights, quota, and the frameworks the cluster has seen (ids for failover, and
 * which were removed so they may not come back).
 *
 * Changes are operation objects (`RegistryOperation`); a batch of them is applied all or nothing
 * (registry-store.ts). `applyOperation` is the meaning of each operation, written once: the
 * in-memory store runs it, the PostgreSQL store does the same in SQL, and the contract suite
 * (registry-store.contract.ts) checks that both agree.
 *
 * Agent states: (none) -ADMIT-> admitted -MARK_UNREACHABLE-> unreachable -MARK_REACHABLE-> admitted;
 *               admitted|unreachable -MARK_GONE-> gone; unreachable -PRUNE-> (none); gone -PRUNE_GONE-> (none);
 *               admitted -UPDATE_AGENT_INFO-> admitted (the info replaced);
 *               admitted -REMOVE_AGENT-> (none) (its machine went DOWN: Mesos' RemoveSlave).
 * An operation on an agent in a state it does not apply to is a no-op, never an error, so a
 * batch never fails for a race the master already resolved.
 */
import type { AgentId, FrameworkId } from '../../common/ids.ts';
import type { mesos } from '../../proto/types.generated.ts';
import { toStoredJson } from '../../common/db/storable.ts';

export interface RegistryQuota {
  readonly guarantees: Readonly<Record<string, number>>;
  readonly limits: Readonly<Record<string, number>>;
}

export interface UnreachableAgentEntry {
  readonly info: mesos.v1.AgentInfo;
  readonly sinceMs: number;
}

export interface RegistryFramework {
  readonly info: mesos.v1.FrameworkInfo;
  /** Set once the framework was torn down or timed out: its id may not subscribe again. */
  readonly removedMs?: number;
}

export interface RegistrySnapshot {
  readonly admitted: Map<AgentId, mesos.v1.AgentInfo>;
  /** In the order the agents became unreachable (oldest first). */
  readonly unreachable: Map<AgentId, UnreachableAgentEntry>;
  /** Agent id -> when it was marked gone (ms). */
  readonly gone: Map<AgentId, number>;
  readonly weights: Map<string, number>;
  readonly quotas: Map<string, RegistryQuota>;
  readonly frameworks: Map<FrameworkId, RegistryFramework>;
}

export type RegistryOperation =
  /** A new agent (or one unknown to this registry) is admitted; `info.id` is its id. */
  | { readonly type: 'ADMIT_AGENT'; readonly info: mesos.v1.AgentInfo }
  | { readonly type: 'MARK_AGENT_UNREACHABLE'; readonly agentId: AgentId; readonly sinceMs: number }
  /** An unreachable agent re-registered: admitted again with the info it sent. */
  | { readonly type: 'MARK_AGENT_REACHABLE'; readonly info: mesos.v1.AgentInfo }
  | { readonly type: 'MARK_AGENT_GONE'; readonly agentId: AgentId; readonly sinceMs: number }
  /** An admitted agent re-registered with a changed AgentInfo (Mesos' UpdateSlave): its info is replaced. */
  | { readonly type: 'UPDATE_AGENT_INFO'; readonly info: mesos.v1.AgentInfo }
  /**
   * An admitted agent was removed by the operator without being marked gone: its machine went DOWN
   * (Mesos' RemoveSlave). Forgotten: a newly elected master does not await it; the agent comes
   * back with a new id.
   */
  | { readonly type: 'REMOVE_AGENT'; readonly agentId: AgentId }
  /** Unreachable agents forgotten (`--registry_max_agent_count`, `--registry_max_agent_age`). */
  | { readonly type: 'PRUNE_UNREACHABLE'; readonly agentIds: readonly AgentId[] }
  /** Gone agents forgotten, by the same bounds (Mesos prunes both lists); such an id may register again. */
  | { readonly type: 'PRUNE_GONE'; readonly agentIds: readonly AgentId[] }
  /** Sets these roles' weights (other roles keep theirs). */
  | { readonly type: 'UPDATE_WEIGHTS'; readonly weights: readonly (readonly [string, number])[] }
  /** Sets a role's quota; undefined removes it. */
  | { readonly type: 'UPDATE_QUOTA'; readonly role: string; readonly quota: RegistryQuota | undefined }
  /** A framework subscribed (or changed its info); a removed one stays removed. */
  | { readonly type: 'ADD_FRAMEWORK'; readonly frameworkId: FrameworkId; readonly info: mesos.v1.FrameworkInfo }
  | { readonly type: 'REMOVE_FRAMEWORK'; readonly frameworkId: FrameworkId; readonly removedMs: number };

export function emptyRegistry(): RegistrySnapshot {
  return { admitted: new Map(), unreachable: new Map(), gone: new Map(), weights: new Map(), quotas: new Map(), frameworks: new Map() };
}

/** A deep copy (stores hand out copies; callers may change what they get). */
export function cloneRegistry(r: RegistrySnapshot): RegistrySnapshot {
  const copy = <T>(v: T): T => structuredClone(v);
  return {
    admitted: new Map([...r.admitted].map(([k, v]) => [k, copy(v)])),
    unreachable: new Map([...r.unreachable].map(([k, v]) => [k, copy(v)])),
    gone: new Map(r.gone),
    weights: new Map(r.weights),
    quotas: new Map([...r.quotas].map(([k, v]) => [k, copy(v)])),
    frameworks: new Map([...r.frameworks].map(([k, v]) => [k, copy(v)])),
  };
}

function agentIdOf(info: mesos.v1.AgentInfo): AgentId {
  const id = info.id?.value;
  if (id === undefined || id === '') throw new InvalidRegistryOperationError('agent info without an id');
  return id as AgentId;
}

export class InvalidRegistryOperationError extends Error {
  override readonly name = 'InvalidRegistryOperationError';
}

/**
 * Throws InvalidRegistryOperationError (or UnstorableValueError) for an operation no store can
 * apply: a missing id, a non-finite weight or time, a text PostgreSQL cannot hold. The registrar
 * checks each operation before it joins a batch, so one bad operation fails alone.
 */
export function checkOperation(op: RegistryOperation): void {
  const finite = (n: number, what: string) => {
    if (!Number.isFinite(n)) throw new InvalidRegistryOperationError(`${op.type}: ${what} must be a finite number`);
  };
  switch (op.type) {
    case 'ADMIT_AGENT':
    case 'MARK_AGENT_REACHABLE':
    case 'UPDATE_AGENT_INFO':
      agentIdOf(op.info);
      toStoredJson(op.info, `${op.type} agent_info`);
      return;
    case 'MARK_AGENT_UNREACHABLE':
    case 'MARK_AGENT_GONE':
      finite(op.sinceMs, 'sinceMs');
      toStoredJson(op.agentId, `${op.type} agent_id`);
      return;
    case 'REMOVE_AGENT':
      toStoredJson(op.agentId, 'REMOVE_AGENT agent_id');
      return;
    case 'PRUNE_UNREACHABLE':
    case 'PRUNE_GONE':
      return;
    case 'UPDATE_WEIGHTS':
      for (const [role, w] of op.weights) {
        if (!(w > 0) || !Number.isFinite(w)) throw new InvalidRegistryOperationError(`UPDATE_WEIGHTS: weight of '${role}' must be positive`);
        toStoredJson(role, 'UPDATE_WEIGHTS role');
      }
      return;
    case 'UPDATE_QUOTA':
      toStoredJson(op, 'UPDATE_QUOTA');
      return;
    case 'ADD_FRAMEWORK':
      toStoredJson(op.info, 'ADD_FRAMEWORK framework_info');
      return;
    case 'REMOVE_FRAMEWORK':
      finite(op.removedMs, 'removedMs');
      return;
  }
}

/** Applies one operation to `r` in place (the in-memory meaning of every operation). */
export function applyOperation(r: RegistrySnapshot, op: RegistryOperation): void {
  switch (op.type) {
    case 'ADMIT_AGENT': {
      const id = agentIdOf(op.info);
      if (r.gone.has(id)) return;
      r.unreachable.delete(id);
      r.admitted.set(id, structuredClone(op.info));
      return;
    }
    case 'MARK_AGENT_UNREACHABLE': {
      const info = r.admitted.get(op.agentId);
      if (info === undefined) return;
      r.admitted.delete(op.agentId);
      r.unreachable.set(op.agentId, { info, sinceMs: op.sinceMs });
      return;
    }
    case 'MARK_AGENT_REACHABLE': {
      const id = agentIdOf(op.info);
      if (r.gone.has(id)) return;
      r.unreachable.delete(id);
      r.admitted.set(id, structuredClone(op.info));
      return;
    }
    case 'MARK_AGENT_GONE':
      if (r.gone.has(op.agentId)) return;
      r.admitted.delete(op.agentId);
      r.unreachable.delete(op.agentId);
      r.gone.set(op.agentId, op.sinceMs);
      return;
    case 'UPDATE_AGENT_INFO': {
      const id = agentIdOf(op.info);
      if (r.admitted.has(id)) r.admitted.set(id, structuredClone(op.info));
      return;
    }
    case 'REMOVE_AGENT':
      r.admitted.delete(op.agentId);
      return;
    case 'PRUNE_UNREACHABLE':
      for (const id of op.agentIds) r.unreachable.delete(id);
      return;
    case 'PRUNE_GONE':
      for (const id of op.agentIds) r.gone.delete(id);
      return;
    case 'UPDATE_WEIGHTS':
      for (const [role, w] of op.weights) r.weights.set(role, w);
      return;
    case 'UPDATE_QUOTA':
      if (op.quota === undefined) r.quotas.delete(op.role);
      else r.quotas.set(op.role, structuredClone(op.quota));
      return;
    case 'ADD_FRAMEWORK': {
      const old = r.frameworks.get(op.frameworkId);
      if (old?.removedMs !== undefined) return;
      r.frameworks.set(op.frameworkId, { info: structuredClone(op.info) });
      return;
    }
    case 'REMOVE_FRAMEWORK': {
      const old = r.frameworks.get(op.frameworkId);
      if (old?.removedMs !== undefined) return;
      r.frameworks.set(op.frameworkId, { info: old?.info ?? { name: '', user: '', id: { value: op.frameworkId } } as mesos.v1.FrameworkInfo, removedMs: op.removedMs });
      return;
    }
  }
}
