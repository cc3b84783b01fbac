import { describe, expect, it } from 'vitest';
import { parseBridgeNetConf, type BridgeNetConf } from './config.js';
import {
  bridgeAddress,
  bridgeMac,
  buildAddResult,
  checkAttachment,
  hostVethName,
  parseVethAlias,
  planBridge,
  planHostVeth,
  planPodInterface,
  vethAlias,
  type LinkState,
  type ObservedAttachment,
} from './plan.js';
import type { CniResult } from './types.js';

const conf: BridgeNetConf = parseBridgeNetConf({
  cniVersion: '1.1.0',
  name: 'podnet',
  type: 'netkube-cni',
  bridge: 'nkbr0',
  mtu: 1450,
  ipam: { type: 'netkube-ipam', subnet: '10.244.1.0/24' },
  dns: { nameservers: ['10.96.0.10'] },
});
const att = { network: 'podnet', containerId: 'abc123', ifName: 'eth0', netns: '/run/netns/pod1' };
const ipamResult: CniResult = { ips: [{ address: '10.244.1.5/24', gateway: '10.244.1.1' }], routes: [{ dst: '10.96.0.0/12' }] };
const host = hostVethName(att);

describe('names', () => {
  it('host veth name fits IFNAMSIZ, is stable, and differs per ifname and network', () => {
    expect(host).toMatch(/^nkv[0-9a-f]{12}$/);
    expect(hostVethName(att)).toBe(host);
    expect(hostVethName({ ...att, ifName: 'net1' })).not.toBe(host);
    expect(hostVethName({ ...att, network: 'other' })).not.toBe(host);
  });

  it('the alias round-trips and foreign aliases are not ours', () => {
    expect(parseVethAlias(vethAlias(att))).toEqual({ network: 'podnet', containerId: 'abc123', ifName: 'eth0' });
    expect(parseVethAlias('docker/veth')).toBeUndefined();
  });

  it('bridge MAC is locally administered unicast', () => {
    expect(bridgeMac('podnet', 'nkbr0')).toMatch(/^02(:[0-9a-f]{2}){5}$/);
  });
});

describe('planBridge', () => {
  const up: LinkState = { name: 'nkbr0', kind: 'bridge', mtu: 1450, up: true, addresses: ['10.244.1.1/24'] };
  it.each([
    { name: 'missing: create with a fixed MAC, address it, bring it up', seen: undefined, want: [`link add name nkbr0 address ${bridgeMac('podnet', 'nkbr0')} mtu 1450 type bridge`, 'addr replace 10.244.1.1/24 dev nkbr0', 'link set dev nkbr0 up'] },
    { name: 'present and right: nothing to do', seen: up, want: [] },
    { name: 'present without the gateway: add it', seen: { ...up, addresses: [] }, want: ['addr replace 10.244.1.1/24 dev nkbr0'] },
    { name: 'present but down: bring it up', seen: { ...up, up: false }, want: ['link set dev nkbr0 up'] },
  ])('$name', ({ seen, want }) => {
    expect(planBridge(conf, seen, bridgeAddress(ipamResult))).toEqual(want);
  });

  it('isGateway false leaves the bridge without an address', () => {
    expect(planBridge({ ...conf, isGateway: false }, undefined, '10.244.1.1/24').some((l) => l.startsWith('addr'))).toBe(false);
  });
});

describe('ADD lines', () => {
  it('host side: one atomic veth add with the pod end straight into the netns, then alias and hairpin', () => {
    expect(planHostVeth(conf, att)).toEqual([
      `link add ${host} mtu 1450 master nkbr0 up type veth peer name eth0 mtu 1450 netns /run/netns/pod1`,
      `link set dev ${host} alias netkube-cni/podnet/abc123/eth0`,
      `link set dev ${host} type bridge_slave hairpin on`,
    ]);
    expect(planHostVeth({ ...conf, hairpinMode: false }, att)).toHaveLength(2);
  });

  it('pod side: lo, address, up, default route via the gateway, then IPAM routes', () => {
    expect(planPodInterface(att, ipamResult)).toEqual([
      'link set dev lo up',
      'addr add 10.244.1.5/24 dev eth0',
      'link set dev eth0 up',
      'route add default via 10.244.1.1 dev eth0',
      'route add 10.96.0.0/12 via 10.244.1.1 dev eth0',
    ]);
  });

  it('an IPAM default route replaces ours rather than doubling it', () => {
    const lines = planPodInterface(att, { ...ipamResult, routes: [{ dst: '0.0.0.0/0' }] });
    expect(lines.filter((l) => l.startsWith('route'))).toEqual(['route add default via 10.244.1.1 dev eth0']);
  });
});

describe('buildAddResult', () => {
  it('lists bridge, host veth and pod interface; the address points at the pod interface', () => {
    const r = buildAddResult(conf, att, ipamResult, { bridge: '02:00:00:00:00:01', host: '0a:00:00:00:00:02', pod: '0a:00:00:00:00:03' });
    expect(r).toEqual({
      interfaces: [
        { name: 'nkbr0', mac: '02:00:00:00:00:01' },
        { name: host, mac: '0a:00:00:00:00:02', mtu: 1450 },
        { name: 'eth0', mac: '0a:00:00:00:00:03', mtu: 1450, sandbox: '/run/netns/pod1' },
      ],
      ips: [{ address: '10.244.1.5/24', gateway: '10.244.1.1', interface: 2 }],
      routes: [{ dst: '0.0.0.0/0', gw: '10.244.1.1' }, { dst: '10.96.0.0/12' }],
      dns: { nameservers: ['10.96.0.10'] },
    });
  });
});

describe('checkAttachment', () => {
  const prev = buildAddResult(conf, att, ipamResult, { pod: '0a:00:00:00:00:03' });
  const healthy: ObservedAttachment = {
    bridge: { name: 'nkbr0', kind: 'bridge', mtu: 1450, up: true, addresses: ['10.244.1.1/24'] },
    host: { name: host, kind: 'veth', mtu: 1450, up: true, master: 'nkbr0', hairpin: true, addresses: [] },
    pod: { name: 'eth0', kind: 'veth', mac: '0a:00:00:00:00:03', mtu: 1450, up: true, addresses: ['10.244.1.5/24'] },
    podRoutes: [
      { dst: '0.0.0.0/0', gateway: '10.244.1.1', dev: 'eth0' },
      { dst: '10.96.0.0/12', gateway: '10.244.1.1', dev: 'eth0' },
      { dst: '10.244.1.0/24', dev: 'eth0' },
      { dst: '192.168.0.0/16', gateway: '10.244.1.9', dev: 'eth0' },
    ],
  };
  it('a healthy attachment (with an extra route a later plugin added) passes', () => {
    expect(checkAttachment(conf, att, prev, healthy)).toEqual([]);
  });

  it.each([
    { name: 'missing bridge', seen: { ...healthy, bridge: undefined }, want: 'bridge nkbr0 is missing' },
    { name: 'hairpin off', seen: { ...healthy, host: { ...healthy.host!, hairpin: false } }, want: `host veth ${host} has hairpin off` },
    { name: 'host veth on another bridge', seen: { ...healthy, host: { ...healthy.host!, master: 'docker0' } }, want: 'attached to docker0' },
    { name: 'pod interface gone', seen: { ...healthy, pod: undefined }, want: 'interface eth0 is missing in /run/netns/pod1' },
    { name: 'address removed', seen: { ...healthy, pod: { ...healthy.pod!, addresses: [] } }, want: 'lacks address 10.244.1.5/24' },
    { name: 'MAC changed', seen: { ...healthy, pod: { ...healthy.pod!, mac: '0a:00:00:00:00:99' } }, want: 'has MAC 0a:00:00:00:00:99' },
    { name: 'MTU changed', seen: { ...healthy, pod: { ...healthy.pod!, mtu: 1500 } }, want: 'has MTU 1500, config says 1450' },
    { name: 'default route gone', seen: { ...healthy, podRoutes: healthy.podRoutes.slice(1) }, want: 'route 0.0.0.0/0 via 10.244.1.1 is missing' },
  ])('$name → a problem naming it', ({ seen, want }) => {
    const problems = checkAttachment(conf, att, prev, seen as ObservedAttachment);
    expect(problems.join('; ')).toContain(want);
  });
});
