/**
 * The marathon UI in a real browser (Debian's chromium through playwright-core) against a real
 * master, agent and `maestro marathon`: an app typed into the JSON editor reaches running; a bad
 * definition shows its error at the field and creates nothing; scale, restart, edit, suspend and
 * destroy from the UI; an edit refused with 409 (a deployment holds the app) goes through with
 * force; the queue page explains an app no agent can hold; deployments show their progress; the
 * list shows health. Every wait is on what the page shows (it updates from /v2/events), never on
 * time. Screenshots go to test-artifacts/screenshots/; with MAESTRO_DOCS_SCREENSHOTS=1 also to
 * docs/images/marathon-*.png.
 */
import test from 'ava';
import type { Page } from 'playwright-core';
import { fieldErrorLine, openBrowser, screenshotOnFailure, typeJson, uiScreenshots, waitForText } from './support/browser.ts';
import { call, eventually, startMarathonCluster } from './support/marathon-cluster.ts';

const shot = uiScreenshots('marathon');

/** The task ids the app page lists. */
const taskIds = (page: Page): Promise<string[]> => page.locator('tr[data-task]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-task') ?? ''));

test('marathon UI: create in the editor, errors at the field, scale, restart, edit, suspend, destroy, the queue explains, deployments progress', async (t) => {
  const cluster = await startMarathonCluster(t, [{ hostname: '127.0.0.1', resources: 'cpus:2;mem:2048;disk:2048;ports:[31000-31999]' }]);
  const base = cluster.marathon.url;
  const browser = await openBrowser(t);
  const page = await browser.openPage(`${base}/ui/`);
  screenshotOnFailure(t, page, 'ui-marathon-failure');
  await waitForText(page, 'No apps yet', '[data-empty="apps"]');
  t.is(await page.locator('[data-live]').getAttribute('data-live'), 'live');

  // A bad definition: the 422's field is marked at its line, nothing is created.
  await page.click('[data-action="create"]');
  await typeJson(page, '{\n  "id": "/ui/bad",\n  "cmd": "sleep 100",\n  "cpus": "one",\n  "mem": 16\n}');
  await page.click('[data-action="submit"]');
  t.is(await fieldErrorLine(page, '/cpus'), '4', 'the error names the line of "cpus"');
  t.is(await page.locator('[data-error-line="4"]').count(), 1, 'the gutter marks that line');
  t.regex(await page.locator('[data-note-line="4"]').innerText(), /\/cpus: error\.expected\.jsnumber/, 'the message sits on that line');
  t.is(await page.locator('[data-refusal="422"]').count(), 1);
  await shot(page, 'editor-error');
  t.is((await call(base, 'GET', '/v2/apps/ui/bad')).status, 404, 'nothing was created');

  // Fixing the field and submitting creates the app; its page follows it to running.
  await typeJson(page, '{\n  "id": "/ui/web",\n  "cmd": "sleep 1000",\n  "cpus": 0.1,\n  "mem": 16,\n  "instances": 1\n}');
  await page.click('[data-action="submit"]');
  await page.locator('h2', { hasText: '/ui/web' }).waitFor();
  await page.locator('[data-status="running"]').waitFor({ timeout: 60_000 });
  await page.locator('tr[data-task] [data-state="TASK_RUNNING"]').waitFor();
  const created = await call(base, 'GET', '/v2/apps/ui/web');
  t.is(created.body.app.tasksRunning, 1);

  // Scale to 3 from the app page.
  await page.fill('input[name="instances"]', '3');
  await page.click('[data-action="scale"]');
  await page.locator('[data-instances="3/3"]').waitFor({ timeout: 60_000 });
  t.is(await page.locator('tr[data-task] [data-state="TASK_RUNNING"]').count(), 3);
  t.is((await call(base, 'GET', '/v2/apps/ui/web')).body.app.tasksRunning, 3);
  await shot(page, 'app');

  // Restart replaces every task (a rolling deployment); the page follows it.
  const before = await taskIds(page);
  await page.click('[data-action="restart"]');
  await eventually(async () => {
    const ids = await taskIds(page);
    return ids.length === 3 && ids.every((id) => !before.includes(id)) && (await page.locator('[data-status="running"]').count()) === 1;
  }, 'the restart to replace every task');

  // Edit: the editor holds the definition as served; saving a changed command deploys it.
  await page.click('[data-action="edit"]');
  const area = page.locator('textarea.json-input');
  await page.waitForFunction(() => (globalThis as any).document.querySelector('textarea.json-input')?.value.includes('"/ui/web"'));
  const definition = JSON.parse(await area.inputValue());
  t.is(definition.tasks, undefined, 'run-time fields are left out');
  await area.fill(JSON.stringify({ ...definition, cmd: 'sleep 2000' }, null, 2));
  await page.click('[data-action="submit"]');
  await page.locator('h2', { hasText: '/ui/web' }).waitFor();
  await eventually(async () => {
    const a = (await call(base, 'GET', '/v2/apps/ui/web')).body.app;
    return a.cmd === 'sleep 2000' && a.deployments.length === 0;
  }, 'the edit to be deployed');
  await page.locator('[data-status="running"]').waitFor();
  await page.locator('[data-instances="3/3"]').waitFor();

  // An app that no agent can hold waits in the queue; the queue page says why.
  t.is((await call(base, 'POST', '/v2/apps', { id: '/ui/huge', cmd: 'sleep 1000', cpus: 64, mem: 16, instances: 1 })).status, 201);
  await page.click('[data-nav="/queue"]');
  const why = page.locator('[data-queue-app="/ui/huge"] [data-why]');
  await why.filter({ hasText: 'InsufficientCpus' }).waitFor({ timeout: 60_000 });
  t.regex(await why.innerText(), /offers declined: not enough CPUs on the agent \(InsufficientCpus\)/);
  await page.locator('[data-queue-app="/ui/huge"] tr[data-reason="InsufficientCpus"]').waitFor();
  await shot(page, 'queue');

  // Editing an app that a deployment holds: 409, and the editor offers the same change with force.
  await page.goto(`${base}/ui/#/edit/${encodeURIComponent('/ui/huge')}`);
  await page.waitForFunction(() => (globalThis as any).document.querySelector('textarea.json-input')?.value.includes('"/ui/huge"'));
  await area.fill(JSON.stringify({ ...JSON.parse(await area.inputValue()), cmd: 'sleep 1001' }, null, 2));
  await page.click('[data-action="submit"]');
  // The editor's page has the app's id in its heading too: wait for the forced PUT's answer itself.
  const forced = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().includes('force=true'));
  await page.locator('[data-refusal="409"] [data-action="force"]').click();
  t.is((await forced).status(), 200);
  await page.locator('h2', { hasText: '/ui/huge' }).waitFor();
  t.is((await call(base, 'GET', '/v2/apps/ui/huge')).body.app.cmd, 'sleep 1001');

  // Its deployment shows progress and can be stopped.
  await page.click('[data-nav="/deployments"]');
  const row = page.locator('tr[data-deployment]', { hasText: '/ui/huge' });
  await row.waitFor();
  t.regex((await row.locator('[data-progress]').getAttribute('data-progress')) ?? '', /^\d+\/\d+$/);
  await shot(page, 'deployments');
  await row.locator('[data-action="stop"]').click();
  await page.locator('[data-empty="deployments"]').waitFor();
  t.deepEqual((await call(base, 'GET', '/v2/deployments')).body, []);

  // An app with an HTTP health check (marathon probes 127.0.0.1:<port>): the list shows its health.
  const api = { id: '/ui/api', cmd: 'exec python3 -m http.server $PORT0 --bind 127.0.0.1', cpus: 0.1, mem: 32, instances: 1,
    healthChecks: [{ protocol: 'HTTP', path: '/', portIndex: 0, intervalSeconds: 1, gracePeriodSeconds: 30 }] };
  t.is((await call(base, 'POST', '/v2/apps', api)).status, 201);

  // The list shows the apps with status, health and instances.
  await page.click('[data-nav="/apps"]');
  await page.locator('tr[data-app="/ui/api"] [data-health="healthy"]').waitFor({ timeout: 60_000 });
  await page.locator('tr[data-app="/ui/web"] [data-status="running"]').waitFor();
  t.is(await page.locator('tr[data-app="/ui/web"] [data-instances]').getAttribute('data-instances'), '3/3');
  await page.locator('tr[data-app="/ui/huge"] [data-status="waiting"]').waitFor();
  await shot(page, 'apps');

  // Suspend from the app page: scaled to 0, nothing runs.
  await page.click('a[href="#/apps/%2Fui%2Fweb"]');
  await page.click('[data-action="suspend"]');
  await page.locator('[data-status="suspended"]').waitFor({ timeout: 60_000 });
  t.is((await call(base, 'GET', '/v2/apps/ui/web')).body.app.instances, 0);

  // Destroy from the app page (after the confirmation in the page).
  await page.click('[data-action="destroy"]');
  await page.click('[data-action="confirm-destroy"]');
  await page.locator('[data-gone="/ui/web"]').waitFor({ timeout: 60_000 });
  await eventually(async () => (await call(base, 'GET', '/v2/apps/ui/web')).status === 404, '/ui/web to be gone');
  // The browser logs every 4xx it fetched: the 422 of the bad app, the 409 of the locked one, 404s
  // of the destroyed app's page and of /favicon.ico are expected; nothing else may show up.
  t.deepEqual(browser.errors.filter((e) => !/status of (404|409|422)/.test(e)), []);
});
