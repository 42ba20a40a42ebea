/**
 * The runc container id of a maestro container: runc accepts ids matching `^[\w+-\.]+$` (letters,
 * digits, `_`, and `+ , - .`). A container id that matches (maestro's UUIDs do) is used as is;
 * any other has each refused character replaced with `_` and `-` plus 12 hex digits of its SHA-256
 * appended, so two ids that differ only in refused characters still map apart. `.` and `..` are
 * mapped too (they name directories).
 *
 * Pure.
 */
import { createHash } from 'node:crypto';
import type { ContainerId } from '../../containerizer.ts';

const RUNC_ID = /^[\w+,.-]+$/;

export function runcContainerId(id: ContainerId | string): string {
  if (RUNC_ID.test(id) && id !== '.' && id !== '..') return id;
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 12);
  return `${id.replace(/[^\w+,.-]/g, '_')}-${hash}`;
}
