/**
 * The process logger in a real child process: its stdout reader goes away, it logs a few lines and
 * exits. It must exit (pino's default asynchronous stream looped forever on EPIPE at exit) and the
 * lines logged while the reader was there must have arrived whole.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const CHILD = `
import { processLogger } from ${JSON.stringify(join(root, 'common', 'logger.ts'))};
const log = processLogger('probe', 'info');
log.info({ n: 1 }, 'before');
log.debug('below the level');
process.stdin.once('data', () => {
  log.info('after the reader left ' + 'x'.repeat(2000));
  log.warn('second');
  log.error('third');
  process.exit(0);
});
`;

function child() {
  return spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Resolves with the exit code, or rejects when the child is still alive after `ms` (a hang). */
function exited(c: ReturnType<typeof child>, ms: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { c.kill('SIGKILL'); reject(new Error(`the child did not exit within ${ms} ms of process.exit`)); }, ms);
    c.once('exit', (code) => { clearTimeout(t); resolve(code); });
  });
}

test('lines are JSON with the component, below the level dropped', async (t) => {
  const c = child();
  let out = '';
  c.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  await new Promise<void>((r) => c.stdout.once('data', () => r()));
  c.stdin.write('go\n');
  t.is(await exited(c, 30_000), 0);
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { component: string; msg: string; level: number; n?: number });
  t.deepEqual(lines.map((l) => [l.component, l.level, l.msg.slice(0, 6)]), [['probe', 30, 'before'], ['probe', 30, 'after '], ['probe', 40, 'second'], ['probe', 50, 'third']]);
  t.is(lines[0].n, 1);
});

test('a process whose stdout reader is gone still exits after logging', async (t) => {
  const c = child();
  let first = '';
  await new Promise<void>((r) => c.stdout.once('data', (b: Buffer) => { first = b.toString(); r(); }));
  t.regex(first, /"msg":"before"/);
  c.stdout.destroy(); // the reader goes away: the child's writes now fail with EPIPE
  c.stdin.write('go\n');
  t.is(await exited(c, 30_000), 0);
});
