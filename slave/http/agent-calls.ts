/**
 * The agent operator API's dispatch: a validated `mesos.v1.agent.Call` and the AgentView in, an
 * answer value out (a `mesos.v1.agent.Response` of the matching type, a rejection with its
 * status, or 501 naming a call this agent does not implement). No HTTP here; operator-api.ts
 * turns answers into responses. LIST_FILES and READ_FILE go through the same sandbox jail as
 * /files, with the same outcomes (404 not attached or missing, 400 outside the sandbox or a
 * directory read).
 */
import type { mesos } from '../../proto/types.generated.ts';
import type { AgentView } from '../agent-view.ts';
import { versionInfo, type BuildInfo } from '../../master/http/version-info.ts';
import type { AgentCall } from './agent-call-validation.ts';
import { v1FileInfo, type OwnerNames } from './file-info.ts';
import { joinVirtual } from './virtual-paths.ts';
import { EscapedSandboxError, fromUri, listDirectory, readSandboxFile, resolveSandboxPath } from './files-jail.ts';

type Response = mesos.v1.agent.Response;

export type AgentCallAnswer =
  | { readonly kind: 'response'; readonly response: Response }
  | { readonly kind: 'rejected'; readonly status: number; readonly message: string };

export interface AgentCallContext {
  readonly view: AgentView;
  readonly version: string;
  readonly build: BuildInfo;
  readonly names: OwnerNames;
}

export function notImplementedMessage(type: string): string {
  return `Call '${type}' is not implemented by this agent`;
}

const response = (r: Response): AgentCallAnswer => ({ kind: 'response', response: r });
const rejected = (status: number, message: string): AgentCallAnswer => ({ kind: 'rejected', status, message });

async function listFiles(ctx: AgentCallContext, path: string): Promise<AgentCallAnswer> {
  const resolution = await resolveSandboxPath(path, ctx.view.sandboxes());
  if (resolution.kind === 'not-found') return rejected(404, '');
  if (resolution.kind === 'inaccessible') return rejected(400, `${resolution.message}.\n`);
  const entries = resolution.stats.isDirectory() ? await listDirectory(resolution.realPath) : [];
  const infos = entries.map((e) => v1FileInfo(joinVirtual(fromUri(path), e.name), e.stats, ctx.names));
  return response({ type: 'LIST_FILES', list_files: infos.length > 0 ? { file_infos: infos } : {} });
}

async function readFile(ctx: AgentCallContext, read: mesos.v1.agent.Call.ReadFile): Promise<AgentCallAnswer> {
  const resolution = await resolveSandboxPath(read.path, ctx.view.sandboxes());
  if (resolution.kind === 'not-found') return rejected(404, '');
  if (resolution.kind === 'inaccessible') return rejected(400, `${resolution.message}.\n`);
  if (resolution.stats.isDirectory()) return rejected(400, 'Cannot read a directory.\n');
  try {
    const result = await readSandboxFile(resolution, read.offset, read.length);
    return response({ type: 'READ_FILE', read_file: { size: result.size, data: result.data.toString('base64') } });
  } catch (error) {
    if (error instanceof EscapedSandboxError) return rejected(400, `${error.message}.\n`);
    return rejected(500, `Failed to open file at '${resolution.realPath}': ${(error as Error).message}.\n`);
  }
}

export async function answerAgentCall(ctx: AgentCallContext, call: AgentCall): Promise<AgentCallAnswer> {
  const { view } = ctx;
  const type = call.type as string;
  switch (type) {
    case 'GET_HEALTH':
      return response({ type: 'GET_HEALTH', get_health: { healthy: true } });
    case 'GET_FLAGS':
      return response({ type: 'GET_FLAGS', get_flags: { flags: Object.entries(view.flags()).map(([name, value]) => ({ name, value })) } });
    case 'GET_VERSION':
      return response({ type: 'GET_VERSION', get_version: { version_info: versionInfo(ctx.version, ctx.build) } });
    case 'GET_METRICS':
      return response({ type: 'GET_METRICS', get_metrics: { metrics: Object.entries(view.metrics()).map(([name, value]) => ({ name, value })) } });
    case 'GET_STATE':
      return response({ type: 'GET_STATE', get_state: view.getState() });
    case 'GET_CONTAINERS':
      return response({ type: 'GET_CONTAINERS', get_containers: await view.getContainers() });
    case 'GET_FRAMEWORKS':
      return response({ type: 'GET_FRAMEWORKS', get_frameworks: view.getFrameworks() });
    case 'GET_EXECUTORS':
      return response({ type: 'GET_EXECUTORS', get_executors: view.getExecutors() });
    case 'GET_TASKS':
      return response({ type: 'GET_TASKS', get_tasks: view.getTasks() });
    case 'GET_AGENT':
      return response({ type: 'GET_AGENT', get_agent: view.getAgent() });
    case 'LIST_FILES':
      return listFiles(ctx, call.list_files!.path);
    case 'READ_FILE':
      return readFile(ctx, call.read_file!);
    default:
      return rejected(501, notImplementedMessage(type));
  }
}
