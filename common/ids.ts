/**
 * Branded identifier types. An id is a string at run time; the brand keeps an AgentId from being
 * passed where a FrameworkId is expected. Convert at the edge (proto adapters, HTTP handlers)
 * with the `as*` helpers, never with bare casts in the core.
 */
declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type AgentId = Brand<string, 'AgentId'>;
export type FrameworkId = Brand<string, 'FrameworkId'>;
export type OfferId = Brand<string, 'OfferId'>;
export type TaskId = Brand<string, 'TaskId'>;
export type ExecutorId = Brand<string, 'ExecutorId'>;
export type StreamId = Brand<string, 'StreamId'>;
export type RoleName = Brand<string, 'RoleName'>;

export const asAgentId = (s: string): AgentId => s as AgentId;
export const asFrameworkId = (s: string): FrameworkId => s as FrameworkId;
export const asOfferId = (s: string): OfferId => s as OfferId;
export const asTaskId = (s: string): TaskId => s as TaskId;
export const asExecutorId = (s: string): ExecutorId => s as ExecutorId;
export const asStreamId = (s: string): StreamId => s as StreamId;
export const asRoleName = (s: string): RoleName => s as RoleName;
