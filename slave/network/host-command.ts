/**
 * Runs one host networking tool (`ip`, `iptables`, `iptables-save`, `iptables-restore`) with an
 * optional script on stdin, and reports how it ended as a value.
 *
 * Invariants: never throws (a missing binary is a result with code -1 and the spawn error as
 * stderr); no shell is involved, arguments go to the tool as given; the tool gets a clean
 * `LC_ALL=C` so its messages are the same on every host.
 */
import { spawn } from 'node:child_process';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function runHostCommand(file: string, args: readonly string[], input?: string): Promise<CommandResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    const done = (r: CommandResult) => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => done({ code: -1, stdout, stderr: `${file}: ${err.message}` }));
    child.on('close', (code, signal) => done({ code: code ?? 128, stdout, stderr: signal === null ? stderr : `${stderr}${file} killed by ${signal}` }));
    child.stdin.on('error', () => {}); // the tool may exit before reading all of its input
    child.stdin.end(input ?? '');
  });
}

/** `file args…: stderr` for a failure message. */
export function describeFailure(file: string, args: readonly string[], r: CommandResult): string {
  const detail = (r.stderr.trim() || r.stdout.trim() || `exit status ${r.code}`).split('\n').slice(0, 4).join('; ');
  return `${file} ${args.join(' ')}: ${detail}`;
}
