/**
 * The task's DiscoveryInfo (what Mesos-DNS and service meshes read): visibility FRAMEWORK, the
 * app's host-style name, and one Port per declared port (Marathon's PortDiscovery):
 * - host networking: each port definition with its host port, one Port per protocol of a
 *   comma-separated `protocol` (`tcp,udp`), with the definition's name and labels;
 * - bridge / container networking: each mapping with its host port and label
 *   `network-scope: host`, or, without a host port, its container port and `network-scope:
 *   container`; the protocol as written. Pure.
 */
import type { mesos } from '../../proto/types.generated.ts';
import type { DeclaredPort, NetworkMode } from '../placement/app-ports.ts';

function labels(l: Readonly<Record<string, string>>): mesos.v1.Labels {
  return { labels: Object.entries(l).map(([key, value]) => ({ key, value })) };
}

function port(number: number, protocol: string, d: DeclaredPort, extraLabels: Readonly<Record<string, string>>): mesos.v1.Port {
  const p: mesos.v1.Port = { number, protocol };
  if (d.name !== undefined && d.name !== '') p.name = d.name;
  const all = { ...d.labels, ...extraLabels };
  if (Object.keys(all).length > 0) p.labels = labels(all);
  return p;
}

export function discoveryPorts(mode: NetworkMode, declared: readonly DeclaredPort[], hostPorts: readonly (number | undefined)[]): mesos.v1.Port[] {
  if (mode === 'host') {
    return declared.flatMap((d, i) => {
      const host = hostPorts[i];
      return host === undefined ? [] : d.protocol.split(',').map((proto) => port(host, proto, d, {}));
    });
  }
  return declared.map((d, i) => {
    const host = hostPorts[i];
    return host !== undefined
      ? port(host, d.protocol, d, { 'network-scope': 'host' })
      : port(d.containerPort ?? d.requested, d.protocol, d, { 'network-scope': 'container' });
  });
}

export function discoveryInfo(name: string, mode: NetworkMode, declared: readonly DeclaredPort[], hostPorts: readonly (number | undefined)[]): mesos.v1.DiscoveryInfo {
  const ports = discoveryPorts(mode, declared, hostPorts);
  // Canonical message form: an empty repeated field is absent (proto/codec.ts).
  return { visibility: 'FRAMEWORK', name, ports: ports.length > 0 ? { ports } : {} };
}
