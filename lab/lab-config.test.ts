import { describe, expect, it } from 'vitest';
import { cidrsOverlap, networkOfInterfaceAddress, nthAddress, parseIpv4Cidr, type Ipv4Cidr } from './ipv4.js';
import { DEFAULT_LAB_FLAGS, isLabLink, isLabNetns, LabConfigError, linkOwnerAlias, planLab, resolveHome } from './lab-config.js';

const flags = { ...DEFAULT_LAB_FLAGS, home: '/h' };
const c = (t: string): Ipv4Cidr => parseIpv4Cidr('x', t) as Ipv4Cidr;

describe('ipv4', () => {
  it.each([
    ['10.244.0.0/16', '10.244.0.0/16'],
    ['10.244.1.0/16', 'host bits set; did you mean 10.244.0.0/16?'],
    ['10.244.0.0', 'is not an IPv4 CIDR'],
    ['300.1.1.0/24', 'is not an IPv4 CIDR'],
    ['10.0.0.0/33', 'is not an IPv4 CIDR'],
  ])('parses %s', (text, want) => {
    const r = parseIpv4Cidr('--pod-cidr', text);
    if (typeof r === 'string') expect(r).toContain(want);
    else expect(r.text).toBe(want);
  });

  it.each([
    ['10.96.0.0/12', '10.100.0.0/16', true],
    ['10.96.0.0/12', '10.112.0.0/16', false],
    ['172.18.0.0/24', '172.18.0.0/16', true],
    ['172.18.0.0/24', '172.19.0.0/24', false],
  ])('%s overlaps %s: %s', (a, b, want) => expect(cidrsOverlap(c(a), c(b))).toBe(want));

  it('picks addresses and interface networks', () => {
    expect(nthAddress(c('10.96.0.0/12'), 10)).toBe('10.96.0.10');
    expect(() => nthAddress(c('10.0.0.0/30'), 4)).toThrow(RangeError);
    expect(networkOfInterfaceAddress('172.18.5.1/16')?.text).toBe('172.18.0.0/16');
  });
});

describe('planLab', () => {
  it('lays out the defaults of the design', () => {
    const p = planLab(flags);
    expect(p).toMatchObject({
      id: 'nk-netkube',
      objectPrefix: 'nk-netkube-',
      hostLink: 'nk0',
      hostIP: '172.18.0.1',
      apiServerURL: 'https://172.18.0.1:6443',
      clusterDNS: '10.96.0.10',
      underlayNetns: 'nk-netkube-underlay',
      paths: { dir: '/h/netkube', kubeconfig: '/h/netkube/kubeconfig', state: '/h/netkube/lab.json' },
    });
    expect(p.nodes).toEqual([
      { index: 1, name: 'node-1', netns: 'nk-netkube-node-1', ip: '172.18.0.11', bridgePort: 'node-1', rootDir: '/h/netkube/nodes/node-1' },
      { index: 2, name: 'node-2', netns: 'nk-netkube-node-2', ip: '172.18.0.12', bridgePort: 'node-2', rootDir: '/h/netkube/nodes/node-2' },
    ]);
  });

  it.each([
    [{ name: 'My-Lab' }, '--name: "My-Lab"'],
    [{ prefix: 'toolongprefix' }, '--prefix: "toolongprefix"'],
    [{ prefix: 'n-k' }, '--prefix: "n-k"'],
    [{ nodes: 0 }, '--nodes: 0'],
    [{ nodes: 51 }, '--nodes: 51'],
    [{ apiserverPort: 70000 }, '--apiserver-port: 70000'],
    [{ podCidr: '10.244.0.0/24' }, '--pod-cidr: 10.244.0.0/24 is too small'],
    [{ serviceCidr: '10.244.0.0/16' }, '--pod-cidr 10.244.0.0/16 overlaps --service-cidr 10.244.0.0/16'],
    [{ underlay: '10.96.0.0/24' }, '--service-cidr 10.96.0.0/12 overlaps --underlay 10.96.0.0/24'],
    [{ underlay: '172.18.0.0/29' }, '--underlay: 172.18.0.0/29 has no room for 2 nodes'],
    [{ underlay: '172.18.0.1/24' }, 'did you mean 172.18.0.0/24'],
  ])('rejects %o', (over, message) => {
    expect(() => planLab({ ...flags, ...over })).toThrow(LabConfigError);
    expect(() => planLab({ ...flags, ...over })).toThrow(message);
  });

  it('resolves NETKUBE_HOME against the working directory', () => {
    expect(resolveHome({}, '/w')).toBe('/w/.netkube');
    expect(resolveHome({ NETKUBE_HOME: 'x' }, '/w')).toBe('/w/x');
    expect(resolveHome({ NETKUBE_HOME: '/abs' }, '/w')).toBe('/abs');
  });
});

describe('ownership by name', () => {
  const a = planLab({ ...flags, name: 'a' });
  const b = planLab({ ...flags, name: 'ab', prefix: 'nk2' });
  it.each([
    ['nk-a-node-1', true, false],
    ['nk-a-pod-123', true, false],
    ['nk-ab-node-1', false, false],
    ['nk2-ab-node-1', false, true],
    ['other', false, false],
  ])('netns %s: lab a %s, lab ab %s', (name, inA, inB) => {
    expect(isLabNetns(a, name)).toBe(inA);
    expect(isLabNetns(b, name)).toBe(inB);
  });

  it.each([
    [{ name: 'nk0', alias: linkOwnerAlias(a) }, true],
    [{ name: 'nk0', alias: 'netkube-lab:nk-other' }, false],
    [{ name: 'nk0' }, false],
    [{ name: 'nk20', alias: linkOwnerAlias(a) }, false],
    [{ name: 'eth0' }, false],
  ])('link %o belongs to lab a: %s', (link, want) => expect(isLabLink(a, link)).toBe(want));
});

describe('--join-underlay and --first-node-address', () => {
  const a = planLab({ ...flags, name: 'twoa', prefix: 'nka', underlay: '172.31.9.0/24', apiserverPort: 6581, podCidr: '10.252.0.0/16', serviceCidr: '10.113.0.0/16' });
  const bFlags = { ...flags, name: 'twob', prefix: 'nkb', underlay: '172.31.9.0/24', apiserverPort: 6582, podCidr: '10.253.0.0/16', serviceCidr: '10.114.0.0/16', joinUnderlay: 'twoa' };
  const joinA = { target: a, labs: [a] };

  it('places a lab on another lab\'s underlay: its bridge, host link and address, its own nodes and ports', () => {
    const b = planLab({ ...bFlags, nodes: 2, firstNodeAddress: '172.31.9.41' }, joinA);
    expect(b).toMatchObject({
      id: 'nkb-twob',
      underlayNetns: 'nka-twoa-underlay',
      underlayBridge: 'br0',
      underlayHostPort: 'host',
      hostLink: 'nka0',
      hostIP: '172.31.9.1',
      apiServerURL: 'https://172.31.9.1:6582',
      joinedUnderlay: { lab: 'twoa', id: 'nka-twoa' },
    });
    expect(b.nodes.map((n) => [n.netns, n.ip, n.bridgePort])).toEqual([
      ['nkb-twob-node-1', '172.31.9.41', 'ip-41'],
      ['nkb-twob-node-2', '172.31.9.42', 'ip-42'],
    ]);
    expect(a.joinedUnderlay).toBeUndefined();
    // The joined underlay's namespace is not the joiner's by name: only `down`'s last-user rule may remove it.
    expect(isLabNetns(b, 'nka-twoa-underlay')).toBe(false);
  });

  it('defaults the first node past every node already on the underlay', () => {
    const b = planLab({ ...bFlags, nodes: 2 }, joinA);
    expect(b.nodes.map((n) => n.ip)).toEqual(['172.31.9.21', '172.31.9.22']);
    const c = planLab({ ...bFlags, name: 'twoc', prefix: 'nkc', apiserverPort: 6583, podCidr: '10.254.0.0/16', serviceCidr: '10.115.0.0/16', nodes: 1 }, { target: a, labs: [a, b] });
    expect(c.nodes[0]!.ip).toBe('172.31.9.31');
  });

  it('lets a lab of its own choose where its nodes start', () => {
    expect(planLab({ ...flags, nodes: 2, firstNodeAddress: '172.18.0.100' }).nodes.map((n) => [n.ip, n.bridgePort])).toEqual([
      ['172.18.0.100', 'node-1'],
      ['172.18.0.101', 'node-2'],
    ]);
  });

  it.each([
    [{ firstNodeAddress: '172.31.9.12' }, '--first-node-address: nodes 172.31.9.12-172.31.9.12 overlap lab "twoa"\'s nodes 172.31.9.11-172.31.9.12'],
    [{ firstNodeAddress: '172.31.10.5' }, '--first-node-address: "172.31.10.5" is not an address in the underlay 172.31.9.0/24'],
    [{ firstNodeAddress: '172.31.9.1' }, '--first-node-address: 172.31.9.0/24 has no room for 1 node from 172.31.9.1'],
    [{ firstNodeAddress: '172.31.9.254', nodes: 2 }, '--first-node-address: 172.31.9.0/24 has no room for 2 nodes'],
    [{ podCidr: '10.252.0.0/16' }, '--pod-cidr 10.252.0.0/16 overlaps lab "twoa"\'s pod CIDR 10.252.0.0/16'],
    [{ podCidr: '10.113.0.0/16' }, '--pod-cidr 10.113.0.0/16 overlaps lab "twoa"\'s service CIDR 10.113.0.0/16'],
    [{ serviceCidr: '10.113.0.0/16' }, '--service-cidr 10.113.0.0/16 overlaps lab "twoa"\'s service CIDR'],
    [{ serviceCidr: '10.112.0.0/12' }, '--service-cidr 10.112.0.0/12 overlaps lab "twoa"\'s service CIDR 10.113.0.0/16'],
    [{ apiserverPort: 6581 }, '--apiserver-port 6581 is lab "twoa"\'s API server port on the shared host address 172.31.9.1'],
    [{ name: 'twoa' }, '--name twoa: lab "twoa" (nka-twoa) is already on this underlay'],
    [{ underlay: '172.31.8.0/24' }, '--underlay 172.31.8.0/24: lab "twoa" (--join-underlay) is on 172.31.9.0/24'],
  ])('rejects joining with %o', (over, message) => {
    expect(() => planLab({ ...bFlags, nodes: 1, ...over }, joinA)).toThrow(LabConfigError);
    expect(() => planLab({ ...bFlags, nodes: 1, ...over }, joinA)).toThrow(message);
  });

  it('checks against every lab already on the underlay, not only the one named', () => {
    const b = planLab({ ...bFlags, nodes: 1, firstNodeAddress: '172.31.9.41' }, joinA);
    const c = { ...bFlags, name: 'twoc', prefix: 'nkc', apiserverPort: 6583, podCidr: '10.254.0.0/16', serviceCidr: '10.115.0.0/16', nodes: 1 };
    expect(() => planLab({ ...c, firstNodeAddress: '172.31.9.41' }, { target: a, labs: [a, b] })).toThrow('overlap lab "twob"\'s nodes 172.31.9.41-172.31.9.41');
    expect(() => planLab({ ...c, podCidr: '10.253.0.0/16' }, { target: a, labs: [a, b] })).toThrow('--pod-cidr 10.253.0.0/16 overlaps lab "twob"\'s pod CIDR');
    expect(() => planLab({ ...c, apiserverPort: 6582 }, { target: a, labs: [a, b] })).toThrow('--apiserver-port 6582 is lab "twob"\'s');
  });
});
