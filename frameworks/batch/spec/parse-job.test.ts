import test from 'ava';
import { isJobId, MESSAGES, parseJob, parseJobWithSchedules } from './parse-job.ts';
import type { Parsed } from './parsed.ts';

const MIN = { id: 'prod.email.summary', run: { cmd: 'sendSummary' } };

function ok<T>(p: Parsed<T>): T {
  if (!p.ok) throw new Error(JSON.stringify(p.details));
  return p.value;
}

test('defaults: Metronome\'s run spec defaults are filled', (t) => {
  t.deepEqual(ok(parseJob(MIN)), {
    id: 'prod.email.summary',
    labels: {},
    run: {
      cmd: 'sendSummary',
      cpus: 1, mem: 128, disk: 0, gpus: 0, // Metronome: DefaultCpus 1.0, DefaultMem 128.0, DefaultDisk 0.0
      env: {}, placement: { constraints: [] }, artifacts: [], volumes: [],
      maxLaunchDelay: 3600, // 1 hour
      restart: { policy: 'NEVER' },
      secrets: {},
    },
  });
});

test('a full job is read field by field', (t) => {
  const job = ok(parseJob({
    id: 'batch.etl-1',
    description: 'nightly etl',
    labels: { team: 'data' },
    parallelism: 4,
    run: {
      args: ['--all'],
      cpus: 0.5, mem: 256, disk: 10, gpus: 1,
      env: { MODE: 'full', TOKEN: { secret: 'tok' } },
      secrets: { tok: { source: 'etl/token' } },
      placement: { constraints: [{ attribute: 'rack', operator: 'LIKE', value: 'r[12]' }, { attribute: 'hostname', operator: 'EQ', value: 'a' }] },
      artifacts: [{ uri: 'http://x/a.tgz' }, { uri: 'http://x/run.sh', executable: true, extract: false, cache: true }],
      docker: { image: 'busybox', forcePullImage: true, privileged: false, parameters: [] },
      user: 'nobody',
      volumes: [{ containerPath: '/data', hostPath: '/srv/data', mode: 'RW' }],
      maxLaunchDelay: 60,
      restart: { policy: 'ON_FAILURE', activeDeadlineSeconds: 120 },
      taskKillGracePeriodSeconds: 5,
    },
  }));
  t.is(job.parallelism, 4);
  t.is(job.description, 'nightly etl');
  t.deepEqual(job.run.args, ['--all']);
  t.is(job.run.cmd, undefined);
  t.deepEqual(job.run.env, { MODE: 'full', TOKEN: { secret: 'tok' } });
  t.deepEqual(job.run.artifacts, [
    { uri: 'http://x/a.tgz', executable: false, extract: true, cache: false },
    { uri: 'http://x/run.sh', executable: true, extract: false, cache: true },
  ]);
  t.deepEqual(job.run.docker, { image: 'busybox', forcePullImage: true });
  t.deepEqual(job.run.restart, { policy: 'ON_FAILURE', activeDeadlineSeconds: 120 });
  t.is(job.run.taskKillGracePeriodSeconds, 5);
  t.deepEqual(job.run.placement.constraints[0], { attribute: 'rack', operator: 'LIKE', value: 'r[12]' });
});

test('run.priority (extension): an integer kept as given, absent when not given', (t) => {
  t.is(ok(parseJob({ ...MIN, run: { ...MIN.run, priority: 7 } })).run.priority, 7);
  t.is(ok(parseJob({ ...MIN, run: { ...MIN.run, priority: -1048575 } })).run.priority, -1048575);
  t.false('priority' in ok(parseJob(MIN)).run);
});

test('a docker image alone is enough (no cmd)', (t) => {
  t.deepEqual(ok(parseJob({ id: 'd', run: { docker: { image: 'alpine' } } })).run.docker, { image: 'alpine', forcePullImage: false });
});

test('PUT: the id comes from the path, a body id is ignored', (t) => {
  t.is(ok(parseJob({ ...MIN, id: 'ignore.me' }, { idFromPath: 'spec1' })).id, 'spec1');
  t.is(ok(parseJob({ run: MIN.run }, { idFromPath: 'spec1' })).id, 'spec1');
  t.false(parseJob({ run: MIN.run }, { idFromPath: 'Bad_Id' }).ok);
});

const ID_MSG = MESSAGES.invalidId;
const run = MIN.run;
// input -> the 422 details (paths and messages)
const INVALID: readonly [string, unknown, readonly { path: string; errors: readonly string[] }[]][] = [
  ['not an object', [1], [{ path: '/', errors: ['error.expected.jsobject'] }]],
  ['no id', { run }, [{ path: '/id', errors: ['error.path.missing'] }]],
  ['id with slashes', { id: '/not/valid', run }, [{ path: '/id', errors: [ID_MSG] }]],
  ['id with upper case', { id: 'Prod', run }, [{ path: '/id', errors: [ID_MSG] }]],
  ['id ending with a dash', { id: 'prod-', run }, [{ path: '/id', errors: [ID_MSG] }]],
  ['id with an empty segment', { id: 'a..b', run }, [{ path: '/id', errors: [ID_MSG] }]],
  ['id not a string', { id: 5, run }, [{ path: '/id', errors: ['error.expected.jsstring'] }]],
  ['no run', { id: 'a' }, [{ path: '/run', errors: ['error.path.missing'] }]],
  ['run not an object', { id: 'a', run: 'x' }, [{ path: '/run', errors: ['error.expected.jsobject'] }]],
  ['no cmd nor docker', { id: 'a', run: {} }, [{ path: '/run', errors: [MESSAGES.cmdOrDocker] }]],
  ['args alone', { id: 'a', run: { args: ['x'] } }, [{ path: '/run', errors: [MESSAGES.cmdOrDocker] }]],
  ['cmd and args', { id: 'a', run: { cmd: 'x', args: ['y'] } }, [{ path: '/run', errors: [MESSAGES.cmdAndArgs] }]],
  ['empty cmd', { id: 'a', run: { cmd: '' } }, [{ path: '/run/cmd', errors: ['must not be empty'] }]],
  ['negative cpus', { id: 'a', run: { ...run, cpus: -1 } }, [{ path: '/run/cpus', errors: ['must be at least 0.01'] }]],
  ['cpus 0', { id: 'a', run: { ...run, cpus: 0 } }, [{ path: '/run/cpus', errors: ['must be at least 0.01'] }]],
  ['cpus a string', { id: 'a', run: { ...run, cpus: '1' } }, [{ path: '/run/cpus', errors: ['error.expected.jsnumber'] }]],
  ['mem below 32', { id: 'a', run: { ...run, mem: 16 } }, [{ path: '/run/mem', errors: ['must be at least 32'] }]],
  ['negative disk', { id: 'a', run: { ...run, disk: -0.5 } }, [{ path: '/run/disk', errors: ['must be at least 0'] }]],
  ['fractional gpus', { id: 'a', run: { ...run, gpus: 0.5 } }, [{ path: '/run/gpus', errors: ['error.expected.int'] }]],
  ['negative gpus', { id: 'a', run: { ...run, gpus: -1 } }, [{ path: '/run/gpus', errors: ['must be at least 0'] }]],
  ['maxLaunchDelay 0', { id: 'a', run: { ...run, maxLaunchDelay: 0 } }, [{ path: '/run/maxLaunchDelay', errors: ['must be at least 1'] }]],
  ['fractional priority', { id: 'a', run: { ...run, priority: 1.5 } }, [{ path: '/run/priority', errors: ['error.expected.int'] }]],
  ['priority a string', { id: 'a', run: { ...run, priority: '3' } }, [{ path: '/run/priority', errors: ['error.expected.int'] }]],
  ['priority above 2^20 - 1', { id: 'a', run: { ...run, priority: 2 ** 20 } }, [{ path: '/run/priority', errors: ['must be an integer from -1048575 to 1048575'] }]],
  ['priority below -(2^20 - 1)', { id: 'a', run: { ...run, priority: -(2 ** 20) } }, [{ path: '/run/priority', errors: ['must be an integer from -1048575 to 1048575'] }]],
  ['restart policy unknown', { id: 'a', run: { ...run, restart: { policy: 'ALWAYS' } } },
    [{ path: '/run/restart/policy', errors: ["'ALWAYS' is not a valid restart policy. Allowed values: NEVER, ON_FAILURE"] }]],
  ['restart without policy', { id: 'a', run: { ...run, restart: { activeDeadlineSeconds: 5 } } },
    [{ path: '/run/restart/policy', errors: ['error.path.missing'] }]],
  ['negative activeDeadlineSeconds', { id: 'a', run: { ...run, restart: { policy: 'ON_FAILURE', activeDeadlineSeconds: -1 } } },
    [{ path: '/run/restart/activeDeadlineSeconds', errors: ['must be at least 0'] }]],
  ['parallelism 0', { ...MIN, parallelism: 0 }, [{ path: '/parallelism', errors: ['must be at least 1'] }]],
  ['parallelism 1.5', { ...MIN, parallelism: 1.5 }, [{ path: '/parallelism', errors: ['error.expected.int'] }]],
  ['unknown top-level field', { ...MIN, activeRuns: [] }, [{ path: '/activeRuns', errors: ['unknown property (not allowed here)'] }]],
  ['unknown run field', { id: 'a', run: { ...run, instances: 2 } }, [{ path: '/run/instances', errors: ['unknown property (not allowed here)'] }]],
  ['label not a string', { ...MIN, labels: { a: 1 } }, [{ path: '/labels/a', errors: ['error.expected.jsstring'] }]],
  ['env secret without secrets', { id: 'a', run: { ...run, env: { T: { secret: 's1' } } } },
    [{ path: '/run', errors: [MESSAGES.secrets(['s1'], [])] }]],
  ['secret not referenced', { id: 'a', run: { ...run, secrets: { s1: { source: 'x' } } } },
    [{ path: '/run', errors: [MESSAGES.secrets([], ['s1'])] }]],
  ['env value a number', { id: 'a', run: { ...run, env: { N: 1 } } },
    [{ path: '/run/env/N', errors: ['must be a string or an object {"secret": "<name>"}'] }]],
  ['secret without source', { id: 'a', run: { ...run, env: { T: { secret: 's' } }, secrets: { s: {} } } },
    [{ path: '/run/secrets/s/source', errors: ['error.path.missing'] }, { path: '/run', errors: [MESSAGES.secrets(['s'], [])] }]],
  ['artifact without uri', { id: 'a', run: { ...run, artifacts: [{ uri: 'u' }, { extract: true }] } },
    [{ path: '/run/artifacts(1)/uri', errors: ['error.path.missing'] }]],
  ['constraint operator unknown', { id: 'a', run: { ...run, placement: { constraints: [{ attribute: 'x', operator: 'CLUSTER', value: 'v' }] } } },
    [{ path: '/run/placement/constraints(0)/operator', errors: ["'CLUSTER' is not a valid operator. Allowed values: IS, EQ, LIKE, UNLIKE"] }]],
  ['constraint without value', { id: 'a', run: { ...run, placement: { constraints: [{ attribute: 'x', operator: 'IS' }] } } },
    [{ path: '/run/placement/constraints(0)/value', errors: ['a value is required for operator IS'] }]],
  ['LIKE with a bad regex', { id: 'a', run: { ...run, placement: { constraints: [{ attribute: 'x', operator: 'LIKE', value: '(' }] } } },
    [{ path: '/run/placement/constraints(0)/value', errors: ["'(' is not a valid regular expression"] }]],
  ['volume mode unknown', { id: 'a', run: { ...run, volumes: [{ containerPath: '/a', hostPath: '/b', mode: 'RX' }] } },
    [{ path: '/run/volumes(0)/mode', errors: ["'RX' is not a valid mode. Allowed values: RO, RW"] }]],
  ['volume without hostPath', { id: 'a', run: { ...run, volumes: [{ containerPath: '/a', mode: 'RO' }] } },
    [{ path: '/run/volumes(0)/hostPath', errors: ['error.path.missing'] }]],
  ['docker without image', { id: 'a', run: { docker: {} } },
    [{ path: '/run/docker/image', errors: ['error.path.missing'] }]],
  ['docker privileged', { id: 'a', run: { docker: { image: 'x', privileged: true } } },
    [{ path: '/run/docker/privileged', errors: [MESSAGES.unsupported] }]],
  ['ucr', { id: 'a', run: { ...run, ucr: { image: { id: 'x' } } } }, [{ path: '/run/ucr', errors: [MESSAGES.unsupported] }]],
  ['schedules not an array', { ...MIN, schedules: {} }, [{ path: '/schedules', errors: ['error.expected.jsarray'] }]],
  ['several errors at once', { id: 'A', run: { cpus: -1, mem: 'x' } }, [
    { path: '/id', errors: [ID_MSG] },
    { path: '/run/cpus', errors: ['must be at least 0.01'] },
    { path: '/run/mem', errors: ['error.expected.jsnumber'] },
    { path: '/run', errors: [MESSAGES.cmdOrDocker] },
  ]],
];

for (const [name, input, details] of INVALID) {
  test(`422: ${name}`, (t) => {
    const p = parseJob(input);
    t.false(p.ok);
    if (!p.ok) t.deepEqual(p.details, details);
  });
}

test('isJobId: Metronome\'s id language', (t) => {
  for (const id of ['a', 'a1', 'prod', 'prod.email.summary', 'a-b', 'a--b', '1.2.3', 'x-1.y-2']) t.true(isJobId(id), id);
  for (const id of ['', '-a', 'a-', 'a.', '.a', 'a..b', 'A', 'a_b', 'a/b', 'a.-b', 'a b']) t.false(isJobId(id), id);
  // a long adversarial id is answered at once (no catastrophic backtracking)
  const start = performance.now();
  t.false(isJobId(`${'a-'.repeat(50_000)}-`));
  t.true(performance.now() - start < 200);
});

test('parseJobWithSchedules: embedded schedules are read with their defaults and paths', (t) => {
  const v = ok(parseJobWithSchedules({ ...MIN, schedules: [{ id: 'nightly', cron: '0 2 * * *', timezone: 'Europe/Berlin' }] }));
  t.is(v.job.id, 'prod.email.summary');
  t.deepEqual(v.schedules, [{
    id: 'nightly', cron: '0 2 * * *', timezone: 'Europe/Berlin', startingDeadlineSeconds: 900, concurrencyPolicy: 'ALLOW', enabled: true,
  }]);
  t.deepEqual(ok(parseJobWithSchedules(MIN)).schedules, []);
  const bad = parseJobWithSchedules({ id: 'A', run, schedules: [{ id: 'ok1', cron: 'x' }, { id: 'ok1', cron: '* * * * *' }, { id: 'ok1', cron: '* * * * *' }] });
  t.false(bad.ok);
  if (!bad.ok) {
    t.deepEqual(bad.details.map((d) => d.path), ['/id', '/schedules(0)/cron', '/schedules(2)/id']);
  }
  // parseJob accepts (and ignores) the embedded schedules
  t.true(parseJob({ ...MIN, schedules: [{ id: 'x', cron: 'bad' }] }).ok);
});
