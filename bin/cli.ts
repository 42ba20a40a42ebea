/**
 * The `maestro` command: dispatches to one subcommand's composition root (`<component>/main.ts`).
 * Each subcommand parses its own flags and answers `--help`; this file only knows their names.
 */
import { readFileSync } from 'node:fs';

interface Subcommand {
  readonly summary: string;
  readonly load: () => Promise<{ main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> }>;
}

const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  master: { summary: 'run a master: the allocator, the scheduler and operator APIs, the agent endpoint', load: () => import('../master/main.ts') },
  agent: { summary: 'run an agent: launch and supervise the tasks frameworks send, report their status', load: () => import('../slave/main.ts') },
  marathon: { summary: 'run the Marathon-compatible service scheduler (REST API v2, apps, deployments)', load: () => import('../marathon/main.ts') },
  batch: { summary: 'run the batch framework (Metronome /v1/jobs API: jobs, runs, cron schedules, parallel jobs)', load: () => import('../frameworks/batch/main.ts') },
  image: { summary: 'manage the local image store: import, pull, list, rm, gc', load: () => import('../cli/image.ts') },
  cluster: { summary: 'run a local cluster for trying maestro out (`maestro cluster up`)', load: () => import('../deploy/cluster.ts') },
};

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function usage(): string {
  const names = Object.keys(SUBCOMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  return [
    'Usage: maestro <subcommand> [flags]',
    '',
    'Subcommands:',
    ...names.map((n) => `  ${n.padEnd(width)}  ${SUBCOMMANDS[n].summary}`),
    '',
    'Run `maestro <subcommand> --help` for its flags. `maestro --version` prints the version.',
    '',
  ].join('\n');
}

export async function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(`maestro ${version()}\n`);
    return;
  }
  const sub = Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
  if (!sub) {
    process.stderr.write(`maestro: unknown subcommand '${name}'\n\n${usage()}`);
    process.exitCode = 1;
    return;
  }
  const mod = await sub.load();
  await mod.main(rest, env);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run(process.argv.slice(2), process.env);
}
