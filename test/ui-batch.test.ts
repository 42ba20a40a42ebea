/**
 * The batch UI in a real browser (Debian's chromium through playwright-core) against a real
 * master, agent, PostgreSQL, Redis and `maestro batch`: a bad job shows its error at the field
 * and stores nothing; a job typed into the editor, run from the UI, succeeds, and its stdout and
 * stderr (read by batch from the agent's sandbox through the master) show on the run page; the
 * list shows schedules and the history; a long run's output shows while it runs, and it is
 * stopped from the UI. Every wait is on what the page shows (pushed by batch's
 * live feed), never on time. Screenshots go to test-artifacts/screenshots/; with
 * MAESTRO_DOCS_SCREENSHOTS=1 also to docs/images/batch-*.png.
 */
import test from 'ava';
import { fieldErrorLine, openBrowser, screenshotOnFailure, typeJson, uiScreenshots, waitForText } from './support/browser.ts';
import { call } from './support/marathon-cluster.ts';
import { startBatchCluster } from './support/batch-cluster.ts';

const shot = uiScreenshots('batch');

test('batch UI: errors at the field, a job created and run from the UI succeeds and shows its logs', async (t) => {
  const c = await startBatchCluster(t);
  const base = c.batch.url;
  // A scheduled job made through the API: the list shows its schedule and next run.
  const nightly = { id: 'nightly-report', description: 'Builds the nightly report', run: { cmd: 'true', cpus: 0.1, mem: 32, disk: 0 },
    schedules: [{ id: 'nightly', cron: '0 2 * * *', timezone: 'UTC', concurrencyPolicy: 'FORBID', enabled: true }] };
  t.is((await call(base, 'POST', '/v0/scheduled-jobs', nightly)).status, 201);

  const browser = await openBrowser(t);
  const page = await browser.openPage(`${base}/ui/`);
  screenshotOnFailure(t, page, 'ui-batch-failure');
  await page.locator('tr[data-job="nightly-report"] [data-schedule="nightly"]').filter({ hasText: 'next ' }).waitFor();
  t.is(await page.locator('[data-live]').getAttribute('data-live'), 'live');

  // A bad job: the 422 marks its field; nothing is stored.
  await page.click('[data-action="create"]');
  await typeJson(page, '{\n  "id": "ui-hello",\n  "run": {\n    "cmd": "echo hi",\n    "cpus": -1,\n    "mem": 32,\n    "disk": 0\n  }\n}');
  await page.click('[data-action="submit"]');
  t.is(await fieldErrorLine(page, '/run/cpus'), '5', 'the error names the line of "cpus"');
  t.is(await page.locator('[data-note-line="5"]').count(), 1, 'the message sits on that line');
  await shot(page, 'editor-error');
  t.is((await call(base, 'GET', '/v1/jobs/ui-hello')).status, 404, 'nothing was stored');

  // The fixed job is created, run from its page, succeeds, and its output shows.
  await typeJson(page, '{\n  "id": "ui-hello",\n  "run": {\n    "cmd": "echo hello-from-the-batch-ui; echo to-stderr >&2",\n    "cpus": 0.1,\n    "mem": 32,\n    "disk": 0\n  }\n}');
  await page.click('[data-action="submit"]');
  await page.locator('h2', { hasText: 'ui-hello' }).waitFor();
  await page.click('[data-action="run"]');
  await page.locator('[data-run-status="SUCCESS"]').waitFor({ timeout: 60_000 });
  await waitForText(page, 'hello-from-the-batch-ui', 'pre[data-log="stdout"]', 30_000);
  await waitForText(page, 'to-stderr', 'pre[data-log="stderr"]', 30_000);
  t.false((await page.locator('pre[data-log="stdout"]').innerText()).includes('to-stderr'));
  await shot(page, 'run');
  const history = await call(base, 'GET', '/v1/jobs/ui-hello?embed=history');
  t.is(history.body.history.successCount, 1);

  // The job page and the list show the finished run in the history.
  await page.click('a[href="#/jobs/ui-hello"]');
  await page.locator('[data-table="finished-runs"] .run.SUCCESS').waitFor();
  await shot(page, 'job');
  await page.click('[data-nav="/jobs"]');
  await page.locator('tr[data-job="ui-hello"] [data-history="1/0"]').waitFor();
  await shot(page, 'jobs');
  // A long run: its stdout shows while it runs, and "Stop run" ends it (Metronome: FAILED).
  const sleeper = { id: 'ui-sleeper', run: { cmd: 'echo started-and-sleeping; exec sleep 600', cpus: 0.1, mem: 32, disk: 0 } };
  t.is((await call(base, 'POST', '/v1/jobs', sleeper)).status, 201);
  await page.locator('tr[data-job="ui-sleeper"] [data-action="run"]').click();
  await page.locator('[data-run-status="ACTIVE"]').waitFor({ timeout: 60_000 });
  await waitForText(page, 'started-and-sleeping', 'pre[data-log="stdout"]', 30_000);
  await page.click('[data-action="stop"]');
  await page.locator('[data-run-status="FAILED"]').waitFor({ timeout: 60_000 });
  t.is((await call(base, 'GET', '/v1/jobs/ui-sleeper?embed=history')).body.history.failureCount, 1);
  // The browser logs the 422 it fetched (expected); nothing else may show up.
  t.deepEqual(browser.errors.filter((e) => !/status of (404|422)/.test(e)), []);
});
