/**
 * The systemd units and their environment files (deploy/systemd, deploy/etc/maestro) against the
 * real `maestro` command: `systemd-analyze verify` accepts each unit (where the tool exists; the
 * units are verified with /opt/maestro pointing at this checkout, so that ExecStart exists), each
 * ExecStart runs the subcommand its EnvironmentFile is for, every `MAESTRO_<FLAG>` named in an
 * environment file is a flag of that subcommand's `--help`, every flag is explained there, and
 * every value given (set, or shown commented out) parses: `maestro <cmd> --help` with those
 * variables in its environment exits 0.
 */
import test from 'ava';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnvFile, parseUnit } from './systemd-files.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const maestro = join(root, 'bin', 'maestro.mjs');
const SUBCOMMANDS = ['master', 'agent', 'marathon', 'batch'] as const;

const run = promisify(execFile);
const helps = new Map<string, Promise<string[]>>();

/** The flags `maestro <sub> --help` lists (asked once per subcommand). */
function helpFlags(sub: string): Promise<string[]> {
  let flags = helps.get(sub);
  if (flags === undefined) {
    flags = run(process.execPath, [maestro, sub, '--help'], { encoding: 'utf8' }).then(({ stdout }) => [...stdout.matchAll(/^ {2}--([a-z0-9_]+)/gm)].map((m) => m[1]));
    helps.set(sub, flags);
  }
  return flags;
}

const envName = (flag: string) => `MAESTRO_${flag.toUpperCase()}`;

/** Runs `maestro <sub> --help` with `vars` in the environment: what it says when a value does not parse. */
async function parses(sub: string, vars: ReadonlyMap<string, string>): Promise<{ status: number; stderr: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MAESTRO_') && k !== 'DATABASE_URL' && k !== 'REDIS_URL') env[k] = v;
  for (const [k, v] of vars) env[k] = v;
  try {
    await run(process.execPath, [maestro, sub, '--help'], { encoding: 'utf8', env });
    return { status: 0, stderr: '' };
  } catch (e) {
    return { status: (e as { code: number }).code, stderr: (e as { stderr: string }).stderr };
  }
}

const unitText = (sub: string) => readFileSync(join(here, 'systemd', `maestro-${sub}.service`), 'utf8');
const envText = (sub: string) => readFileSync(join(here, 'etc', 'maestro', `${sub}.env`), 'utf8');

test('the units are one per subcommand and the environment files one per unit', (t) => {
  t.deepEqual(readdirSync(join(here, 'systemd')).sort(), SUBCOMMANDS.map((s) => `maestro-${s}.service`).sort());
  t.deepEqual(readdirSync(join(here, 'etc', 'maestro')).sort(), SUBCOMMANDS.map((s) => `${s}.env`).sort());
});

test('systemd-analyze verify accepts every unit', (t) => {
  const tool = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  if (tool.error !== undefined) {
    // No systemd on this machine: the parse checks of the other tests still hold.
    t.log('systemd-analyze is not installed here; only the parse checks ran');
    t.pass();
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'maestro-units-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const sub of SUBCOMMANDS) {
    const file = join(dir, `maestro-${sub}.service`);
    writeFileSync(file, unitText(sub).replaceAll('/opt/maestro', root));
    const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    // It exits 0 on unknown keys and bad values too, only saying so on stderr: both must be clean.
    t.is(r.status, 0, `${sub}: ${r.stderr}`);
    t.is(r.stderr.split('\n').filter((l) => l.includes(file)).join('\n'), '', sub);
  }
});

for (const sub of SUBCOMMANDS) {
  test(`maestro-${sub}.service runs \`maestro ${sub}\` with /etc/maestro/${sub}.env`, async (t) => {
    const service = parseUnit(unitText(sub)).get('Service')!;
    const [exec] = service.get('ExecStart')!;
    const [program, command, ...flags] = exec.split(/\s+/);
    t.is(program, '/opt/maestro/bin/maestro.mjs');
    t.is(command, sub);
    const known = await helpFlags(sub);
    for (const f of flags) t.true(known.includes(/^--([a-z0-9_]+)/.exec(f)?.[1] ?? ''), `${f} is a flag of maestro ${sub}`);
    t.deepEqual(service.get('EnvironmentFile'), [`/etc/maestro/${sub}.env`]);
    t.deepEqual(service.get('Restart'), ['always']);
    const { set } = parseEnvFile(envText(sub));
    const workDir = set.get('MAESTRO_WORK_DIR');
    t.is(workDir, `/var/lib/${service.get('StateDirectory')![0]}`, 'the work dir is the unit\'s StateDirectory');
  });

  test(`${sub}.env names real flags of \`maestro ${sub}\`, explains every one, and its values parse`, async (t) => {
    const known = await helpFlags(sub);
    const { set, commented } = parseEnvFile(envText(sub));
    for (const name of [...set.keys(), ...commented.keys()]) t.true(known.some((f) => envName(f) === name), `${name} is a flag of maestro ${sub}`);
    for (const flag of known) {
      t.true(set.has(envName(flag)) || commented.has(envName(flag)), `--${flag} is explained in deploy/etc/maestro/${sub}.env`);
      t.regex(envText(sub), new RegExp(`^# --${flag}: `, 'm'), `--${flag} has its explanation`);
    }
    // The values set and the examples shown commented out, all at once: a bad one is named on stderr.
    const examples = new Map([...commented].filter(([, v]) => v !== ''));
    const r = await parses(sub, new Map([...set, ...examples]));
    t.is(r.status, 0, r.stderr);
  });
}

test('the agent unit leaves the tasks alone when the agent stops or restarts', (t) => {
  const service = parseUnit(unitText('agent')).get('Service')!;
  t.deepEqual(service.get('KillMode'), ['process']); // never the task supervisors in the unit's cgroup
  t.deepEqual(service.get('Delegate'), ['yes']);
  t.is(service.get('User'), undefined, 'the agent runs as root');
  for (const sub of ['master', 'marathon', 'batch']) t.deepEqual(parseUnit(unitText(sub)).get('Service')!.get('User'), ['maestro'], sub);
});

test('the file parsers reject what systemd would not read as we mean it', (t) => {
  t.throws(() => parseUnit('Description=x\n'), { message: /not a unit file line/ }); // a key outside a section
  t.throws(() => parseEnvFile('export MAESTRO_IP=1.2.3.4\n'), { message: /not a KEY=VALUE line/ });
  t.deepEqual(parseEnvFile('# x\nMAESTRO_IP=1.2.3.4\n#MAESTRO_PORT=5050\n'), { set: new Map([['MAESTRO_IP', '1.2.3.4']]), commented: new Map([['MAESTRO_PORT', '5050']]) });
});
