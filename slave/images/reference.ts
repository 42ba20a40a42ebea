/**
 * Image references, normalized as Docker does: `busybox` → `docker.io/library/busybox:latest`,
 * `127.0.0.1:5000/x/y:1` stays, `name@sha256:<hex>` keeps the digest (and drops a tag given with
 * it: the digest is what is pulled). Pure.
 *
 * The first path component is a registry domain when it contains `.` or `:` or is `localhost`
 * (Docker's rule); `index.docker.io` is `docker.io`; one-component Docker Hub names get `library/`.
 */

export interface ImageReference {
  /** Registry domain, with port when given: `docker.io`, `127.0.0.1:5000`. */
  readonly domain: string;
  /** Repository path inside the registry: `library/busybox`, `tools/web`. */
  readonly path: string;
  readonly tag?: string;
  readonly digest?: string;
  /** `domain/path:tag` or `domain/path@digest`: the identity of a tag in the store. */
  readonly normalized: string;
}

export type ReferenceResult = { readonly ok: true; readonly ref: ImageReference } | { readonly ok: false; readonly message: string };

export const DOCKER_HUB = 'docker.io';

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;

function isDomain(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}

export function parseReference(input: string): ReferenceResult {
  const bad = (why: string): ReferenceResult => ({ ok: false, message: `invalid image reference '${input}': ${why}` });
  const text = input.trim();
  if (text === '') return bad('empty');
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return bad(`digest '${digest}' is not sha256:<64 hex digits>`);
  }
  let tag: string | undefined;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return bad(`tag '${tag}' is not valid`);
  }
  const parts = rest.split('/');
  let domain = DOCKER_HUB;
  if (parts.length > 1 && isDomain(parts[0])) {
    domain = parts.shift()!;
    if (!DOMAIN.test(domain)) return bad(`registry '${domain}' is not a host[:port]`);
  }
  if (domain === 'index.docker.io') domain = DOCKER_HUB;
  if (parts.some((p) => !COMPONENT.test(p))) return bad('a repository name is lowercase letters, digits and separators (. _ __ -) between /');
  if (domain === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  const path = parts.join('/');
  if (digest === undefined && tag === undefined) tag = 'latest';
  const normalized = digest !== undefined ? `${domain}/${path}@${digest}` : `${domain}/${path}:${tag}`;
  return { ok: true, ref: { domain, path, ...(digest !== undefined ? { digest } : { tag }), normalized } };
}

/** The normalized form of `input`, or undefined when it is not a reference. */
export function normalizeReference(input: string): string | undefined {
  const r = parseReference(input);
  return r.ok ? r.ref.normalized : undefined;
}
