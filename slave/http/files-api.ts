/**
 * `/files/browse`, `/files/read`, `/files/download` and `/files/debug` (and their `.json`
 * aliases) on the agent, with Mesos' answers: 400 "Expecting 'path=value' in query." without a
 * path; 404 (empty body) for a path that is not attached or does not exist; 400 with the jail's
 * message for a path that leaves its sandbox (files-jail.ts); 400 for a malformed or negative
 * offset or length and for reading or downloading a directory. Browse lists a directory's
 * entries sorted by name (a file lists nothing, as in Mesos); read answers `{data, offset}`;
 * download streams the bytes as an attachment. `jsonp=<callback>` wraps a JSON answer as Mesos
 * does, but only for a callback that is a plain JavaScript name (`cb`, `jQuery123.x`): anything
 * else is answered as plain JSON, so the parameter cannot inject script into the answer.
 */
import { extname, basename } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AgentView } from '../agent-view.ts';
import { sendText } from '../../master/http/text-response.ts';
import { legacyFileInfo, type OwnerNames } from './file-info.ts';
import { EscapedSandboxError, fromUri, listDirectory, openJailed, readSandboxFile, resolveSandboxPath, type Resolution } from './files-jail.ts';
import { MISSING_PATH_MESSAGE, parseReadQuery } from './read-params.ts';
import { attachmentTable, joinVirtual } from './virtual-paths.ts';

export interface FilesApiDeps {
  readonly view: AgentView;
  readonly names: OwnerNames;
}

const DOWNLOAD_TYPES: Readonly<Record<string, string>> = {
  '.txt': 'text/plain', '.log': 'text/plain', '.html': 'text/html', '.htm': 'text/html', '.css': 'text/css',
  '.js': 'application/javascript', '.json': 'application/json', '.xml': 'application/xml',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.svg': 'image/svg+xml',
  '.pdf': 'application/pdf', '.gz': 'application/x-gzip', '.tgz': 'application/x-gzip', '.tar': 'application/x-tar',
  '.zip': 'application/zip',
};

/** The first value of each query parameter. */
export function queryOf(request: FastifyRequest): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries((request.query ?? {}) as Record<string, unknown>)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') out[key] = first;
  }
  return out;
}

const JSONP_CALLBACK = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;

/** A JSON answer, or `callback(json);` as text/javascript when `jsonp` is a plain callback name. */
export function sendJsonOrJsonp(reply: FastifyReply, json: unknown, jsonp: string | undefined): void {
  const text = JSON.stringify(json);
  if (jsonp !== undefined && JSONP_CALLBACK.test(jsonp)) {
    reply.code(200).type('text/javascript').send(`${jsonp}(${text});`);
    return;
  }
  reply.code(200).type('application/json').send(text);
}

/** Answers a resolution that found nothing usable; true when it did. */
function answeredFailure(reply: FastifyReply, resolution: Resolution): resolution is Exclude<Resolution, { kind: 'found' }> {
  if (resolution.kind === 'not-found') {
    reply.code(404).send();
    return true;
  }
  if (resolution.kind === 'inaccessible') {
    sendText(reply, 400, `${resolution.message}.\n`);
    return true;
  }
  return false;
}

/** A file that resolved but could not be opened: 400 when it turned out to be outside its sandbox, else 500 (Mesos). */
export function sendOpenFailure(reply: FastifyReply, realPath: string, error: unknown): void {
  if (error instanceof EscapedSandboxError) {
    sendText(reply, 400, `${error.message}.\n`);
    return;
  }
  sendText(reply, 500, `Failed to open file at '${realPath}': ${(error as Error).message}.\n`);
}

export function registerFilesApi(app: FastifyInstance, deps: FilesApiDeps): void {
  const route = (name: string, handler: (request: FastifyRequest, reply: FastifyReply) => Promise<void> | void): void => {
    app.get(`/files/${name}`, handler);
    app.get(`/files/${name}.json`, handler);
  };

  route('browse', async (request, reply) => {
    const query = queryOf(request);
    const path = query.path;
    if (path === undefined || path === '') {
      sendText(reply, 400, MISSING_PATH_MESSAGE);
      return;
    }
    const resolution = await resolveSandboxPath(path, deps.view.sandboxes());
    if (answeredFailure(reply, resolution)) return;
    // Mesos lists a directory's entries; a file has none.
    const entries = resolution.stats.isDirectory() ? await listDirectory(resolution.realPath) : [];
    const base = fromUri(path);
    sendJsonOrJsonp(reply, entries.map((e) => legacyFileInfo(joinVirtual(base, e.name), e.stats, deps.names)), query.jsonp);
  });

  route('read', async (request, reply) => {
    const query = queryOf(request);
    const parsed = parseReadQuery(query);
    if (!parsed.ok) {
      sendText(reply, 400, parsed.message);
      return;
    }
    const resolution = await resolveSandboxPath(parsed.path, deps.view.sandboxes());
    if (answeredFailure(reply, resolution)) return;
    if (resolution.stats.isDirectory()) {
      sendText(reply, 400, 'Cannot read a directory.\n');
      return;
    }
    let result;
    try {
      result = await readSandboxFile(resolution, parsed.offset, parsed.length);
    } catch (error) {
      sendOpenFailure(reply, resolution.realPath, error);
      return;
    }
    sendJsonOrJsonp(reply, { data: result.data.toString('utf8'), offset: result.offset }, query.jsonp);
  });

  route('download', async (request, reply) => {
    const path = queryOf(request).path;
    if (path === undefined || path === '') {
      sendText(reply, 400, MISSING_PATH_MESSAGE);
      return;
    }
    const resolution = await resolveSandboxPath(path, deps.view.sandboxes());
    if (answeredFailure(reply, resolution)) return;
    if (resolution.stats.isDirectory()) {
      sendText(reply, 400, 'Cannot download a directory.\n');
      return;
    }
    let handle;
    try {
      handle = await openJailed(resolution);
    } catch (error) {
      sendOpenFailure(reply, resolution.realPath, error);
      return;
    }
    const name = basename(resolution.realPath);
    const stream = handle.createReadStream();
    await reply
      .code(200)
      .header('Content-Type', DOWNLOAD_TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream')
      .header('Content-Disposition', `attachment; filename=${name}`)
      .send(stream);
  });

  route('debug', (request, reply) => {
    sendJsonOrJsonp(reply, Object.fromEntries(attachmentTable(deps.view.sandboxes())), queryOf(request).jsonp);
  });
}
