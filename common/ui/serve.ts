/**
 * `registerUi(app, options)`: serves one web UI from a Fastify app. At registration the UI's
 * browser entry (`<component>/ui/web/main.ts`) is bundled by esbuild in memory (ES2022, one ESM
 * file, no files written) and the kit's stylesheet is read; then:
 *
 *   GET <prefix>                 the HTML shell (title, stylesheet, script, an empty #app)
 *   GET <prefix>assets/app.js    the bundle
 *   GET <prefix>assets/app.css   the kit's stylesheet (common/ui/web/ui.css) plus the UI's own
 *
 * Each answer carries a strong ETag (sha-1 of its bytes) and `Cache-Control: no-cache`, so a
 * browser revalidates and gets 304 until the server restarts with other code. Bundles are cached
 * per entry file in the process: many apps of one process (tests) bundle once.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { build } from 'esbuild';

export interface UiOptions {
  /** `<title>` and the header of the page. */
  readonly title: string;
  /** Absolute path of the browser entry (a `ui/web/main.ts`). */
  readonly entry: string;
  /** Where the shell is served: '/' (master) or '/ui/' (marathon, batch). Must start and end with '/'. */
  readonly prefix: string;
  /** Extra CSS appended to the kit's stylesheet (absolute path), if the UI has its own. */
  readonly css?: string;
}

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

const KIT_CSS = fileURLToPath(new URL('./web/ui.css', import.meta.url));
const bundles = new Map<string, Promise<string>>();

function asset(body: string, type: string): Asset {
  const bytes = Buffer.from(body);
  return { body: bytes, type, etag: `"${createHash('sha1').update(bytes).digest('base64url')}"` };
}

/** The bundle of one entry, built once per process. */
export function bundleEntry(entry: string): Promise<string> {
  let p = bundles.get(entry);
  if (p === undefined) {
    p = build({
      entryPoints: [entry], bundle: true, write: false, format: 'esm', target: 'es2022', platform: 'browser',
      minify: true, sourcemap: false, legalComments: 'none', logLevel: 'silent',
    }).then((r) => r.outputFiles[0].text);
    // A failed build is not cached: the next registration tries again (and reports the error again).
    p.catch(() => bundles.delete(entry));
    bundles.set(entry, p);
  }
  return p;
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c]);

export function htmlShell(title: string, prefix: string): string {
  const t = escapeHtml(title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${prefix}assets/app.css">
</head>
<body data-title="${t}" data-prefix="${escapeHtml(prefix)}">
<div id="app"><p class="loading">Loading ${t}…</p></div>
<script type="module" src="${prefix}assets/app.js"></script>
</body>
</html>
`;
}

function send(request: FastifyRequest, reply: FastifyReply, a: Asset): void {
  reply.header('etag', a.etag).header('cache-control', 'no-cache');
  if (request.headers['if-none-match'] === a.etag) {
    reply.code(304).send();
    return;
  }
  reply.code(200).type(a.type).send(a.body);
}

export async function registerUi(app: FastifyInstance, options: UiOptions): Promise<void> {
  const { prefix } = options;
  if (!prefix.startsWith('/') || !prefix.endsWith('/')) throw new Error(`registerUi: prefix must start and end with '/', got '${prefix}'`);
  const js = asset(await bundleEntry(options.entry), 'application/javascript; charset=utf-8');
  let cssText = readFileSync(KIT_CSS, 'utf8');
  if (options.css !== undefined) cssText += `\n${readFileSync(options.css, 'utf8')}`;
  const css = asset(cssText, 'text/css; charset=utf-8');
  const html = asset(htmlShell(options.title, prefix), 'text/html; charset=utf-8');

  app.get(prefix, (request, reply) => send(request, reply, html));
  if (prefix !== '/') app.get(prefix.slice(0, -1), (_request, reply) => { reply.redirect(prefix, 301); });
  app.get(`${prefix}assets/app.js`, (request, reply) => send(request, reply, js));
  app.get(`${prefix}assets/app.css`, (request, reply) => send(request, reply, css));
}
