/**
 * Fixture builders for placement and launch tests (test support, not used at run time):
 * `offer().cpus(4).mem(1024).ports(31000, 31009).attr('rack', 'r1').build()` makes a
 * mesos.v1.Offer, `app({ ... })` a normalised AppDefinition with Marathon's defaults filled in,
 * `pod({ ... })` and `podContainer({ ... })` a normalised PodDefinition and one of its containers.
 */
import type { mesos } from '../../proto/types.generated.ts';
import type { AppDefinition } from '../model.ts';
import type { PodContainer, PodDefinition } from '../pod/pod-definition.ts';
import { testApp } from '../app/test-app.ts';
import { testPod, testPodContainer } from '../pod/test-pod.ts';

type Reservation = { readonly role?: string; readonly labels?: Record<string, string> };

export class OfferBuilder {
  private readonly resources: mesos.v1.Resource[] = [];
  private readonly attributes: mesos.v1.Attribute[] = [];
  private host = 'agent-1.example';
  private agent = 'agent-1';
  private id = 'offer-1';
  private role: string | undefined = '*';
  private domain: mesos.v1.DomainInfo | undefined;
  private unavailability: mesos.v1.Unavailability | undefined;

  private scalar(name: string, value: number, r?: Reservation): this {
    this.resources.push({ name, type: 'SCALAR', scalar: { value }, ...this.extra(r) });
    return this;
  }
  private extra(r?: Reservation): Partial<mesos.v1.Resource> {
    const out: Partial<mesos.v1.Resource> = {};
    if (this.role !== undefined) out.allocation_info = { role: this.role };
    if (r?.role !== undefined) {
      const labels = r.labels === undefined ? undefined : { labels: Object.entries(r.labels).map(([key, value]) => ({ key, value })) };
      out.reservations = [{ type: labels ? 'DYNAMIC' : 'STATIC', role: r.role, ...(labels ? { labels } : {}) }];
    }
    return out;
  }
  cpus(v: number, r?: Reservation): this { return this.scalar('cpus', v, r); }
  mem(v: number, r?: Reservation): this { return this.scalar('mem', v, r); }
  disk(v: number, r?: Reservation): this { return this.scalar('disk', v, r); }
  gpus(v: number, r?: Reservation): this { return this.scalar('gpus', v, r); }
  revocableCpus(v: number): this {
    this.resources.push({ name: 'cpus', type: 'SCALAR', scalar: { value: v }, revocable: {}, ...this.extra() });
    return this;
  }
  ports(begin: number, end: number, r?: Reservation): this {
    this.resources.push({ name: 'ports', type: 'RANGES', ranges: { range: [{ begin, end }] }, ...this.extra(r) });
    return this;
  }
  hostname(h: string): this { this.host = h; return this; }
  agentId(a: string): this { this.agent = a; return this; }
  offerId(o: string): this { this.id = o; return this; }
  /** The role the offer is allocated to; undefined: no allocation info (a pre-multi-role master). */
  allocatedTo(role: string | undefined): this { this.role = role; return this; }
  attr(name: string, text: string): this {
    this.attributes.push({ name, type: 'TEXT', text: { value: text } });
    return this;
  }
  attribute(a: mesos.v1.Attribute): this { this.attributes.push(a); return this; }
  faultDomain(region: string, zone: string): this {
    this.domain = { fault_domain: { region: { name: region }, zone: { name: zone } } };
    return this;
  }
  maintenance(startMs: number, durationMs?: number): this {
    this.unavailability = durationMs === undefined
      ? { start: { nanoseconds: startMs * 1e6 } }
      : { start: { nanoseconds: startMs * 1e6 }, duration: { nanoseconds: durationMs * 1e6 } };
    return this;
  }
  build(): mesos.v1.Offer {
    const o: mesos.v1.Offer = {
      id: { value: this.id }, framework_id: { value: 'marathon' }, agent_id: { value: this.agent }, hostname: this.host,
      resources: this.resources.map((r) => ({ ...r })), attributes: [...this.attributes],
    };
    if (this.role !== undefined) o.allocation_info = { role: this.role };
    if (this.domain !== undefined) o.domain = this.domain;
    if (this.unavailability !== undefined) o.unavailability = this.unavailability;
    return o;
  }
}

export const offer = (): OfferBuilder => new OfferBuilder();

/** A normalised app with Marathon's defaults (cpus 1, mem 128, one dynamic port, role '*'). */
export function app(over: Omit<Partial<AppDefinition>, 'id'> & { readonly id?: string } = {}): AppDefinition {
  const { id, ...rest } = over;
  return testApp(id ?? '/app', { portDefinitions: [{ port: 0, protocol: 'tcp' }], ...rest });
}

/** A normalised pod container (cpus 1, mem 128, no endpoints, `sleep 1000` through the shell). */
export function podContainer(over: Partial<PodContainer> = {}): PodContainer {
  return testPodContainer(over);
}

/** A normalised pod with Marathon's defaults (one `podContainer()`, host network, executor 0.1/32/10, role '*'). */
export function pod(over: Omit<Partial<PodDefinition>, 'id'> & { readonly id?: string } = {}): PodDefinition {
  const { id, ...rest } = over;
  return testPod(id ?? '/pod', rest);
}
