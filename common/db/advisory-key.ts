/**
 * PostgreSQL advisory lock keys (one signed 64-bit integer) from names: a number is used as
 * it is (an integer within ±2^53), a string is hashed (the first 8 bytes of its SHA-256, read
 * as a signed big-endian integer), so the same name gives the same key in every process and
 * every PostgreSQL version. Pass the key to SQL as text (`$1` of type bigint).
 */
import { createHash } from 'node:crypto';

export function advisoryKey(key: number | string): bigint {
  if (typeof key === 'number') {
    if (!Number.isSafeInteger(key)) throw new RangeError(`an advisory lock key must be a safe integer, not ${key}`);
    return BigInt(key);
  }
  return createHash('sha256').update(key, 'utf8').digest().readBigInt64BE(0);
}

/**
 * How `pg_locks` shows a session lock on a bigint key: `classid` the high 32 bits, `objid` the
 * low 32 bits (both unsigned), `objsubid` 1.
 */
export function lockRowIds(key: bigint): { readonly classid: number; readonly objid: number } {
  const unsigned = BigInt.asUintN(64, key);
  return { classid: Number(unsigned >> 32n), objid: Number(unsigned & 0xffffffffn) };
}
