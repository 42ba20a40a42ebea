/**
 * TCP probe: opens a connection to 127.0.0.1:<port> (`::1` for protocol IPv6; a task in a network
 * namespace of its own: its address there) and closes it at
 * once, as Mesos' mesos-tcp-connect helper does. `connected` when the handshake completes,
 * `error` with the reason otherwise; an abort destroys the socket.
 */
import { connect } from 'node:net';
import type { Probe } from './probe-loop.ts';
import type { Observation } from './probe-result.ts';

export interface TcpProbeTarget {
  readonly port: number;
  readonly protocol?: 'IPv4' | 'IPv6';
}

export function createTcpProbe(target: TcpProbeTarget, address?: string): Probe {
  const host = target.protocol === 'IPv6' ? '::1' : (address ?? '127.0.0.1');
  return (signal) =>
    new Promise<Observation>((resolve) => {
      const socket = connect({ host, port: target.port });
      const onAbort = () => socket.destroy();
      signal.addEventListener('abort', onAbort, { once: true });
      const settle = (observation: Observation) => {
        signal.removeEventListener('abort', onAbort);
        socket.destroy();
        resolve(observation);
      };
      socket.once('connect', () => settle({ kind: 'connected' }));
      socket.once('error', (error) => settle({ kind: 'error', message: `Failed to connect to ${host}:${target.port}: ${error.message}` }));
      socket.once('close', () => settle({ kind: 'error', message: `Connection to ${host}:${target.port} closed` }));
    });
}
