/**
 * The HTTP layer's use of proto/: decode a request body in the negotiated encoding into the
 * canonical plain-object form, and encode an answer (an event, an operator response) into bytes.
 * Decoding never throws: a failure is a value carrying the Mesos-style message
 * ("Failed to parse body into JSON: ...", "Failed to convert JSON into Call protobuf: ...",
 * "Failed to parse body into Call protobuf: ...") that names the offending field path.
 */
import { codec } from '../../proto/codec.ts';
import type { Encoding } from './media-type.ts';

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/** The error text of a codec failure, with the field path when the codec gave one. */
export function describeCodecError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const path = (error as { path?: unknown }).path;
  if (typeof path === 'string' && path !== '' && !error.message.includes(path)) {
    return `${error.message} (at '${path}')`;
  }
  return error.message;
}

/**
 * Decodes `body` as the protobuf message `typeName` (for example `mesos.v1.scheduler.Call`).
 * `label` is the short name Mesos uses in its messages (`Call`).
 */
export function decodeBody<T>(typeName: string, label: string, encoding: Encoding, body: Buffer): Decoded<T> {
  const c = codec<T>(typeName);
  if (encoding === 'protobuf') {
    try {
      return { ok: true, value: c.decode(new Uint8Array(body.buffer, body.byteOffset, body.byteLength)) };
    } catch (error) {
      return { ok: false, message: `Failed to parse body into ${label} protobuf: ${describeCodecError(error)}` };
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return { ok: false, message: `Failed to parse body into JSON: ${describeCodecError(error)}` };
  }
  try {
    return { ok: true, value: c.fromJson(json) };
  } catch (error) {
    return { ok: false, message: `Failed to convert JSON into ${label} protobuf: ${describeCodecError(error)}` };
  }
}

/** Encodes a canonical message: JSON text (Mesos' JSON mapping) or protobuf bytes. */
export function encodeMessage<T>(typeName: string, encoding: Encoding, message: T): Buffer {
  const c = codec<T>(typeName);
  if (encoding === 'protobuf') {
    const bytes = c.encode(message);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  return Buffer.from(JSON.stringify(c.toJson(message)), 'utf8');
}
