/**
 * RecordIO decoder for the scheduler API's event stream: each record is `<decimal length>\n`
 * followed by exactly that many bytes. Chunks from the socket are fed in as they come; a record
 * may be split across chunks and one chunk may hold several records, so the decoder keeps the
 * unread tail between calls.
 *
 * Invariants: records come out in order, each exactly once; a malformed length line (not
 * decimal digits, or longer than `MAX_HEADER_BYTES`) or a length above `maxRecordBytes` is a
 * value `{ ok: false }`, after which the decoder refuses everything (the stream cannot be
 * resynchronised).
 */

export const MAX_HEADER_BYTES = 20;

export type DecodeResult =
  | { readonly ok: true; readonly records: Buffer[] }
  | { readonly ok: false; readonly message: string };

export interface RecordIoDecoder {
  /** Appends a chunk and returns every record it completes. */
  push(chunk: Buffer): DecodeResult;
  /** Bytes held for a record not yet complete. */
  readonly pending: number;
}

export function createRecordIoDecoder(maxRecordBytes = 64 * 1024 * 1024): RecordIoDecoder {
  let buffer: Buffer = Buffer.alloc(0);
  let broken: string | undefined;
  return {
    get pending() {
      return buffer.length;
    },
    push(chunk) {
      if (broken !== undefined) return { ok: false, message: broken };
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      const records: Buffer[] = [];
      for (;;) {
        const nl = buffer.indexOf(0x0a);
        if (nl === -1) {
          if (buffer.length > MAX_HEADER_BYTES) return fail(`RecordIO length line longer than ${MAX_HEADER_BYTES} bytes`);
          break;
        }
        const header = buffer.subarray(0, nl).toString('latin1');
        if (!/^\d+$/.test(header)) return fail(`bad RecordIO length line '${header.slice(0, MAX_HEADER_BYTES)}'`);
        const length = Number(header);
        if (length > maxRecordBytes) return fail(`RecordIO record of ${length} bytes exceeds ${maxRecordBytes}`);
        if (buffer.length < nl + 1 + length) break;
        records.push(Buffer.from(buffer.subarray(nl + 1, nl + 1 + length)));
        buffer = buffer.subarray(nl + 1 + length);
      }
      return { ok: true, records };
    },
  };

  function fail(message: string): DecodeResult {
    broken = message;
    buffer = Buffer.alloc(0);
    return { ok: false, message };
  }
}

/** Frames one record (for tests and fake servers). */
export function encodeRecord(payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return Buffer.concat([Buffer.from(`${body.length}\n`), body]);
}
