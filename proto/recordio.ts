/**
 * RecordIO, the framing of Mesos event streams: each record is `<decimal length>\n<bytes>`,
 * where the length counts the bytes of the payload (not characters).
 *
 * `RecordIoDecoder` is a streaming decoder: feed it chunks split anywhere (inside the length,
 * between length and newline, inside the payload) and it returns every record completed so
 * far, in order. Invariants: a record is returned exactly once and byte-for-byte; a length
 * prefix that is not 1-20 decimal digits followed by '\n', or that announces more than
 * `maxRecordBytes`, puts the decoder in a failed state (every later `feed` throws too),
 * because the stream can no longer be resynchronised.
 */

export class RecordIoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordIoError';
  }
}

/** Frames one payload (a string is encoded as UTF-8). */
export function encodeRecord(payload: Uint8Array | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const header = Buffer.from(`${body.byteLength}\n`, 'ascii');
  return Buffer.concat([header, body], header.length + body.byteLength);
}

export interface RecordIoDecoderOptions {
  /** Largest accepted payload, in bytes (default 64 MiB). */
  readonly maxRecordBytes?: number;
}

const NEWLINE = 0x0a;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const MAX_LENGTH_DIGITS = 20;

export class RecordIoDecoder {
  readonly maxRecordBytes: number;
  /** Digits of the length prefix read so far (the prefix may span chunks). */
  #lengthText = '';
  /** Payload length being collected; -1 while reading a length prefix. */
  #expected = -1;
  #parts: Buffer[] = [];
  #collected = 0;
  #failure: RecordIoError | undefined;

  constructor(options: RecordIoDecoderOptions = {}) {
    this.maxRecordBytes = options.maxRecordBytes ?? 64 * 1024 * 1024;
  }

  /** Bytes of an unfinished record held back (0 when the stream ended on a record boundary). */
  get pendingBytes(): number {
    return this.#lengthText.length + this.#collected;
  }

  /** Consumes one chunk; returns the records it completed. Throws RecordIoError on bad framing. */
  feed(chunk: Uint8Array | string): Buffer[] {
    if (this.#failure !== undefined) throw this.#failure;
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const records: Buffer[] = [];
    let pos = 0;
    while (pos < buf.length) {
      if (this.#expected < 0) {
        const byte = buf[pos++];
        if (byte === NEWLINE) {
          if (this.#lengthText.length === 0) this.#fail('empty RecordIO length prefix');
          const length = Number(this.#lengthText);
          if (length > this.maxRecordBytes) {
            this.#fail(`RecordIO record of ${this.#lengthText} bytes exceeds the limit of ${this.maxRecordBytes} bytes`);
          }
          this.#lengthText = '';
          if (length === 0) records.push(Buffer.alloc(0));
          else this.#expected = length;
        } else if (byte >= DIGIT_0 && byte <= DIGIT_9) {
          if (this.#lengthText.length >= MAX_LENGTH_DIGITS) this.#fail('RecordIO length prefix is too long');
          this.#lengthText += String.fromCharCode(byte);
        } else {
          this.#fail(`invalid byte 0x${byte.toString(16).padStart(2, '0')} in RecordIO length prefix`);
        }
      } else {
        const take = Math.min(this.#expected - this.#collected, buf.length - pos);
        const piece = buf.subarray(pos, pos + take);
        pos += take;
        if (this.#collected === 0 && take === this.#expected) {
          records.push(Buffer.from(piece));
        } else {
          this.#parts.push(Buffer.from(piece));
          this.#collected += take;
          if (this.#collected === this.#expected) {
            records.push(Buffer.concat(this.#parts, this.#collected));
            this.#parts = [];
            this.#collected = 0;
          } else continue;
        }
        this.#expected = -1;
      }
    }
    return records;
  }

  #fail(message: string): never {
    this.#failure = new RecordIoError(message);
    throw this.#failure;
  }
}
