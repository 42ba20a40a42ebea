/**
 * Reading the files of deploy/systemd and deploy/etc/maestro as systemd does, for the tests that
 * check them (deploy/systemd.test.ts) and run them (test/multihost.test.ts): a unit's sections
 * and keys, and an environment file's `MAESTRO_*` variables.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** `[Section]` → key → values (a key may repeat). */
export function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1], current);
      continue;
    }
    const eq = line.indexOf('=');
    if (current === undefined || eq < 0) throw new Error(`not a unit file line: ${raw}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return sections;
}

/** The `MAESTRO_*` variables of an environment file: those set, and those shown commented out. */
export function parseEnvFile(text: string): { set: Map<string, string>; commented: Map<string, string> } {
  const set = new Map<string, string>();
  const commented = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(#?)(MAESTRO_[A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) (m[1] === '#' ? commented : set).set(m[2], m[3]);
    else if (line !== '' && !line.startsWith('#')) throw new Error(`not a KEY=VALUE line: ${line}`);
  }
  return { set, commented };
}

/** The unit of `maestro <sub>` and its environment file, parsed. */
export function serviceFiles(sub: string): { unit: Map<string, Map<string, string[]>>; env: ReturnType<typeof parseEnvFile> } {
  return {
    unit: parseUnit(readFileSync(join(here, 'systemd', `maestro-${sub}.service`), 'utf8')),
    env: parseEnvFile(readFileSync(join(here, 'etc', 'maestro', `${sub}.env`), 'utf8')),
  };
}
