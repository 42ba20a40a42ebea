/**
 * The probes a Marathon-run health check uses (a port, so the runner can be driven by other
 * probes; the real ones are the default): HTTP(S) through `httpGet` (one GET, no redirects,
 * certificates not verified, 1xx visible), TCP through the agent's TCP probe
 * (slave/health/tcp-probe.ts: connect, then close). Each returns a slave/health `Probe`, which the
 * shared probe loop runs and aborts on timeout.
 */
import type { Probe } from '../../slave/health/probe-loop.ts';
import { createTcpProbe } from '../../slave/health/tcp-probe.ts';
import { httpGet } from './http-get.ts';

export interface HealthProbes {
  /** GET `url`; observes `{kind: 'response', statusCode}` (1xx included) or an error. */
  http(url: URL): Probe;
  /** Connects to host:port; observes `connected` or an error. */
  tcp(host: string, port: number): Probe;
}

export const realHealthProbes: HealthProbes = {
  http: (url) => async (signal) => {
    const result = await httpGet(url, signal);
    return result.ok ? { kind: 'response', statusCode: result.response.status } : { kind: 'error', message: result.error };
  },
  tcp: (host, port) => createTcpProbe({ port }, host.startsWith('[') ? host.slice(1, -1) : host),
};
