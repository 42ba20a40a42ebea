/**
 * Keeps the benchmarks from rotting: each one runs at a small size and must print well-formed
 * figures (one JSON object per line: bench, config, metric, a finite numeric value, unit) and
 * then its table. The figures themselves are not judged here: tests never assert on time.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Figure { bench: string; config: Record<string, unknown>; metric: string; value: number; unit: string }

/** Signals the benchmark's whole process group (it runs masters and agents as its own children). */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

function runBench(file: string, args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // A process group of its own, so that a hung benchmark is stopped with every process it started.
    const child = spawn(process.execPath, ['--import=tsx', '--expose-gc', join(root, 'bench', file), ...args], { cwd: root, detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    // SIGINT first: a benchmark prints what it measured and cleans up on it; SIGKILL if that hangs too.
    const timer = setTimeout(() => {
      signalGroup(child.pid!, 'SIGINT');
      setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), 15_000).unref();
    }, 90_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      signalGroup(child.pid!, 'SIGKILL'); // whatever of the group outlived the benchmark
      resolve({ code, stdout, stderr });
    });
  });
}

const CASES: ReadonlyArray<[file: string, args: string[], bench: string, simulated: boolean]> = [
  ['allocator.bench.ts', ['200', '20'], 'allocator', false],
  ['encoding.bench.ts', [], 'encoding', false],
  ['master-offers.bench.ts', ['20'], 'master-offers', true],
  ['status-updates.bench.ts', [], 'status-updates', true],
  ['agent-launch.bench.ts', ['20'], 'agent-launch', false],
  ['container-launch.bench.ts', ['3'], 'container-launch', false],
  // Simulated and real agents both: each figure says which in agents_kind.
  ['marathon-deploy.bench.ts', ['10', '20', '3', '4', '3'], 'marathon-deploy', false],
  // The Slurm half is exercised by bench/support/slurm.test.ts.
  ['batch-vs-slurm.bench.ts', ['20', 'skip-slurm'], 'batch-vs-slurm', false],
  ['ui-feed.bench.ts', ['100', '1000'], 'ui-feed', true],
  ['gc-schedule.bench.ts', ['2000'], 'gc-schedule', false],
];

for (const [file, args, bench, simulated] of CASES) {
  test(`${file} ${args.join(' ')} prints well-formed figures and a table`, async (t) => {
    const r = await runBench(file, args);
    t.is(r.code, 0, `${r.stderr}\n--- stdout\n${r.stdout}`);
    const lines = r.stdout.split('\n');
    const figures: Figure[] = [];
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      figures.push(JSON.parse(line) as Figure);
    }
    t.true(figures.length > 0, 'no figures printed');
    for (const f of figures) {
      t.is(f.bench, bench);
      t.is(typeof f.config, 'object');
      t.is(typeof f.metric, 'string');
      t.true(typeof f.value === 'number' && Number.isFinite(f.value), `${f.metric} = ${f.value}`);
      t.is(typeof f.unit, 'string');
      if (simulated) t.is(f.config.agents_kind, 'simulated', `${f.metric} must say its agents are simulated`);
    }
    t.regex(r.stdout, /\nbench\s+.*metric\s+value\s+unit\n-+/, 'the readable table follows the JSON lines');
  });
}
