// The master's web UI in a real browser (Debian's chromium through playwright-core) against a real
// master, two real agents and a framework built on frameworks/sdk that holds its offers until the
// test tells it what to do: every page shows live data, an offer appears and disappears when the
// framework declines it, a launched task shows in Tasks and its stdout streams into the sandbox
// browser. Screenshots of every page go to test-artifacts/screenshots/ (and, with
// MAESTRO_DOCS_SCREENSHOTS=1, to docs/images/master-*.png). A second test sends the live feed
// malformed messages over a plain WebSocket: the master answers each with an error and lives on.
import test from 'ava';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { killTaskProcesses, startAgent, startMaster, type MaestroProcess } from './support/maestro-process.ts';
import { openBrowser, screenshot, waitForNoText, waitForText } from './support/browser.ts';
import { createSchedulerDriver } from '../frameworks/sdk/scheduler-driver.ts';
import type { Offer, TaskStatus } from '../frameworks/sdk/scheduler-handler.ts';

const DOCS_IMAGES = fileURLToPath(new URL('../docs/images/', import.meta.url));
const docs = process.env.MAESTRO_DOCS_SCREENSHOTS === '1';
/** The pages docs/ui.md shows. */
const DOCS_PAGES = ['master-overview', 'master-agents', 'master-offers', 'master-tasks', 'master-sandbox'];

async function shot(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  if (docs && DOCS_PAGES.includes(name)) await screenshot(page, name, join(DOCS_IMAGES, `${name}.png`));
}

/** Offers and updates as the framework gets them, with waits that see what already came. */
class Held {
  readonly offers = new Map<string, Offer>();
  readonly updates: TaskStatus[] = [];
  private readonly waiters = new Set<() => void>();

  notify(): void {
    for (const w of [...this.waiters]) w();
  }

  until<T>(probe: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = probe();
        if (v === undefined) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(v);
      };
      const timer = setTimeout(() => { this.waiters.delete(check); reject(new Error(`timed out waiting for ${what}`)); }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}

async function agentIds(master: MaestroProcess): Promise<Map<string, string>> {
  const res = await fetch(`${master.url}/master/slaves`);
  const body = await res.json() as { slaves: { id: string; hostname: string }[] };
  return new Map(body.slaves.map((s) => [s.hostname, s.id]));
}

test('the master UI shows live cluster state; an offer comes and goes; a task streams its stdout to the sandbox browser', async (t) => {
  const master = await startMaster({ allocation_interval: '100ms', quiet: true, cluster: 'ui-test' });
  t.teardown(() => master.stop());
  const agents: MaestroProcess[] = [];
  for (const [host, rack] of [['ui-agent-a', 'r1'], ['ui-agent-b', 'r2']]) {
    const agent = await startAgent(master.url, { hostname: host, attributes: `rack:${rack}`, resources: 'cpus:4;mem:4096;disk:8192;ports:[31000-31100]' });
    t.teardown(async () => {
      killTaskProcesses(agent.workDir);
      await agent.stop();
    });
    agents.push(agent);
  }

  const held = new Held();
  const driver = createSchedulerDriver({
    masters: [master.url.replace(/^http:\/\//, '')],
    frameworkInfo: { user: 'root', name: 'ui-test-framework', roles: ['web'], capabilities: [{ type: 'MULTI_ROLE' }], webui_url: 'http://127.0.0.1:1/ui-test' },
    backoff: { initialMs: 100, maxMs: 1000 },
    handler: {
      subscribed: () => held.notify(),
      offers: (offers) => { for (const o of offers) held.offers.set(o.id.value, o); held.notify(); },
      rescind: (id) => { held.offers.delete(id); held.notify(); },
      update: (s) => { held.updates.push(s); held.notify(); },
      error: () => undefined,
    },
  });
  t.teardown(() => driver.stop());
  driver.start();

  // The framework holds one offer per agent (it neither accepts nor declines until told to).
  await held.until(() => (held.offers.size === 2 ? true : undefined), 'an offer of each agent');
  const ids = await agentIds(master);

  const b = await openBrowser(t);
  const page = await b.openPage(`${master.url}/#/overview`);
  await waitForText(page, 'live', '[data-testid=live-state]');

  // Overview: 2 × 4 cpus, everything offered (the framework holds both offers), per-role split.
  await waitForText(page, 'offered 8', '[data-testid=total-cpus]');
  await waitForText(page, '8', '[data-testid=total-cpus] .value');
  await waitForText(page, '2 active', '[data-testid=count-agents]');
  await waitForText(page, 'web', '[data-testid=overview-roles]');
  // The chart has its three series once the history holds a sample.
  await page.locator('svg.chart polyline').nth(2).waitFor({ state: 'attached' });
  await shot(page, 'master-overview');

  // Agents: both, with hostnames, ids, attributes and reachability.
  await page.goto(`${master.url}/#/agents`);
  await waitForText(page, 'ui-agent-a', '[data-testid=agents]');
  await waitForText(page, ids.get('ui-agent-b')!, '[data-testid=agents]');
  await waitForText(page, 'rack:r2', '[data-testid=agents]');
  t.is(await page.locator('[data-testid=agents] tbody tr').count(), 2);
  // Filtering happens on the server: one row left.
  await page.fill('[data-testid=agents-filter]', 'rack:r1');
  await waitForNoText(page, 'ui-agent-b', '[data-testid=agents] tbody');
  t.is(await page.locator('[data-testid=agents] tbody tr').count(), 1);
  await shot(page, 'master-agents');

  // Frameworks: connected, role, offers held, a link to its UI.
  await page.goto(`${master.url}/#/frameworks`);
  await waitForText(page, 'ui-test-framework', '[data-testid=frameworks]');
  await waitForText(page, 'connected', '[data-testid=frameworks]');
  t.is(await page.locator('[data-testid=frameworks] a[href="http://127.0.0.1:1/ui-test"]').count(), 1);
  await shot(page, 'master-frameworks');

  // Offers: both held offers are listed live; declining one makes it disappear, the other stays.
  await page.goto(`${master.url}/#/offers`);
  const [declined, kept] = [...held.offers.values()];
  await waitForText(page, declined.id.value, '[data-testid=offers]');
  await waitForText(page, kept.id.value, '[data-testid=offers]');
  await waitForText(page, 'ui-test-framework', '[data-testid=offers]');
  await shot(page, 'master-offers');
  // Ages count from the master's clock (sent with each snapshot), not the browser's: a page whose
  // clock is two hours ahead still shows offers seconds old, not hours.
  const skewed = await b.browser.newPage();
  t.teardown(() => skewed.close().catch(() => undefined));
  await skewed.addInitScript(() => { const real = Date.now; Date.now = () => real() + 2 * 3600_000; });
  await skewed.goto(`${master.url}/#/offers`, { waitUntil: 'load' });
  await waitForText(skewed, kept.id.value, '[data-testid=offers]');
  const ages = await skewed.locator('[data-testid=offers] span.age').allTextContents();
  t.is(ages.length, 2);
  for (const age of ages) t.regex(age, /^(\d+ms|\d+s|\d+m \d+s)$/, `offer age ${age} on a page whose clock is 2 h ahead`);
  await skewed.close();
  const answer = await driver.decline([declined.id.value], { refuse_seconds: 3600 });
  t.deepEqual(answer, { ok: true });
  held.offers.delete(declined.id.value);
  await waitForNoText(page, declined.id.value, '[data-testid=offers]');
  await waitForText(page, kept.id.value, '[data-testid=offers]');

  // Launch a task on the kept offer: it leaves Offers, shows in Tasks, and its stdout streams.
  const taskId = 'ui-task-1';
  const launched = await driver.accept([kept.id.value], [{
    type: 'LAUNCH',
    launch: { task_infos: [{
      name: 'ui-echo', task_id: { value: taskId }, agent_id: kept.agent_id,
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 }, allocation_info: { role: 'web' } }, { name: 'mem', type: 'SCALAR', scalar: { value: 64 }, allocation_info: { role: 'web' } }],
      command: { value: 'echo hello-from-ui-test; while [ ! -e go ]; do sleep 0.1; done; echo second-line-after-go; sleep 60', shell: true },
    }] },
  }], { refuse_seconds: 3600 });
  t.deepEqual(launched, { ok: true });
  await waitForNoText(page, kept.id.value, '[data-testid=offers]');
  await held.until(() => held.updates.find((s) => s.task_id.value === taskId && s.state === 'TASK_RUNNING'), 'TASK_RUNNING');

  await page.goto(`${master.url}/#/tasks`);
  await waitForText(page, taskId, '[data-testid=tasks]');
  await waitForText(page, 'RUNNING', '[data-testid=tasks]');
  await page.fill('[data-testid=tasks-filter]', 'no-such-task');
  await waitForText(page, 'No tasks.', '[data-testid=tasks]');
  await page.fill('[data-testid=tasks-filter]', 'ui-echo');
  await waitForText(page, taskId, '[data-testid=tasks]');
  await shot(page, 'master-tasks');

  // Roles: the framework's role with its allocation and weight.
  await page.goto(`${master.url}/#/roles`);
  await waitForText(page, 'web', '[data-testid=roles]');
  await waitForText(page, 'cpus 0.5', '[data-testid=roles]');
  await shot(page, 'master-roles');

  // Maintenance: both machines UP (no schedules in this master).
  await page.goto(`${master.url}/#/maintenance`);
  await waitForText(page, '2 machines UP', '[data-testid=maintenance-summary]');
  await waitForText(page, 'ui-agent-a', '[data-testid=machines]');
  await shot(page, 'master-maintenance');

  // Sandbox: the link from Tasks opens the listing and the live tail of stdout.
  await page.goto(`${master.url}/#/tasks`);
  await page.click(`[data-testid="sandbox-${taskId}"]`);
  await waitForText(page, 'stdout', '[data-testid=sandbox-files]');
  await waitForText(page, 'hello-from-ui-test', '[data-testid=tail-stdout]');
  // Bytes appended later arrive as they are written (the task waits for a file the test creates).
  const agent = agents[kept.hostname === 'ui-agent-a' ? 0 : 1];
  const sandboxPath = await page.locator('[data-testid=sandbox-path]').textContent();
  t.regex(sandboxPath ?? '', new RegExp(`/executors/${taskId}/runs/latest$`));
  touchInSandbox(agent, sandboxPath!);
  await waitForText(page, 'second-line-after-go', '[data-testid=tail-stdout]');
  await shot(page, 'master-sandbox');

  t.deepEqual(b.errors, [], 'no errors in the browser console');
});

test('the live feed answers malformed messages with errors; none of them stops the master', async (t) => {
  const master = await startMaster({ quiet: true });
  t.teardown(() => master.stop());
  const ws = new WebSocket(`${master.url.replace(/^http/, 'ws')}/ui/ws`);
  t.teardown(() => ws.terminate());
  const received: { op: string; id: number; field?: string; message?: string }[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (d) => { received.push(JSON.parse(d.toString())); for (const w of waiters.splice(0)) w(); });
  const answers = (n: number) => new Promise<void>((resolve) => { const check = () => (received.length >= n ? resolve() : waiters.push(check)); check(); });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  // A topic that is an object whose toString is not callable threw a TypeError out of the
  // WebSocket's message handler: the master process exited.
  ws.send(JSON.stringify({ op: 'subscribe', id: 1, topic: { toString: 1, valueOf: 1 }, params: {} }));
  ws.send(JSON.stringify({ op: 'subscribe', id: 2, topic: 'tasks', params: { scope: 'everything' } }));
  ws.send(JSON.stringify({ op: 'subscribe', id: 3, topic: 'sandbox-tail', params: { agent: 'nope', path: 'x'.repeat(5000) } }));
  ws.send('{"op":');
  await answers(4);
  t.deepEqual(received.map((m) => [m.id, m.field]), [[1, 'topic'], [2, 'scope'], [3, 'path'], [-1, 'id']]);
  // The master is alive and the same connection still serves.
  t.is((await fetch(`${master.url}/health`)).status, 200);
  ws.send(JSON.stringify({ op: 'subscribe', id: 4, topic: 'overview', params: {} }));
  await answers(5);
  t.like(received[4], { op: 'snapshot', id: 4 });
  t.is(master.child.exitCode, null);
});

/** Creates the file `go` in the task's sandbox (its real directory, resolved from the agent's virtual path). */
function touchInSandbox(agent: MaestroProcess, virtualPath: string): void {
  // <work_dir>/slaves/<agent>/frameworks/<F>/executors/<E>/runs/latest
  const slaves = join(agent.workDir, 'slaves');
  for (const id of readdirSync(slaves)) {
    const dir = join(slaves, id, virtualPath);
    if (existsSync(dir)) {
      writeFileSync(join(dir, 'go'), '');
      return;
    }
  }
  throw new Error(`no sandbox ${virtualPath} under ${slaves}`);
}
