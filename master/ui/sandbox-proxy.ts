/**
 * The sandbox browser's two stream topics: the master proxies the agent's `/files` API
 * (slave/http/files-api.ts, Mesos' answers) and pushes over the UI feed, so the browser never
 * talks to agents and never polls.
 *
 * - `sandbox-files {agent, path}`: the listing of a sandbox directory (`/files/browse`), pushed
 *   again when it changes (the master re-reads it every `listIntervalMs`);
 * - `sandbox-tail {agent, path}`: the last `tailBytes` of a file (`/files/read`), then every byte
 *   appended to it (`append` messages), read every `tailIntervalMs` from the last offset.
 *
 * The agent is looked up by id among registered agents (its reported HTTP endpoint); the agent's
 * path jail decides what may be read. The browser names an agent id and a path, never a host: the
 * request goes to `http://<endpoint>/files/<api>` with the path as a query parameter, and only to an
 * endpoint that is a plain `host:port` (an endpoint carrying a path, a query or user info would
 * redirect the request elsewhere on that host). Answers are read up to `maxAnswerBytes` (8 MiB) and
 * an agent's error text is cut to 200 characters. Agent errors are pushed as `error` messages (once
 * per distinct message) and reading goes on, since a sandbox can appear a moment after its task is
 * launched.
 *
 * The tail counts bytes, not characters: the agent answers `data` decoded as UTF-8, so a byte that is
 * not UTF-8 (or a character cut at a read's end) comes back as U+FFFD, three bytes long. Each round
 * asks the file's size first (`offset=-1`), then reads exactly the bytes between the last offset and
 * that size (64 KiB per read, at most 1 MiB a round) and advances by the bytes asked for. A file that
 * shrank (truncated, rotated) is tailed again from its new end (a new `snapshot`). While the
 * browser's socket is backed up nothing is read.
 */
import type { AgentId } from '../../common/ids.ts';
import type { ParseResult } from '../../common/ui/paging.ts';
import type { LiveTopic, StreamEmitter } from '../../common/ui/live-server.ts';
import type { MasterState } from '../master-state.ts';
import type { SandboxEntry, SandboxListing, TailChunk } from './web/master-protocol.ts';

export interface SandboxParams {
  readonly agent: string;
  readonly path: string;
}

export interface SandboxProxyOptions {
  readonly state: MasterState;
  readonly listIntervalMs?: number;
  readonly tailIntervalMs?: number;
  readonly tailBytes?: number;
  readonly maxAnswerBytes?: number;
  /** An agent request gives up after this long (default 10 s). */
  readonly requestTimeoutMs?: number;
}

/** One `/files/read` answers at most 64 KiB (agent's read-params.ts). */
const READ_CHUNK = 64 * 1024;
/** Reads per tail round at most (1 MiB): a file growing faster is followed over several rounds. */
const READS_PER_ROUND = 16;
const ERROR_TEXT = 200;

/** `host:port` with a DNS name, IPv4 or bracketed IPv6 host: nothing that can carry a path, query or user. */
const ENDPOINT = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\]):[0-9]{1,5}$/;

/** The base URL of an agent's HTTP endpoint as it registered, or undefined when it is not a plain `host:port`. */
export function agentBaseUrl(endpoint: string): string | undefined {
  if (!ENDPOINT.test(endpoint)) return undefined;
  const port = Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
  return port >= 1 && port <= 65535 ? `http://${endpoint}` : undefined;
}

export function parseSandboxParams(raw: Readonly<Record<string, unknown>>): ParseResult<SandboxParams> {
  const { agent, path } = raw;
  if (typeof agent !== 'string' || agent === '' || agent.length > 256) return { ok: false, field: 'agent', message: 'agent must be an agent id' };
  if (typeof path !== 'string' || !path.startsWith('/') || path.length > 4096) return { ok: false, field: 'path', message: "path must be an absolute sandbox path (starting with '/')" };
  return { ok: true, value: { agent, path } };
}

class AgentFilesError extends Error {}

/** The body as text, refused past `max` bytes (an agent answer is never that large). */
async function boundedText(res: Response, max: number): Promise<string> {
  if (res.body === null) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.byteLength;
    if (size > max) throw new AgentFilesError(`agent answer larger than ${max} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function agentJson(base: string, api: string, query: Record<string, string>, maxBytes: number, signal: AbortSignal): Promise<unknown> {
  const url = new URL(`/files/${api}`, base);
  url.search = new URLSearchParams(query).toString();
  // The agent's answer, never a redirect to somewhere else.
  const res = await fetch(url, { signal, redirect: 'manual' });
  const text = await boundedText(res, maxBytes);
  if (res.status === 404) throw new AgentFilesError(`${query.path}: no such file or directory on the agent`);
  if (!res.ok) throw new AgentFilesError(`agent answered ${res.status}: ${text.trim().slice(0, ERROR_TEXT)}`);
  try {
    return JSON.parse(text);
  } catch {
    throw new AgentFilesError('agent answered something that is not JSON');
  }
}

export function createSandboxTopics(options: SandboxProxyOptions): { 'sandbox-files': LiveTopic<SandboxParams>; 'sandbox-tail': LiveTopic<SandboxParams> } {
  const listInterval = options.listIntervalMs ?? 2000;
  const tailInterval = options.tailIntervalMs ?? 500;
  const tailBytes = options.tailBytes ?? READ_CHUNK;
  const maxAnswer = options.maxAnswerBytes ?? 8 * 1024 * 1024;
  const requestTimeout = options.requestTimeoutMs ?? 10_000;
  const endpointOf = (agent: string) => options.state.agents.get(agent as AgentId)?.endpoint;

  /** Runs `step` now and then every `interval` after each run ends; errors go to emit.error once each. */
  const loop = (p: SandboxParams, emit: StreamEmitter, interval: number, step: (base: string, signal: AbortSignal) => Promise<void>) => {
    let stopped = false;
    // Aborts the request in flight when the subscription ends (a closed page, a master shutting down).
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let lastError = '';
    const round = async () => {
      const endpoint = endpointOf(p.agent);
      const base = endpoint === undefined ? undefined : agentBaseUrl(endpoint);
      try {
        if (endpoint === undefined) throw new AgentFilesError(`agent ${p.agent} is not registered (or has no HTTP endpoint)`);
        if (base === undefined) throw new AgentFilesError(`agent ${p.agent} registered an HTTP endpoint that is not host:port`);
        await step(base, AbortSignal.any([abort.signal, AbortSignal.timeout(requestTimeout)]));
        lastError = '';
      } catch (e) {
        const message = e instanceof AgentFilesError ? e.message : `agent unavailable: ${(e as Error).message}`;
        if (!stopped && message !== lastError) emit.error(message, e instanceof AgentFilesError && base === undefined ? 'agent' : undefined);
        lastError = message;
      }
    };
    const run = async () => {
      // The browser is not reading: ask nothing for it until its socket drains.
      if (emit.backedUp?.() !== true) await round();
      if (!stopped) timer = setTimeout(run, interval);
    };
    void run();
    return () => {
      stopped = true;
      abort.abort();
      if (timer) clearTimeout(timer);
    };
  };

  return {
    'sandbox-files': {
      parse: parseSandboxParams,
      stream(p, emit) {
        let last = '';
        return loop(p, emit, listInterval, async (base, signal) => {
          const list = await agentJson(base, 'browse', { path: p.path }, maxAnswer, signal);
          if (!Array.isArray(list)) throw new AgentFilesError('agent answered a listing that is not a list');
          const entries: SandboxEntry[] = (list as { path: string; size: number; mtime: number; mode: string }[]).map((e) => ({
            path: e.path, name: e.path.slice(e.path.lastIndexOf('/') + 1), dir: e.mode.startsWith('d'), size: e.size, mtime: Math.round(e.mtime * 1000),
          }));
          const listing: SandboxListing = { path: p.path, entries };
          const json = JSON.stringify(listing);
          if (json !== last) emit.snapshot(listing);
          last = json;
        });
      },
    },
    'sandbox-tail': {
      parse: parseSandboxParams,
      stream(p, emit) {
        /** The next byte to read; undefined until the first snapshot. */
        let offset: number | undefined;
        return loop(p, emit, tailInterval, async (base, signal) => {
          const sizeAnswer = await agentJson(base, 'read', { path: p.path, offset: '-1' }, maxAnswer, signal) as { offset?: unknown };
          const size = sizeAnswer.offset;
          if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new AgentFilesError('agent answered a read without a size');
          /** `length` bytes from `from` (the agent reads exactly that many while the file does not shrink). */
          const read = async (from: number, length: number): Promise<string> => {
            const chunk = await agentJson(base, 'read', { path: p.path, offset: String(from), length: String(length) }, maxAnswer, signal) as { data?: unknown };
            if (typeof chunk.data !== 'string') throw new AgentFilesError('agent answered a read without data');
            return chunk.data;
          };
          if (offset === undefined || size < offset) {
            // First round, or the file shrank: show its last tailBytes again.
            const start = Math.max(0, size - tailBytes);
            let data = '';
            for (let at = start; at < size; at += READ_CHUNK) data += await read(at, Math.min(READ_CHUNK, size - at));
            offset = size;
            emit.snapshot({ offset: start, data } satisfies TailChunk);
            return;
          }
          for (let reads = 0; offset < size && reads < READS_PER_ROUND && emit.backedUp?.() !== true; reads++) {
            const length = Math.min(READ_CHUNK, size - offset);
            const data = await read(offset, length);
            emit.append({ offset, data } satisfies TailChunk);
            offset += length;
          }
        });
      },
    },
  };
}
