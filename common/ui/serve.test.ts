// registerUi over Fastify inject: the shell, the esbuild bundle, the stylesheet, ETags and 304s.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { escapeHtml, registerUi } from './serve.ts';

function entry(t: import('ava').ExecutionContext, code: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-ui-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'dep.ts'), 'export const greet = (n: string): string => `hello ${n}`;\n');
  const file = join(dir, 'main.ts');
  writeFileSync(file, code);
  return file;
}

test('serves the shell, the bundled entry and the stylesheet under a prefix', async (t) => {
  const app = Fastify();
  t.teardown(() => app.close());
  await registerUi(app, { title: 'maestro <test>', entry: entry(t, "import { greet } from './dep.ts';\ndocument.title = greet('ui');\n"), prefix: '/ui/' });

  const shell = await app.inject({ url: '/ui/' });
  t.is(shell.statusCode, 200);
  t.regex(String(shell.headers['content-type']), /^text\/html/);
  t.true(shell.body.includes('<title>maestro &lt;test&gt;</title>'));
  t.true(shell.body.includes('src="/ui/assets/app.js"'));
  t.true(shell.body.includes('href="/ui/assets/app.css"'));

  const js = await app.inject({ url: '/ui/assets/app.js' });
  t.is(js.statusCode, 200);
  t.regex(String(js.headers['content-type']), /^application\/javascript/);
  t.true(js.body.includes('hello '), 'the import was bundled');
  t.false(js.body.includes('import {'), 'no imports left: one file');

  const css = await app.inject({ url: '/ui/assets/app.css' });
  t.is(css.statusCode, 200);
  t.true(css.body.includes('.topbar'));

  const redirect = await app.inject({ url: '/ui' });
  t.is(redirect.statusCode, 301);
  t.is(redirect.headers.location, '/ui/');
});

test('ETag: a matching If-None-Match answers 304 with no body', async (t) => {
  const app = Fastify();
  t.teardown(() => app.close());
  await registerUi(app, { title: 'x', entry: entry(t, 'console.log(1);\n'), prefix: '/' });
  const first = await app.inject({ url: '/assets/app.js' });
  const etag = first.headers.etag as string;
  t.regex(etag, /^"[\w-]+"$/);
  t.is(first.headers['cache-control'], 'no-cache');
  const again = await app.inject({ url: '/assets/app.js', headers: { 'if-none-match': etag } });
  t.is(again.statusCode, 304);
  t.is(again.body, '');
  const other = await app.inject({ url: '/assets/app.js', headers: { 'if-none-match': '"other"' } });
  t.is(other.statusCode, 200);
  const shell = await app.inject({ url: '/' });
  t.true(shell.body.includes('src="/assets/app.js"'));
});

test('a bad prefix or an entry that does not compile fails the registration', async (t) => {
  const app = Fastify();
  t.teardown(() => app.close());
  await t.throwsAsync(registerUi(app, { title: 'x', entry: entry(t, ''), prefix: 'ui' }), { message: /prefix/ });
  await t.throwsAsync(registerUi(app, { title: 'x', entry: entry(t, 'const = ;\n'), prefix: '/' }));
});

test('escapeHtml', (t) => {
  t.is(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});
