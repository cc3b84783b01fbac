import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EndpointSlice, Service, ServiceSpec } from '../kube/api/core.js';
import { EndpointsChangeTracker } from './endpoints-change-tracker.js';
import { servicePortChainName, servicePortEndpointChainName } from './iptables-chain-names.js';
import { normaliseIptablesRules, parseIptablesRestore, splitRuleWords } from './iptables-normalise.js';
import { renderHookRules, renderIptables } from './iptables-render.js';
import { checkRuleJumps, tracePacket } from './packet-tracer.js';
import type { ProxyConfig } from './proxy-config.js';
import { ServiceChangeTracker } from './service-change-tracker.js';
import { applyChanges, emptySnapshot, type ProxySnapshot } from './snapshot.js';

// ---- builders: API objects go through the same trackers the proxy uses.

function service(ns: string, name: string, spec: ServiceSpec, lbIngress?: string[]): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: ns, name },
    spec,
    ...(lbIngress ? { status: { loadBalancer: { ingress: lbIngress.map((ip) => ({ ip })) } } } : {}),
  };
}

interface Ep {
  ip: string;
  node?: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

function slice(
  ns: string,
  svc: string,
  eps: Ep[],
  ports: { name?: string; port: number; protocol?: 'TCP' | 'UDP' | 'SCTP' }[] = [{ name: 'p80', port: 80 }],
  sliceName = `${svc}-abc`,
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: ns, name: sliceName, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    ports: ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, protocol: p.protocol ?? 'TCP' })),
    endpoints: eps.map((e) => ({
      addresses: [e.ip],
      ...(e.node ? { nodeName: e.node } : {}),
      conditions: {
        ...(e.ready !== undefined ? { ready: e.ready } : {}),
        ...(e.serving !== undefined ? { serving: e.serving } : {}),
        ...(e.terminating !== undefined ? { terminating: e.terminating } : {}),
      },
    })),
  };
}

function snapshotOf(services: Service[], slices: EndpointSlice[]): ProxySnapshot {
  const st = new ServiceChangeTracker();
  const et = new EndpointsChangeTracker();
  for (const s of services) st.update(undefined, s);
  for (const s of slices) et.update(undefined, s);
  return applyChanges(emptySnapshot(), { services: st.checkout(), endpoints: et.checkout() }).snapshot;
}

const p80 = [{ name: 'p80', port: 80, protocol: 'TCP' as const }];
const cfg: ProxyConfig = { nodeName: 'node1', nodeIPs: ['192.168.0.2'], clusterCIDR: '10.0.0.0/8' };
const NODE_IP = '192.168.0.2';
const POD = '10.180.0.9'; // a pod on this node that is no endpoint
const EXTERNAL = '203.0.113.200';

// ---- scenarios: a cluster, its golden ruleset, and what packets do in it.

interface Flow {
  name: string;
  src: string;
  dst: string;
  dport: number;
  proto?: 'tcp' | 'udp' | 'sctp';
  fromNode?: boolean;
  output: string;
  masq: boolean;
}

interface Scenario {
  name: string;
  services: Service[];
  slices: EndpointSlice[];
  flows: Flow[];
}

const scenarios: Scenario[] = [
  {
    name: 'basic',
    services: [
      service('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: p80 }),
      service(
        'ns2',
        'svc2',
        {
          type: 'LoadBalancer',
          clusterIP: '172.30.0.42',
          ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }],
          externalIPs: ['192.168.99.22'],
          externalTrafficPolicy: 'Local',
          healthCheckNodePort: 30000,
        },
        ['1.2.3.4'],
      ),
      service('ns3', 'svc3', {
        type: 'NodePort',
        clusterIP: '172.30.0.43',
        ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3003 }],
      }),
      service('ns4', 'svc4', { clusterIP: '172.30.0.44', ports: p80, externalIPs: ['192.168.99.33'] }),
      service(
        'ns5',
        'svc5',
        {
          type: 'LoadBalancer',
          clusterIP: '172.30.0.45',
          ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3002 }],
          loadBalancerSourceRanges: ['203.0.113.0/25'],
        },
        ['5.6.7.8'],
      ),
      service('ns6', 'svc6', { clusterIP: '172.30.0.46', ports: p80 }),
      service('ns7', 'svc7', {
        type: 'NodePort',
        clusterIP: '172.30.0.47',
        ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3007 }],
        externalIPs: ['192.168.99.77'],
      }),
    ],
    slices: [
      slice('ns1', 'svc1', [{ ip: '10.180.0.1', node: 'node1' }]),
      slice('ns2', 'svc2', [{ ip: '10.180.0.2', node: 'node2' }]),
      slice('ns3', 'svc3', [{ ip: '10.180.0.3', node: 'node2' }]),
      slice('ns4', 'svc4', [{ ip: '10.180.0.4', node: 'node1' }, { ip: '10.180.0.5', node: 'node2' }]),
      slice('ns5', 'svc5', [{ ip: '10.180.0.3', node: 'node2' }]),
    ],
    flows: [
      { name: 'from a pod to a cluster IP with one endpoint → that endpoint, no masquerade', src: POD, dst: '172.30.0.41', dport: 80, output: '10.180.0.1:80', masq: false },
      { name: 'from a pod to 172.30.0.44:80 → 10.180.0.4:80 or 10.180.0.5:80, no masquerade', src: POD, dst: '172.30.0.44', dport: 80, output: '10.180.0.4:80, 10.180.0.5:80', masq: false },
      { name: 'wrong port of a cluster IP is not handled', src: POD, dst: '172.30.0.41', dport: 81, output: '', masq: false },
      { name: 'UDP to a TCP service port is not handled', src: POD, dst: '172.30.0.41', dport: 80, proto: 'udp', output: '', masq: false },
      { name: 'off-cluster source to a cluster IP is masqueraded', src: EXTERNAL, dst: '172.30.0.41', dport: 80, output: '10.180.0.1:80', masq: true },
      { name: 'hairpin: a pod reaching itself through its Service is masqueraded', src: '10.180.0.1', dst: '172.30.0.41', dport: 80, output: '10.180.0.1:80', masq: true },
      { name: 'the node itself to a cluster IP is masqueraded (off-cluster source)', src: NODE_IP, dst: '172.30.0.41', dport: 80, fromNode: true, output: '10.180.0.1:80', masq: true },
      { name: 'service with no endpoints is REJECTed', src: POD, dst: '172.30.0.46', dport: 80, output: 'REJECT', masq: false },
      { name: 'service with no endpoints is REJECTed for the node too', src: NODE_IP, dst: '172.30.0.46', dport: 80, fromNode: true, output: 'REJECT', masq: false },
      { name: 'external client to NodePort with policy Cluster is masqueraded', src: EXTERNAL, dst: NODE_IP, dport: 3003, output: '10.180.0.3:80', masq: true },
      { name: 'pod to NodePort with policy Cluster is masqueraded', src: POD, dst: NODE_IP, dport: 3003, output: '10.180.0.3:80', masq: true },
      { name: 'external IP of a service without endpoints is REJECTed', src: EXTERNAL, dst: '192.168.99.77', dport: 80, output: 'REJECT', masq: false },
      { name: 'NodePort of a service without endpoints is REJECTed', src: EXTERNAL, dst: NODE_IP, dport: 3007, output: 'REJECT', masq: false },
      { name: 'external client to NodePort with policy Local and no local endpoint is dropped', src: EXTERNAL, dst: NODE_IP, dport: 3001, output: 'DROP', masq: false },
      { name: 'external client to external IP with policy Local and no local endpoint is dropped', src: EXTERNAL, dst: '192.168.99.22', dport: 80, output: 'DROP', masq: false },
      { name: 'pod to external IP with policy Local short-circuits to the cluster chain, no masquerade', src: POD, dst: '192.168.99.22', dport: 80, output: '10.180.0.2:80', masq: false },
      { name: 'pod to load balancer IP with policy Local short-circuits, no masquerade', src: POD, dst: '1.2.3.4', dport: 80, output: '10.180.0.2:80', masq: false },
      { name: 'the node to a NodePort with policy Local uses the cluster chain and is masqueraded', src: NODE_IP, dst: NODE_IP, dport: 3001, fromNode: true, output: '10.180.0.2:80', masq: true },
      { name: 'cluster IP of a policy-Local service still reaches remote endpoints', src: POD, dst: '172.30.0.42', dport: 80, output: '10.180.0.2:80', masq: false },
      { name: 'health check node port is accepted', src: EXTERNAL, dst: NODE_IP, dport: 30000, output: 'ACCEPT', masq: false },
      { name: 'external IP with policy Cluster', src: EXTERNAL, dst: '192.168.99.33', dport: 80, output: '10.180.0.4:80, 10.180.0.5:80', masq: true },
      { name: 'load balancer IP from an allowed source range', src: '203.0.113.5', dst: '5.6.7.8', dport: 80, output: '10.180.0.3:80', masq: true },
      { name: 'load balancer IP from outside the source ranges is dropped', src: EXTERNAL, dst: '5.6.7.8', dport: 80, output: 'DROP', masq: false },
      { name: 'NodePort is not subject to loadBalancerSourceRanges', src: EXTERNAL, dst: NODE_IP, dport: 3002, output: '10.180.0.3:80', masq: true },
      { name: 'node port on 127.0.0.1 does not match', src: '127.0.0.1', dst: '127.0.0.1', dport: 3003, fromNode: true, output: '', masq: false },
      { name: 'node port on a non-local address does not match', src: EXTERNAL, dst: '192.168.0.99', dport: 3003, output: '', masq: false },
    ],
  },
  {
    name: 'traffic-policy-local',
    services: [
      service('ns1', 'np-local', {
        type: 'NodePort',
        clusterIP: '172.30.1.1',
        ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3101 }],
        externalTrafficPolicy: 'Local',
      }),
      service('ns1', 'itp-local', { clusterIP: '172.30.1.2', ports: p80, internalTrafficPolicy: 'Local' }),
      service('ns1', 'itp-remote-only', { clusterIP: '172.30.1.3', ports: p80, internalTrafficPolicy: 'Local' }),
    ],
    slices: [
      slice('ns1', 'np-local', [{ ip: '10.180.0.1', node: 'node1' }, { ip: '10.180.2.1', node: 'node2' }]),
      slice('ns1', 'itp-local', [{ ip: '10.180.0.2', node: 'node1' }, { ip: '10.180.2.2', node: 'node2' }]),
      slice('ns1', 'itp-remote-only', [{ ip: '10.180.2.3', node: 'node2' }]),
    ],
    flows: [
      { name: 'external client to NodePort with policy Local keeps source', src: EXTERNAL, dst: NODE_IP, dport: 3101, output: '10.180.0.1:80', masq: false },
      { name: 'pod to NodePort with policy Local goes to any endpoint, no masquerade', src: POD, dst: NODE_IP, dport: 3101, output: '10.180.0.1:80, 10.180.2.1:80', masq: false },
      { name: 'pod to the cluster IP of a policy-Local NodePort reaches all endpoints', src: POD, dst: '172.30.1.1', dport: 80, output: '10.180.0.1:80, 10.180.2.1:80', masq: false },
      { name: 'internalTrafficPolicy Local sends cluster traffic to local endpoints only', src: POD, dst: '172.30.1.2', dport: 80, output: '10.180.0.2:80', masq: false },
      { name: 'internalTrafficPolicy Local without local endpoints drops', src: POD, dst: '172.30.1.3', dport: 80, output: 'DROP', masq: false },
    ],
  },
  {
    name: 'affinity-and-protocols',
    services: [
      service('ns1', 'sticky', {
        clusterIP: '172.30.2.1',
        ports: p80,
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
      }),
      service('kube-system', 'kube-dns', {
        clusterIP: '172.30.2.10',
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        ],
      }),
      service('ns1', 'sctp', { clusterIP: '172.30.2.3', ports: [{ port: 9999, protocol: 'SCTP' }] }),
    ],
    slices: [
      slice('ns1', 'sticky', [{ ip: '10.180.0.1' }, { ip: '10.180.0.2' }, { ip: '10.180.0.3' }]),
      slice('kube-system', 'kube-dns', [{ ip: '10.180.0.10' }, { ip: '10.180.1.10' }], [
        { name: 'dns', port: 5353, protocol: 'UDP' },
        { name: 'dns-tcp', port: 5353, protocol: 'TCP' },
      ]),
      slice('ns1', 'sctp', [{ ip: '10.180.0.30' }], [{ port: 9999, protocol: 'SCTP' }]),
    ],
    flows: [
      { name: 'ClientIP affinity may reach any endpoint on a first packet', src: POD, dst: '172.30.2.1', dport: 80, output: '10.180.0.1:80, 10.180.0.2:80, 10.180.0.3:80', masq: false },
      { name: 'UDP to a DNS cluster IP → the UDP endpoints', src: POD, dst: '172.30.2.10', dport: 53, proto: 'udp', output: '10.180.0.10:5353, 10.180.1.10:5353', masq: false },
      { name: 'TCP to a DNS cluster IP → the TCP endpoints', src: POD, dst: '172.30.2.10', dport: 53, output: '10.180.0.10:5353, 10.180.1.10:5353', masq: false },
      { name: 'SCTP cluster IP with an unnamed port', src: POD, dst: '172.30.2.3', dport: 9999, proto: 'sctp', output: '10.180.0.30:9999', masq: false },
    ],
  },
  {
    name: 'terminating',
    services: [
      service('ns1', 'all-terminating', { clusterIP: '172.30.3.1', ports: p80 }),
      service('ns1', 'some-ready', { clusterIP: '172.30.3.2', ports: p80 }),
      service('ns1', 'none-serving', { clusterIP: '172.30.3.3', ports: p80 }),
      service('ns1', 'local-terminating', {
        type: 'NodePort',
        clusterIP: '172.30.3.4',
        ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3304 }],
        externalTrafficPolicy: 'Local',
      }),
    ],
    slices: [
      slice('ns1', 'all-terminating', [
        { ip: '10.180.0.1', ready: false, serving: true, terminating: true },
        { ip: '10.180.0.2', ready: false, serving: false, terminating: true },
      ]),
      slice('ns1', 'some-ready', [
        { ip: '10.180.0.3', ready: true },
        { ip: '10.180.0.4', ready: false, serving: true, terminating: true },
      ]),
      slice('ns1', 'none-serving', [{ ip: '10.180.0.5', ready: false, serving: false, terminating: false }]),
      slice('ns1', 'local-terminating', [
        { ip: '10.180.0.6', node: 'node1', ready: false, serving: true, terminating: true },
        { ip: '10.180.2.6', node: 'node2', ready: true },
      ]),
    ],
    flows: [
      { name: 'no ready endpoint: falls back to serving+terminating ones', src: POD, dst: '172.30.3.1', dport: 80, output: '10.180.0.1:80', masq: false },
      { name: 'a ready endpoint exists: terminating ones get no traffic', src: POD, dst: '172.30.3.2', dport: 80, output: '10.180.0.3:80', masq: false },
      { name: 'neither ready nor serving: REJECT', src: POD, dst: '172.30.3.3', dport: 80, output: 'REJECT', masq: false },
      { name: 'policy Local falls back to the local terminating endpoint', src: EXTERNAL, dst: NODE_IP, dport: 3304, output: '10.180.0.6:80', masq: false },
      { name: 'cluster traffic uses the ready remote endpoint', src: POD, dst: '172.30.3.4', dport: 80, output: '10.180.2.6:80', masq: false },
    ],
  },
];

const UPDATE = process.env.UPDATE_GOLDEN === '1';
const testdata = (name: string) => fileURLToPath(new URL(`./testdata/${name}.rules`, import.meta.url));

describe.each(scenarios)('scenario $name', (sc) => {
  const snapshot = snapshotOf(sc.services, sc.slices);
  const { text } = renderIptables(snapshot, cfg, { full: true });

  it('matches the golden ruleset', () => {
    const got = normaliseIptablesRules(text);
    if (UPDATE) writeFileSync(testdata(sc.name), got);
    let want: string;
    try {
      want = readFileSync(testdata(sc.name), 'utf8');
    } catch {
      throw new Error(`missing golden file testdata/${sc.name}.rules: run with UPDATE_GOLDEN=1 and review it`);
    }
    expect(got).toBe(want);
  });

  it('jumps only to existing chains and leaves no chain unused', () => {
    expect(checkRuleJumps(text)).toEqual([]);
  });

  it.each(sc.flows)('$name', (f) => {
    const r = tracePacket(text, { src: f.src, dst: f.dst, dport: f.dport, proto: f.proto ?? 'tcp' }, cfg.nodeIPs, {
      fromNode: f.fromNode ?? false,
    });
    expect({ output: r.output, masq: r.masq }, `matched:\n${r.matched.join('\n')}`).toEqual({ output: f.output, masq: f.masq });
  });
});

describe('rendered rules', () => {
  const basic = scenarios[0]!;
  const snapshot = snapshotOf(basic.services, basic.slices);
  const { text } = renderIptables(snapshot, cfg, { full: true });
  const lines = text.split('\n');

  it.each([
    [
      'cluster IP rule with kube-proxy comment',
      '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O',
    ],
    [
      'masquerade off-cluster traffic to a cluster IP',
      '-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ',
    ],
    ['equal spread over two endpoints', '-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.4:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC'],
    ['hairpin masquerade', '-A KUBE-SEP-RS4RBKLTHTF2IUXJ -m comment --comment ns2/svc2:p80 -s 10.180.0.2 -j KUBE-MARK-MASQ'],
    ['DNAT', '-A KUBE-SEP-RS4RBKLTHTF2IUXJ -m comment --comment ns2/svc2:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.2:80'],
    ['masquerade marked packets', '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN'],
    ['clear the mark with --xor', '-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000'],
    ['mark for masquerade', '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000'],
    ['NodePorts last, never on loopback', '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j KUBE-NODEPORTS'],
    ['REJECT in the filter table for a service without endpoints', '-A KUBE-SERVICES -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.46 --dport 80 -j REJECT'],
    ['firewall drop for load balancer source ranges', '-A KUBE-PROXY-FIREWALL -m comment --comment "ns5/svc5:p80 traffic not accepted by KUBE-FW-NUKIZ6OKUXPJNT4C" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j DROP'],
    ['canary chain', ':KUBE-PROXY-CANARY - [0:0]'],
  ])('has the %s', (_what, line) => {
    expect(lines).toContain(line);
  });

  it('puts the NodePorts jump last in nat KUBE-SERVICES', () => {
    const nat = parseIptablesRestore(text).find((t) => t.name === 'nat')!;
    const svcRules = nat.rules.filter((r) => r.chain === 'KUBE-SERVICES');
    expect(svcRules.at(-1)!.args).toContain('KUBE-NODEPORTS');
  });

  it('is deterministic whatever order the objects arrived in', () => {
    const reversed = snapshotOf([...basic.services].reverse(), [...basic.slices].reverse());
    expect(renderIptables(reversed, cfg, { full: true }).text).toBe(text);
  });

  it('without a cluster CIDR does not masquerade by source and has no pod short-circuit', () => {
    const noCidr = renderIptables(snapshot, { nodeName: 'node1', nodeIPs: [NODE_IP] }, { full: true }).text;
    expect(noCidr).not.toContain('! -s 10.0.0.0/8');
    expect(noCidr).not.toContain('pod traffic for');
    const r = tracePacket(noCidr, { src: EXTERNAL, dst: '172.30.0.41', dport: 80 }, [NODE_IP]);
    expect(r).toMatchObject({ output: '10.180.0.1:80', masq: false });
  });

  it('honours the masquerade bit', () => {
    const t = renderIptables(snapshot, { ...cfg, masqueradeBit: 5 }, { full: true }).text;
    expect(t).toContain('-A KUBE-MARK-MASQ -j MARK --or-mark 0x20');
    const r = tracePacket(t, { src: EXTERNAL, dst: '172.30.0.41', dport: 80 }, [NODE_IP]);
    expect(r.masq).toBe(true);
  });

  it('drops per-endpoint comments in large cluster mode, like kube-proxy', () => {
    const t = renderIptables(snapshot, { ...cfg, largeClusterEndpointsThreshold: 2 }, { full: true }).text;
    expect(t).toContain('-A KUBE-SEP-RS4RBKLTHTF2IUXJ -s 10.180.0.2 -j KUBE-MARK-MASQ');
    expect(t).toContain('-A KUBE-SVC-4SW47YFZTEDKD3PK -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC');
    // Top-level rules keep theirs.
    expect(t).toContain('--comment "ns1/svc1:p80 cluster IP"');
    expect(checkRuleJumps(t)).toEqual([]);
  });

  it('spreads n endpoints with probabilities 1/n, 1/(n-1), ... formatted as %0.10f', () => {
    const eps = Array.from({ length: 6 }, (_, i) => ({ ip: `10.180.0.${i + 1}` }));
    const s = snapshotOf([service('ns', 'six', { clusterIP: '172.30.9.9', ports: p80 })], [slice('ns', 'six', eps)]);
    const t = renderIptables(s, cfg, { full: true }).text;
    const probs = t
      .split('\n')
      .filter((l) => l.includes('--probability'))
      .map((l) => splitRuleWords(l)[splitRuleWords(l).indexOf('--probability') + 1]);
    expect(probs).toEqual(['0.1666666667', '0.2000000000', '0.2500000000', '0.3333333333', '0.5000000000']);
  });

  it('keeps the LB VIP as an allowed source when a source range covers the node', () => {
    const s = snapshotOf(
      [
        service(
          'ns',
          'lb',
          { type: 'LoadBalancer', clusterIP: '172.30.9.1', ports: [{ name: 'p80', port: 80, nodePort: 3999 }], loadBalancerSourceRanges: ['192.168.0.0/24'] },
          ['5.6.7.9'],
        ),
      ],
      [slice('ns', 'lb', [{ ip: '10.180.0.1' }])],
    );
    const t = renderIptables(s, cfg, { full: true }).text;
    expect(t).toContain('-m comment --comment "ns/lb:p80 loadbalancer IP" -s 5.6.7.9 -j KUBE-EXT-');
    expect(tracePacket(t, { src: '5.6.7.9', dst: '5.6.7.9', dport: 80 }, [NODE_IP])).toMatchObject({ output: '10.180.0.1:80' });
  });
});

describe('renderHookRules', () => {
  it('hooks nat PREROUTING, OUTPUT and POSTROUTING and the filter chains like kube-proxy', () => {
    const hooks = renderHookRules().map((h) => `${h.table} ${h.chain} -j ${h.args.at(-1)}`);
    expect(hooks).toEqual([
      'filter INPUT -j KUBE-PROXY-FIREWALL',
      'filter INPUT -j KUBE-NODEPORTS',
      'filter INPUT -j KUBE-EXTERNAL-SERVICES',
      'filter FORWARD -j KUBE-PROXY-FIREWALL',
      'filter FORWARD -j KUBE-FORWARD',
      'filter FORWARD -j KUBE-SERVICES',
      'filter FORWARD -j KUBE-EXTERNAL-SERVICES',
      'filter OUTPUT -j KUBE-PROXY-FIREWALL',
      'filter OUTPUT -j KUBE-SERVICES',
      'nat PREROUTING -j KUBE-SERVICES',
      'nat OUTPUT -j KUBE-SERVICES',
      'nat POSTROUTING -j KUBE-POSTROUTING',
    ]);
  });
});

// ---- partial syncs, checked against a simulated kernel.

type Kernel = Map<string, Map<string, string[]>>;

/** Applies restore text the way `iptables-restore --noflush` does, failing where the kernel would. */
function restoreNoflush(kernel: Kernel, text: string): void {
  for (const t of parseIptablesRestore(text)) {
    let chains = kernel.get(t.name);
    if (!chains) kernel.set(t.name, (chains = new Map()));
    for (const c of t.chains) chains.set(c, []);
    for (const r of t.rules) {
      const rules = chains.get(r.chain);
      if (!rules) throw new Error(`restore: rule for missing chain ${t.name} ${r.chain}`);
      rules.push(r.raw);
    }
    for (const c of t.deleted) {
      if (!chains.has(c)) throw new Error(`restore: -X of missing chain ${c}`);
      for (const [owner, rules] of chains) {
        for (const raw of rules) {
          const w = splitRuleWords(raw);
          if (w[w.indexOf('-j') + 1] === c) throw new Error(`restore: -X ${c} still referenced from ${owner}`);
        }
      }
      if (chains.get(c)!.length > 0) throw new Error(`restore: -X of non-empty chain ${c}`);
      chains.delete(c);
    }
  }
}

function dumpKernel(kernel: Kernel): string {
  const out: string[] = [];
  for (const [table, chains] of kernel) {
    out.push(`*${table}`);
    for (const c of chains.keys()) out.push(`:${c} - [0:0]`);
    for (const rules of chains.values()) out.push(...rules);
    out.push('COMMIT');
  }
  return out.join('\n') + '\n';
}

describe('partial sync', () => {
  const services = [
    service('ns1', 'web', { clusterIP: '172.30.0.41', ports: p80 }),
    service('ns1', 'api', { type: 'NodePort', clusterIP: '172.30.0.42', ports: [{ name: 'p80', port: 80, nodePort: 3042 }] }),
    service('ns1', 'empty', { clusterIP: '172.30.0.43', ports: p80 }),
  ];
  const webSlice = slice('ns1', 'web', [{ ip: '10.180.0.1' }, { ip: '10.180.0.2' }]);
  const apiSlice = slice('ns1', 'api', [{ ip: '10.180.0.3' }]);

  function setup() {
    const st = new ServiceChangeTracker();
    const et = new EndpointsChangeTracker();
    for (const s of services) st.update(undefined, s);
    et.update(undefined, webSlice);
    et.update(undefined, apiSlice);
    const base = applyChanges(emptySnapshot(), { services: st.checkout(), endpoints: et.checkout() }).snapshot;
    const kernel: Kernel = new Map();
    restoreNoflush(kernel, renderIptables(base, cfg, { full: true }).text);
    const sync = () => {
      const res = applyChanges(base, { services: st.checkout(), endpoints: et.checkout() });
      const partial = renderIptables(res.snapshot, cfg, { full: false, changedServices: res.changedServices, previous: base });
      restoreNoflush(kernel, partial.text);
      const want = normaliseIptablesRules(renderIptables(res.snapshot, cfg, { full: true }).text);
      const kernelText = dumpKernel(kernel);
      return { partial, res, kernelText, kernelRules: normaliseIptablesRules(kernelText), want };
    };
    return { st, et, sync };
  }

  it('an endpoint added to a Service that keeps endpoints rewrites only its chains, not KUBE-SERVICES', () => {
    const { et, sync } = setup();
    et.update(webSlice, slice('ns1', 'web', [{ ip: '10.180.0.1' }, { ip: '10.180.0.2' }, { ip: '10.180.0.7' }]));
    const { partial, kernelRules, want } = sync();
    expect(partial.rewrittenTopLevelChains).toEqual([]);
    expect(partial.text).not.toContain('KUBE-SERVICES');
    expect(partial.text).not.toContain('*filter');
    expect(partial.text).toContain(`:${servicePortChainName('ns1/web:p80', 'tcp')} - [0:0]`);
    expect(partial.text).not.toContain(servicePortChainName('ns1/api:p80', 'tcp'));
    expect(kernelRules).toBe(want);
  });

  it('an endpoint removed deletes its stale KUBE-SEP chain', () => {
    const { et, sync } = setup();
    et.update(webSlice, slice('ns1', 'web', [{ ip: '10.180.0.1' }]));
    const { partial, kernelRules, want } = sync();
    const sep = servicePortEndpointChainName('ns1/web:p80', 'tcp', '10.180.0.2:80');
    expect(partial.deletedChains).toEqual([sep]);
    expect(partial.text).toContain(`-X ${sep}`);
    expect(partial.rewrittenTopLevelChains).toEqual([]);
    expect(kernelRules).toBe(want);
  });

  it('losing the last endpoint rewrites KUBE-SERVICES (REJECT instead of the jump) and deletes the chains', () => {
    const { et, sync } = setup();
    et.update(apiSlice, undefined);
    const { partial, kernelText, kernelRules, want } = sync();
    expect(partial.rewrittenTopLevelChains).toEqual(
      expect.arrayContaining(['nat KUBE-SERVICES', 'nat KUBE-NODEPORTS', 'filter KUBE-SERVICES', 'filter KUBE-EXTERNAL-SERVICES']),
    );
    expect(partial.deletedChains).toEqual(
      expect.arrayContaining([servicePortChainName('ns1/api:p80', 'tcp'), servicePortEndpointChainName('ns1/api:p80', 'tcp', '10.180.0.3:80')]),
    );
    expect(kernelRules).toBe(want);
    expect(tracePacket(kernelText, { src: POD, dst: '172.30.0.42', dport: 80 }, [NODE_IP]).output).toBe('REJECT');
    expect(tracePacket(kernelText, { src: EXTERNAL, dst: NODE_IP, dport: 3042 }, [NODE_IP]).output).toBe('REJECT');
  });

  it('a first endpoint for an empty Service rewrites KUBE-SERVICES and creates its chains', () => {
    const { et, sync } = setup();
    et.update(undefined, slice('ns1', 'empty', [{ ip: '10.180.0.9' }]));
    const { partial, kernelRules, want } = sync();
    expect(partial.rewrittenTopLevelChains).toEqual(expect.arrayContaining(['nat KUBE-SERVICES', 'filter KUBE-SERVICES']));
    expect(kernelRules).toBe(want);
  });

  it('a deleted Service loses its rules and chains', () => {
    const { st, sync } = setup();
    st.update(services[0], undefined);
    const { partial, kernelRules, want } = sync();
    expect(partial.deletedChains).toEqual(
      [
        servicePortChainName('ns1/web:p80', 'tcp'),
        servicePortEndpointChainName('ns1/web:p80', 'tcp', '10.180.0.1:80'),
        servicePortEndpointChainName('ns1/web:p80', 'tcp', '10.180.0.2:80'),
      ].sort(),
    );
    expect(kernelRules).toBe(want);
  });

  it('a new Service port is added', () => {
    const { st, et, sync } = setup();
    const web2 = service('ns1', 'web', { clusterIP: '172.30.0.41', ports: [...p80, { name: 'p443', port: 443, protocol: 'TCP' }] });
    st.update(services[0], web2);
    et.update(webSlice, slice('ns1', 'web', [{ ip: '10.180.0.1' }, { ip: '10.180.0.2' }], [{ name: 'p80', port: 80 }, { name: 'p443', port: 8443 }]));
    const { partial, res, kernelRules, want } = sync();
    expect([...res.changedServices]).toEqual(['ns1/web:p443']);
    expect(partial.rewrittenServices).toEqual(['ns1/web:p443']);
    expect(kernelRules).toBe(want);
  });

  it('a change of protocol replaces the chains (the hash includes the protocol)', () => {
    const { st, et, sync } = setup();
    st.update(services[0], service('ns1', 'web', { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80, protocol: 'UDP' }] }));
    et.update(webSlice, slice('ns1', 'web', [{ ip: '10.180.0.1' }, { ip: '10.180.0.2' }], [{ name: 'p80', port: 80, protocol: 'UDP' }]));
    const { partial, kernelRules, want } = sync();
    expect(partial.deletedChains).toContain(servicePortChainName('ns1/web:p80', 'tcp'));
    expect(kernelRules).toBe(want);
  });

  it('with nothing changed writes nothing', () => {
    const { sync } = setup();
    const { partial } = sync();
    expect(partial.text).toBe('');
  });

  it('without the previous snapshot rewrites every top-level chain, as kube-proxy does', () => {
    const s = snapshotOf(services, [webSlice, apiSlice]);
    const r = renderIptables(s, cfg, { full: false, changedServices: new Set(['ns1/web:p80']) });
    expect(r.rewrittenTopLevelChains).toEqual(
      expect.arrayContaining(['nat KUBE-SERVICES', 'nat KUBE-NODEPORTS', 'filter KUBE-SERVICES', 'filter KUBE-NODEPORTS']),
    );
    expect(r.rewrittenServices).toEqual(['ns1/web:p80']);
  });
});

describe('full sync stale chains', () => {
  const s = snapshotOf([service('ns1', 'web', { clusterIP: '172.30.0.41', ports: p80 })], [slice('ns1', 'web', [{ ip: '10.180.0.1' }])]);

  it('deletes only our per-service chains that no longer exist', () => {
    const live = servicePortChainName('ns1/web:p80', 'tcp');
    const r = renderIptables(s, cfg, {
      full: true,
      existingNatChains: [live, 'KUBE-SVC-AAAAAAAAAAAAAAAA', 'KUBE-SEP-BBBBBBBBBBBBBBBB', 'KUBE-SERVICES', 'DOCKER', 'KUBE-MARK-DROP'],
    });
    expect(r.deletedChains).toEqual(['KUBE-SEP-BBBBBBBBBBBBBBBB', 'KUBE-SVC-AAAAAAAAAAAAAAAA']);
    expect(r.text).toContain('-X KUBE-SVC-AAAAAAAAAAAAAAAA');
    expect(checkRuleJumps(r.text)).toEqual([]);
  });

  it('finds stale chains from the previous snapshot when the kernel was not read', () => {
    const previous = snapshotOf(
      [service('ns1', 'web', { clusterIP: '172.30.0.41', ports: p80 }), service('ns1', 'gone', { clusterIP: '172.30.0.49', ports: p80 })],
      [slice('ns1', 'web', [{ ip: '10.180.0.1' }]), slice('ns1', 'gone', [{ ip: '10.180.0.8' }])],
    );
    const r = renderIptables(s, cfg, { full: true, previous });
    expect(r.deletedChains).toEqual(
      [servicePortEndpointChainName('ns1/gone:p80', 'tcp', '10.180.0.8:80'), servicePortChainName('ns1/gone:p80', 'tcp')].sort(),
    );
  });
});
