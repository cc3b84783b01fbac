// Fills a Service's clusterIP, nodePorts and healthCheckNodePort from the
// allocators on create and update, and gives back what a Service no longer
// uses. Every step that reserves something can be undone, so a write that
// fails afterwards (validation, a conflict) leaves the allocators as they were.
import type { Service, ServicePort } from '../kube/api/core.js';
import { AllocationError, type ClusterIPAllocator, type NodePortAllocator } from './allocators.js';
import { FieldError, invalid } from './validation/field-errors.js';

export interface AllocationTxn {
  /** Give back what this write reserved (the write failed). */
  undo(): void;
  /** The write is stored: give back what the old object held and the new one does not. */
  commit(): void;
}

function needsClusterIP(svc: Service): boolean {
  return (svc.spec?.type ?? 'ClusterIP') !== 'ExternalName';
}

function needsNodePorts(svc: Service): boolean {
  const t = svc.spec?.type;
  return t === 'NodePort' || (t === 'LoadBalancer' && svc.spec?.allocateLoadBalancerNodePorts !== false);
}

function needsHealthCheckNodePort(svc: Service): boolean {
  return svc.spec?.type === 'LoadBalancer' && svc.spec?.externalTrafficPolicy === 'Local';
}

function ipsOf(svc: Service | undefined): string[] {
  const ip = svc?.spec?.clusterIP;
  return ip && ip !== 'None' ? [ip] : [];
}

function portsOf(svc: Service | undefined): number[] {
  const out: number[] = [];
  for (const p of svc?.spec?.ports ?? []) if (typeof p?.nodePort === 'number' && p.nodePort > 0) out.push(p.nodePort);
  const hc = svc?.spec?.healthCheckNodePort;
  if (typeof hc === 'number' && hc > 0) out.push(hc);
  return out;
}

export class ServiceAllocations {
  constructor(
    readonly ips: ClusterIPAllocator,
    readonly ports: NodePortAllocator,
  ) {}

  /** Mark what the stored Services hold (at startup). Returns the problems found (double claims). */
  restore(services: readonly Service[]): string[] {
    const problems: string[] = [];
    for (const svc of services) {
      const id = `${svc.metadata.namespace}/${svc.metadata.name}`;
      for (const ip of ipsOf(svc)) {
        try {
          this.ips.allocate(ip);
        } catch (e) {
          problems.push(`Service ${id}: cluster IP ${ip}: ${(e as Error).message}`);
        }
      }
      for (const port of new Set(portsOf(svc))) {
        try {
          this.ports.allocate(port);
        } catch (e) {
          problems.push(`Service ${id}: node port ${port}: ${(e as Error).message}`);
        }
      }
    }
    return problems;
  }

  /**
   * Allocate for `svc` (mutated in place). `old` is the stored object on update:
   * values it holds and `svc` leaves unset are carried over, as Kubernetes does,
   * so re-applying a manifest without clusterIP keeps the address.
   * Throws FieldError[] when a requested value cannot be had.
   */
  allocate(svc: Service, old?: Service): AllocationTxn {
    const spec = svc.spec;
    const taken: (() => void)[] = [];
    const undo = () => {
      for (const u of taken.reverse()) u();
    };
    if (!spec) return { undo, commit: () => undefined };
    try {
      if (old) this.carryOver(svc, old);
      this.allocateClusterIP(svc, old, taken);
      this.allocateNodePorts(svc, old, taken);
    } catch (e) {
      undo();
      throw e;
    }
    return {
      undo,
      commit: () => {
        if (!old) return;
        const keepIPs = new Set(ipsOf(svc));
        for (const ip of ipsOf(old)) if (!keepIPs.has(ip)) this.ips.release(ip);
        const keepPorts = new Set(portsOf(svc));
        for (const p of portsOf(old)) if (!keepPorts.has(p)) this.ports.release(p);
      },
    };
  }

  release(svc: Service): void {
    for (const ip of ipsOf(svc)) this.ips.release(ip);
    for (const p of portsOf(svc)) this.ports.release(p);
  }

  private carryOver(svc: Service, old: Service): void {
    const spec = svc.spec!;
    const oldSpec = old.spec ?? {};
    if (needsClusterIP(svc) && (spec.clusterIP === undefined || spec.clusterIP === '') && oldSpec.clusterIP) {
      spec.clusterIP = oldSpec.clusterIP;
      if (oldSpec.clusterIPs) spec.clusterIPs = [...oldSpec.clusterIPs];
    }
    if (needsNodePorts(svc) && Array.isArray(spec.ports)) {
      for (const p of spec.ports) {
        if (!p || typeof p !== 'object' || (p.nodePort !== undefined && p.nodePort !== 0)) continue;
        const prev = (oldSpec.ports ?? []).find((o: ServicePort) => o.port === p.port && (o.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
        if (prev?.nodePort) p.nodePort = prev.nodePort;
      }
    }
    if (needsHealthCheckNodePort(svc) && !spec.healthCheckNodePort && oldSpec.healthCheckNodePort) {
      spec.healthCheckNodePort = oldSpec.healthCheckNodePort;
    }
  }

  private allocateClusterIP(svc: Service, old: Service | undefined, taken: (() => void)[]): void {
    const spec = svc.spec!;
    if (!needsClusterIP(svc)) return;
    if (spec.clusterIP === 'None') {
      spec.clusterIPs = ['None'];
      return;
    }
    const held = new Set(ipsOf(old));
    if (spec.clusterIP && held.has(spec.clusterIP)) {
      spec.clusterIPs = [spec.clusterIP];
      return;
    }
    if (spec.clusterIP) {
      const ip = spec.clusterIP;
      try {
        this.ips.allocate(ip);
      } catch (e) {
        const why = (e as Error).message.replace(/^the provided IP \([^)]*\) is /, 'provided IP is ');
        throw [invalid('spec.clusterIPs', [ip], `failed to allocate IP ${ip}: ${why}`)];
      }
      taken.push(() => this.ips.release(ip));
    } else {
      let ip: string;
      try {
        ip = this.ips.allocateNext();
      } catch (e) {
        throw [new FieldError('FieldValueInvalid', 'spec.clusterIPs', `failed to allocate a serviceIP: ${(e as Error).message}`, [])];
      }
      spec.clusterIP = ip;
      taken.push(() => this.ips.release(ip));
    }
    spec.clusterIPs = [spec.clusterIP];
  }

  private allocateNodePorts(svc: Service, old: Service | undefined, taken: (() => void)[]): void {
    const spec = svc.spec!;
    const held = new Set(portsOf(old));
    const mine = new Set<number>();
    const claim = (port: number, field: string) => {
      if (held.has(port) || mine.has(port)) {
        mine.add(port);
        return;
      }
      try {
        this.ports.allocate(port);
      } catch (e) {
        if (e instanceof AllocationError) throw [invalid(field, port, e.message)];
        throw e;
      }
      mine.add(port);
      taken.push(() => this.ports.release(port));
    };
    const next = (field: string): number => {
      try {
        const p = this.ports.allocateNext();
        mine.add(p);
        taken.push(() => this.ports.release(p));
        return p;
      } catch (e) {
        throw [invalid(field, 0, (e as Error).message)];
      }
    };
    if (Array.isArray(spec.ports)) {
      if (needsNodePorts(svc)) {
        spec.ports.forEach((p, i) => {
          if (!p || typeof p !== 'object') return;
          const field = `spec.ports[${i}].nodePort`;
          if (typeof p.nodePort === 'number' && p.nodePort !== 0) claim(p.nodePort, field);
          else p.nodePort = next(field);
        });
      } else if (old && needsNodePorts(old) && spec.type === 'ClusterIP') {
        // Changing a NodePort Service to ClusterIP gives its node ports back.
        for (const p of spec.ports) if (p && typeof p === 'object') delete p.nodePort;
      }
    }
    if (needsHealthCheckNodePort(svc)) {
      if (typeof spec.healthCheckNodePort === 'number' && spec.healthCheckNodePort !== 0) claim(spec.healthCheckNodePort, 'spec.healthCheckNodePort');
      else spec.healthCheckNodePort = next('spec.healthCheckNodePort');
    } else if (old?.spec?.healthCheckNodePort && spec.healthCheckNodePort === old.spec.healthCheckNodePort) {
      delete spec.healthCheckNodePort;
    }
  }
}
