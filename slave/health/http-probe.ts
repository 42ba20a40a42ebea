/**
 * HTTP probe: `GET <scheme>://127.0.0.1:<port><path>` (`[::1]` for protocol IPv6; for a task in a
 * network namespace of its own, its address there: what Mesos' checker reaches from inside it), as Mesos'
 * checker does with `curl -s -S -L -k`: redirects are followed (at most MAX_REDIRECTS), TLS
 * certificates are not verified, the body is read and dropped, and the final status code is the
 * observation. Each request uses its own connection (no keep-alive), so an aborted or finished
 * probe leaves no socket behind.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Probe } from './probe-loop.ts';
import type { Observation } from './probe-result.ts';

export const MAX_REDIRECTS = 50;

export interface HttpProbeTarget {
  readonly scheme?: string;
  readonly port: number;
  readonly path?: string;
  readonly protocol?: 'IPv4' | 'IPv6';
}

export function probeUrl(target: HttpProbeTarget, address?: string): URL {
  const host = target.protocol === 'IPv6' ? '[::1]' : (address ?? '127.0.0.1');
  return new URL(`${target.scheme ?? 'http'}://${host}:${target.port}${target.path ?? ''}`);
}

function get(url: URL, signal: AbortSignal): Promise<{ response: IncomingMessage } | { error: string }> {
  return new Promise((resolve) => {
    const options = { method: 'GET', agent: false as const, signal, headers: { accept: '*/*' } };
    const req = url.protocol === 'https:' ? httpsRequest(url, { ...options, rejectUnauthorized: false }) : httpRequest(url, options);
    req.once('response', (response) => resolve({ response }));
    req.once('error', (error) => resolve({ error: `GET ${url.href} failed: ${error.message}` }));
    req.end();
  });
}

function drain(response: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    response.once('end', resolve);
    response.once('error', () => resolve());
    response.once('close', resolve);
    response.resume();
  });
}

export function createHttpProbe(target: HttpProbeTarget, address?: string): Probe {
  return async (signal): Promise<Observation> => {
    let url = probeUrl(target, address);
    for (let hops = 0; ; hops++) {
      const result = await get(url, signal);
      if ('error' in result) return { kind: 'error', message: result.error };
      const { response } = result;
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      await drain(response);
      if (status >= 300 && status < 400 && location !== undefined) {
        if (hops >= MAX_REDIRECTS) return { kind: 'error', message: `Maximum (${MAX_REDIRECTS}) redirects followed` };
        try {
          url = new URL(location, url);
        } catch {
          return { kind: 'error', message: `Bad redirect location '${location}'` };
        }
        if (url.protocol !== 'http:' && url.protocol !== 'https:') return { kind: 'error', message: `Unsupported redirect to '${url.href}'` };
        continue;
      }
      return { kind: 'response', statusCode: status };
    }
  };
}
