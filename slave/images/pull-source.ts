/**
 * Where a pull of a reference goes: the registry host, whether it is spoken to over plain http,
 * and the credentials for it from a Docker config.json (Mesos `--docker_config`). Pure.
 *
 * Rules:
 * - A reference on Docker Hub (`docker.io/...`, which is every reference without a registry) is
 *   pulled from the default registry (Mesos `--docker_registry`, default
 *   `https://registry-1.docker.io`), with the same repository path: the default registry acts as
 *   Docker Hub or a mirror of it. Any other domain is pulled from that domain.
 * - Plain http is used for a default registry given as `http://...`, for loopback hosts
 *   (127.0.0.0/8, localhost, ::1) and for hosts in `insecureRegistries`; https otherwise.
 * - Credentials: the `auths` entry whose key, without scheme and path, is the host (Docker Hub
 *   also matches `index.docker.io`, `registry-1.docker.io` and `https://index.docker.io/v1/`);
 *   `auth` is base64 of `user:password`, or `username` and `password` fields.
 */
import { DOCKER_HUB, type ImageReference } from './reference.ts';

export interface PullSource {
  /** The registry host[:port] the pull talks to (`docker.io` for Docker Hub). */
  readonly host: string;
  /** `docker://host/path:tag` (or `@digest`), as skopeo takes it. */
  readonly transportRef: string;
  readonly plainHttp: boolean;
  readonly credentials?: { readonly user: string; readonly password: string };
}

export interface PullSettings {
  /** Mesos `--docker_registry`: `https://registry-1.docker.io`, `http://127.0.0.1:5000`, `host:port`. */
  readonly defaultRegistry: string;
  /** The parsed Docker config.json, if any. */
  readonly dockerConfig?: unknown;
  readonly insecureRegistries?: readonly string[];
}

export const DEFAULT_REGISTRY = 'https://registry-1.docker.io';

const HUB_ALIASES = new Set([DOCKER_HUB, 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

export function isLoopbackHost(host: string): boolean {
  const name = hostName(host);
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/** `host[:port]` → host, `[::1]:5000` → `::1`. */
function hostName(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const i = host.lastIndexOf(':');
  return i >= 0 && host.indexOf(':') === i ? host.slice(0, i) : host;
}

/** `https://host:port/v1/` → `host:port`. */
export function registryHostOf(urlOrHost: string): string {
  return urlOrHost.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
}

export function pullSource(ref: ImageReference, settings: PullSettings): PullSource {
  let host = ref.domain;
  let plainHttp = false;
  if (ref.domain === DOCKER_HUB) {
    host = registryHostOf(settings.defaultRegistry);
    plainHttp = /^http:\/\//i.test(settings.defaultRegistry);
    if (HUB_ALIASES.has(host)) host = DOCKER_HUB;
  }
  if (isLoopbackHost(host) || (settings.insecureRegistries ?? []).map(registryHostOf).includes(host)) plainHttp = true;
  const suffix = ref.digest !== undefined ? `@${ref.digest}` : `:${ref.tag}`;
  const credentials = credentialsFor(host, settings.dockerConfig);
  return { host, transportRef: `docker://${host}/${ref.path}${suffix}`, plainHttp, ...(credentials ? { credentials } : {}) };
}

export function credentialsFor(host: string, dockerConfig: unknown): { user: string; password: string } | undefined {
  const auths = (dockerConfig as { auths?: Record<string, { auth?: string; username?: string; password?: string }> } | undefined)?.auths;
  if (!auths || typeof auths !== 'object') return undefined;
  const wanted = host === DOCKER_HUB ? HUB_ALIASES : new Set([host]);
  for (const [key, entry] of Object.entries(auths)) {
    if (!wanted.has(registryHostOf(key)) || !entry || typeof entry !== 'object') continue;
    if (typeof entry.auth === 'string' && entry.auth !== '') {
      const raw = Buffer.from(entry.auth, 'base64').toString();
      const i = raw.indexOf(':');
      if (i > 0) return { user: raw.slice(0, i), password: raw.slice(i + 1) };
    }
    if (typeof entry.username === 'string' && typeof entry.password === 'string') return { user: entry.username, password: entry.password };
  }
  return undefined;
}
