import { describe, expect, it } from 'vitest';
import { cniEnv, describeCniFailure, gatewayOf, parseNetworkConfig, pickNetworkConfig, pluginStdin, podIPsFromResult, renderNodeCniConfig } from './cni-config.js';

describe('gatewayOf', () => {
  it.each([
    ['10.244.1.0/24', '10.244.1.1'],
    ['10.244.1.77/24', '10.244.1.1'],
    ['192.168.4.0/22', '192.168.4.1'],
  ])('%s → %s', (cidr, want) => {
    expect(gatewayOf(cidr)).toBe(want);
  });
  it.each(['fd00::/64', '10.0.0.0/31', 'nonsense'])('refuses %s', (cidr) => {
    expect(() => gatewayOf(cidr)).toThrow(/pod CIDR/);
  });
});

describe('renderNodeCniConfig', () => {
  it('is a conflist with the bridge, gateway .1 of the pod CIDR, MTU and portmap', () => {
    const list = parseNetworkConfig('x', renderNodeCniConfig({ podCIDR: '10.244.2.0/24', mtu: 1450, ipamDataDir: '/var/lib/x', portmap: true }));
    expect(list.plugins.map((p) => p.type)).toEqual(['netkube-cni', 'portmap']);
    expect(list.plugins[0]).toMatchObject({ bridge: 'nk-br0', mtu: 1450, ipam: { ranges: [[{ subnet: '10.244.2.0/24', gateway: '10.244.2.1' }]], dataDir: '/var/lib/x' } });
  });

  it('leaves portmap out when it is not installed', () => {
    const list = parseNetworkConfig('x', renderNodeCniConfig({ podCIDR: '10.244.2.0/24', ipamDataDir: '/d' }));
    expect(list.plugins.map((p) => p.type)).toEqual(['netkube-cni']);
  });
});

describe('pickNetworkConfig', () => {
  const good = (name: string) => JSON.stringify({ cniVersion: '1.0.0', name, plugins: [{ type: 'bridge' }] });
  it('takes the first loadable file by name, skipping broken ones, and wraps a single .conf', () => {
    const picked = pickNetworkConfig('/etc/cni/net.d', [
      { name: '20-b.conflist', text: good('b') },
      { name: '05-broken.conflist', text: '{' },
      { name: '10-a.conf', text: JSON.stringify({ cniVersion: '0.4.0', name: 'a', type: 'bridge' }) },
      { name: 'README', text: 'x' },
    ]);
    expect(picked).toMatchObject({ name: 'a', file: '10-a.conf', plugins: [{ type: 'bridge' }] });
  });
  it('names the directory when nothing is usable', () => {
    expect(() => pickNetworkConfig('/etc/cni/net.d', [])).toThrow('/etc/cni/net.d');
  });
});

describe('pluginStdin', () => {
  const list = parseNetworkConfig('x', renderNodeCniConfig({ podCIDR: '10.244.2.0/24', ipamDataDir: '/d', portmap: true }));
  it('injects name, cniVersion and prevResult, and portMappings only for plugins asking for them', () => {
    const maps = [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }];
    const first = JSON.parse(pluginStdin(list, 0, undefined, { portMappings: maps }));
    expect(first).toMatchObject({ name: 'netkube', cniVersion: '1.0.0', type: 'netkube-cni' });
    expect(first.runtimeConfig).toBeUndefined();
    const second = JSON.parse(pluginStdin(list, 1, { ips: [] }, { portMappings: maps }));
    expect(second).toMatchObject({ type: 'portmap', prevResult: { ips: [] }, runtimeConfig: { portMappings: maps } });
    expect(second.capabilities).toBeUndefined();
  });
});

describe('results', () => {
  it('reads the pod IPs of the sandbox interface', () => {
    const r = {
      interfaces: [{ name: 'nk-br0' }, { name: 'veth1' }, { name: 'eth0', sandbox: '/run/netns/x' }],
      ips: [{ address: 'fd00::5/64', interface: 2 }, { address: '10.244.1.5/24', interface: 2, gateway: '10.244.1.1' }, { address: '10.244.1.1/24', interface: 0 }],
    };
    expect(podIPsFromResult(r, 'eth0')).toEqual(['10.244.1.5', 'fd00::5']);
  });
  it('describes an error document', () => {
    expect(describeCniFailure('netkube-cni', 'ADD', 1, '{"code":11,"msg":"try again","details":"lock"}', '')).toBe('CNI ADD (netkube-cni) failed: try again: lock (code 11)');
    expect(describeCniFailure('x', 'DEL', 2, '', 'boom\n')).toBe('CNI DEL (x) exited with 2: boom');
  });
  it('builds CNI_ARGS with the pod identity', () => {
    const env = cniEnv({ command: 'ADD', containerID: 'c1', netns: '/run/netns/n', ifName: 'eth0', cniPath: '/opt/cni/bin', podNamespace: 'ns', podName: 'p', podUID: 'u' });
    expect(env.CNI_ARGS).toBe('IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;K8S_POD_INFRA_CONTAINER_ID=c1;K8S_POD_UID=u');
  });
});
