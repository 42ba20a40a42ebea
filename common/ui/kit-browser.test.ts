// The kit in a real browser (Debian's chromium): a live table in scroll mode over 100,000 rows
// that the server pages (the browser asks only for the window in view), server-side filter and
// sort from the table's controls, and the JSON editor showing a Marathon-shaped 422 at the field.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { registerUi } from './serve.ts';
import { createLiveHub } from './live-server.ts';
import { matchesFilter, parsePageParams, takePage } from './paging.ts';
import type { PageParams } from './web/live-protocol.ts';
import { openBrowser, screenshot, waitForText } from '../../test/support/browser.ts';

interface Row { readonly id: number; readonly name: string }

test('table (scroll mode, 100,000 rows paged on the server) and JSON editor field errors', async (t) => {
  const rows: Row[] = Array.from({ length: 100_000 }, (_, id) => ({ id, name: `row-${String(id).padStart(6, '0')}` }));
  const asked: PageParams[] = [];
  const hub = createLiveHub({
    topics: {
      rows: {
        parse: (raw) => parsePageParams(raw, ['id', 'name'], 'id'),
        snapshot: (p: PageParams) => {
          asked.push(p);
          return takePage(rows, p, (r) => matchesFilter(p.filter, [r.name]), (a, b) => (p.sort === 'name' ? a.name.localeCompare(b.name) : a.id - b.id));
        },
      },
    },
  });
  const app = Fastify();
  app.post('/validate', (request, reply) => {
    const body = request.body as { cpus?: unknown };
    if (typeof body.cpus === 'number' && body.cpus > 0) return reply.code(200).send({});
    return reply.code(422).send({ message: 'Object is not valid', details: [{ path: '/cpus', errors: ['must be greater than 0'] }] });
  });
  await registerUi(app, { title: 'kit test', entry: fileURLToPath(new URL('./web/testing/table-demo.ts', import.meta.url)), prefix: '/' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  hub.attach(app.server, '/ui/ws');
  t.teardown(async () => {
    await hub.close();
    await app.close();
  });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/`;

  const b = await openBrowser(t);
  const page = await b.openPage(url);
  await waitForText(page, 'live', '[data-testid=live-state]');
  await waitForText(page, 'of 100,000', '.live-table .summary');
  // Only a window of rows is in the document, not 100,000.
  t.true(await page.locator('[data-testid=rows] tbody tr:not(.spacer)').count() <= 100);

  // Scrolled to the middle: the browser asks the server for a window there and shows its rows.
  await page.locator('.scroller').evaluate((el) => { el.scrollTop = 28 * 50_000; });
  await waitForText(page, 'row-050000', '[data-testid=rows]');
  const last = asked[asked.length - 1];
  t.true(last.offset > 49_900 && last.offset <= 50_000, `window offset ${last.offset}`);
  t.true(last.limit < 100, `window limit ${last.limit}`);
  await screenshot(page, 'kit-table-scrolled');

  // The filter box and a header click become server parameters.
  await page.fill('[data-testid=rows-filter]', 'row-04242');
  await waitForText(page, '1–10 of 10', '.live-table .summary');
  t.is(asked[asked.length - 1].filter, 'row-04242');
  await page.click('[data-testid=rows] th[data-key=name]');
  await page.click('[data-testid=rows] th[data-key=name]');
  await page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): { textContent: string | null } | null } }).document.querySelector('[data-testid=rows] tbody tr:not(.spacer) td:nth-child(2)')?.textContent === 'row-042429');
  t.like(asked[asked.length - 1], { sort: 'name', desc: true, filter: 'row-04242' });

  // The editor: invalid JSON is caught in the browser and its line marked; a 422 is shown at its
  // field's line (gutter mark, the message beside it, the list names the line); clicking the
  // listed error selects the field's text; typing clears the marks.
  const area = page.locator('textarea.json-input');
  await area.fill('{\n  "id": "/demo",\n  "cpus": 0');
  await page.click('[data-testid=editor-submit]');
  await waitForText(page, 'Not JSON', 'li[data-field-error=""]');
  await area.fill('{\n  "id": "/demo",\n  "cpus": 0\n}');
  await page.click('[data-testid=editor-submit]');
  const cpus = page.locator('li[data-field-error="/cpus"]');
  await cpus.waitFor();
  t.is(await cpus.getAttribute('data-line'), '3');
  t.is(await page.locator('[data-error-line="3"]').count(), 1);
  t.regex(await page.locator('[data-note-line="3"]').innerText(), /\/cpus: must be greater than 0/);
  t.is(await page.locator('[data-testid=editor-banner] [data-refusal="422"]').count(), 1);
  await screenshot(page, 'kit-json-editor-error');
  await cpus.locator('button').click();
  t.is(await area.evaluate((el) => {
    const a = el as unknown as { value: string; selectionStart: number; selectionEnd: number };
    return a.value.slice(a.selectionStart, a.selectionEnd);
  }), '"cpus": 0');
  await area.press('End');
  await area.pressSequentially('0');
  t.is(await page.locator('li[data-field-error], [data-error-line], [data-note-line]').count(), 0, 'typing clears the marks');
  await area.fill('{\n  "id": "/demo",\n  "cpus": 2\n}');
  await page.click('[data-testid=editor-submit]');
  await waitForText(page, 'saved', '[data-testid=editor-banner]');
  t.is(await page.locator('li[data-field-error]').count(), 0);
  // Chromium logs every 4xx answer to a fetch; the 422 was the point of the exercise.
  t.deepEqual(b.errors.filter((e) => !e.includes('status of 422')), []);
});
