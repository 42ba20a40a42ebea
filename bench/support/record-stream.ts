/**
 * Incremental decoders for the scheduler event stream as it arrives on a socket: HTTP/1.1 chunked
 * transfer coding, then RecordIO (`<decimal length>\n<bytes>`). Pure: bytes in, whole payloads out.
 *
 * Invariant: every input byte is copied at most a constant number of times, however the payload
 * is split across reads. A 5 MB OFFERS event that arrives in 64 KB reads is gathered as a list of
 * pieces and joined once, when enough bytes are there (not re-concatenated on every read).
 */

/** Pieces of input not consumed yet; joined only when a frame needs them. */
class PendingBytes {
  private parts: Buffer[] = [];
  private total = 0;

  get length(): number {
    return this.total;
  }

  push(piece: Buffer): void {
    if (piece.length === 0) return;
    this.parts.push(piece);
    this.total += piece.length;
  }

  /** All pending bytes as one buffer (joined at most once per call). */
  joined(): Buffer {
    if (this.parts.length > 1) this.parts = [Buffer.concat(this.parts, this.total)];
    return this.parts[0] ?? Buffer.alloc(0);
  }

  /** Drops the first `n` bytes. */
  consume(n: number): void {
    const whole = this.joined().subarray(n);
    this.parts = whole.length > 0 ? [whole] : [];
    this.total = whole.length;
  }
}

export type Framed = { readonly ok: true; readonly payloads: Buffer[]; readonly ended: boolean } | { readonly ok: false; readonly message: string };

/** A length-prefixed frame reader: `headerEnd` finds a header, `bodyLength` reads its length. */
abstract class FrameReader {
  protected readonly pending = new PendingBytes();
  /** Bytes needed before the next frame can be parsed; 0 while the header is not yet whole. */
  private need = 0;
  protected ended = false;

  push(piece: Buffer): Framed {
    this.pending.push(piece);
    const payloads: Buffer[] = [];
    while (!this.ended) {
      if (this.pending.length === 0 || this.pending.length < this.need) break;
      const buf = this.pending.joined();
      const frame = this.parse(buf);
      if (frame === 'incomplete') {
        this.need = 0;
        break;
      }
      if (typeof frame === 'string') return { ok: false, message: frame };
      if (frame.total > buf.length) {
        this.need = frame.total;
        break;
      }
      this.need = 0;
      if (frame.payload !== undefined) payloads.push(Buffer.from(buf.subarray(frame.start, frame.start + frame.payload)));
      this.pending.consume(frame.total);
    }
    return { ok: true, payloads, ended: this.ended };
  }

  /** 'incomplete': the header is not whole yet; a string: malformed input. */
  protected abstract parse(buf: Buffer): { start: number; payload: number | undefined; total: number } | 'incomplete' | string;
}

/** HTTP/1.1 chunked transfer coding (RFC 9112 §7.1), without chunk extensions or trailers. */
export class ChunkedDecoder extends FrameReader {
  protected parse(buf: Buffer) {
    const lineEnd = buf.indexOf('\r\n');
    if (lineEnd === -1) return buf.length > 32 ? 'chunk size line too long' : 'incomplete';
    const text = buf.subarray(0, lineEnd).toString('latin1');
    if (!/^[0-9a-fA-F]+$/.test(text)) return `bad chunk size '${text}'`;
    const size = parseInt(text, 16);
    if (size === 0) {
      this.ended = true;
      return { start: 0, payload: undefined, total: Math.min(buf.length, lineEnd + 4) };
    }
    return { start: lineEnd + 2, payload: size, total: lineEnd + 2 + size + 2 };
  }
}

/** RecordIO as Mesos frames events: a decimal length, a newline, that many bytes. */
export class RecordIoDecoder extends FrameReader {
  protected parse(buf: Buffer) {
    const nl = buf.indexOf(0x0a);
    if (nl === -1) return buf.length > 20 ? 'record length too long' : 'incomplete';
    const text = buf.subarray(0, nl).toString('latin1');
    if (!/^\d+$/.test(text)) return `bad record length '${text}'`;
    const size = Number(text);
    return { start: nl + 1, payload: size, total: nl + 1 + size };
  }
}
