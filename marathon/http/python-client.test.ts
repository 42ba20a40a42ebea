/**
 * python-marathon (the Debian package python3-marathon, unmodified) against this REST API over a
 * real socket: every call parses our answers with its models, which refuse unknown fields.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { asPathId } from '../model.ts';
import { appDef, deployment, FakeService, instance } from './test-fixtures.ts';
import { makeApp } from './test-app.ts';

const SCRIPT = String.raw`
import json, sys
from marathon import MarathonClient
from marathon.models import MarathonApp
c = MarathonClient(sys.argv[1])
out = {}
out['apps'] = [a.id for a in c.list_apps(embed_tasks=True, embed_counts=True, embed_task_stats=True, embed_last_task_failure=True, embed_readiness=True)]
app = c.get_app('/prod/web')
out['app'] = [app.id, app.instances, app.tasks_running, len(app.tasks), [d.id for d in app.deployments]]
created = c.create_app('/new', MarathonApp(cmd='sleep 60', cpus=0.1, mem=32, instances=2))
out['created'] = [created.id, created.instances, created.cmd]
out['scaled'] = c.scale_app('/prod/web', instances=5)
out['tasks'] = [t.id for t in c.list_tasks()]
out['app_tasks'] = [t.id for t in c.list_tasks('/prod/web')]
out['killed'] = c.kill_task('/prod/web', 'prod_web.instance-00000001._app.1').id
out['killed_many'] = len(c.kill_tasks('/prod/web'))
out['versions'] = c.list_versions('/prod/web')
out['info'] = [c.get_info().name, c.get_info().marathon_config.master]
out['leader'] = c.get_leader()
out['queue'] = [q.count for q in c.list_queue(embed_last_unused_offers=True)]
out['deployments'] = [[d.id, d.current_step, d.total_steps] for d in c.list_deployments()]
out['rollback'] = c.delete_deployment('d1')
out['groups'] = [g.id for g in c.list_groups()]
out['group'] = [a.id for a in c.get_group('/prod').apps]
out['restart'] = sorted(c.restart_app('/prod/web').keys())
out['deleted'] = sorted(c.delete_app('/prod/web').keys())
out['ping'] = c.ping().decode()
for e in c.event_stream():
    out['event'] = [type(e).__name__, e.event_type]
    break
print(json.dumps(out))
`;

test('python-marathon works unmodified against the API (apps, tasks, info, queue, deployments, groups, events)', async (t) => {
  const s = new FakeService([appDef('/prod/web', { instances: 2 }), appDef('/prod/db')]);
  s.insts = [instance('/prod/web', 1, { healthy: true }), instance('/prod/web', 2, { healthCheckResults: [{ alive: true, consecutiveFailures: 0, firstSuccess: '2026-11-22T10:00:03.000Z', lastFailure: null, lastSuccess: '2026-11-22T10:00:03.000Z', lastFailureCause: null }] })];
  s.deps = [deployment('d1', { affectedApps: [asPathId('/prod/web')], steps: [{ actions: [{ action: 'ScaleApplication', app: asPathId('/prod/web') }] }] })];
  s.failures.set('/prod/web', { appId: asPathId('/prod/web'), host: 'h', message: 'boom', state: 'TASK_FAILED', taskId: 't', instanceId: 'i', slaveId: 'a', timestamp: '2026-11-22T09:00:00.000Z', version: '2026-11-22T09:00:00.000Z' });
  s.versions.set('/prod/web', [appDef('/prod/web')]);
  s.queueEntries = [{ app: appDef('/prod/db'), count: 1, delay: { timeLeftSeconds: 3, overdue: false }, since: '2026-11-22T11:00:00.000Z', stats: { processedOffersCount: 4, unusedOffersCount: 4, rejectSummary: { InsufficientCpus: 4 }, lastUnusedOffers: [] } }];
  const { app } = makeApp(s, { keepAliveMs: 50 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  // Asynchronously: the test's own event loop serves the client's requests. Debian's python (the package's), `-I` and cwd `/`: the
  // checkout's marathon/ folder must not shadow the installed package.
  const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn('/usr/bin/python3', ['-I', '-c', SCRIPT, url], { cwd: '/' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
  t.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.deepEqual(out.apps, ['/prod/web', '/prod/db']);
  t.deepEqual(out.app, ['/prod/web', 2, 2, 2, ['d1']]);
  t.deepEqual(out.created, ['/new', 2, 'sleep 60']);
  t.deepEqual(out.scaled, { deploymentId: 'dep-1', version: '2026-11-22T11:00:00.000Z' });
  t.is(out.tasks.length, 2);
  t.is(out.app_tasks.length, 2);
  t.is(out.killed, 'prod_web.instance-00000001._app.1');
  t.is(out.killed_many, 2);
  t.deepEqual(out.versions, ['2026-11-22T10:00:00.000Z']);
  t.deepEqual(out.info, ['marathon', 'http://127.0.0.1:5050']);
  t.deepEqual(out.leader, { leader: 'localhost:8080' });
  t.deepEqual(out.queue, [1]);
  t.deepEqual(out.deployments, [['d1', 1, 1]]);
  t.deepEqual(out.rollback, { deploymentId: 'dep-1', version: '2026-11-22T11:00:00.000Z' });
  t.deepEqual(out.groups, ['/prod']);
  t.deepEqual(out.group, ['/prod/web', '/prod/db']);
  t.deepEqual(out.restart, ['deploymentId', 'version']);
  t.deepEqual(out.deleted, ['deploymentId', 'version']);
  t.is(out.ping, 'pong');
  t.deepEqual(out.event, ['MarathonEventStreamAttached', 'event_stream_attached']);
});
