import { describe, expect, it } from 'vitest';
import type { PodSpec } from '../kube/api/core.js';
import { computePodResolvConf, parseResolvConf, renderResolvConf } from './resolv-conf.js';

const settings = { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local', hostResolvConf: 'nameserver 192.0.2.53\nsearch corp.example\noptions timeout:2\n' };
type Spec = Pick<PodSpec, 'dnsPolicy' | 'hostNetwork' | 'dnsConfig'>;

describe('computePodResolvConf', () => {
  it.each<{ name: string; spec: Spec; want: string }>([
    {
      name: 'ClusterFirst (the default) points at the cluster DNS with the namespace search path and ndots:5',
      spec: {},
      want: 'search web.svc.cluster.local svc.cluster.local cluster.local corp.example\nnameserver 10.96.0.10\noptions ndots:5\n',
    },
    { name: 'Default hands on the node resolver', spec: { dnsPolicy: 'Default' }, want: 'search corp.example\nnameserver 192.0.2.53\noptions timeout:2\n' },
    { name: 'hostNetwork with ClusterFirst falls back to the node resolver', spec: { hostNetwork: true }, want: 'search corp.example\nnameserver 192.0.2.53\noptions timeout:2\n' },
    {
      name: 'hostNetwork with ClusterFirstWithHostNet uses the cluster DNS',
      spec: { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' },
      want: 'search web.svc.cluster.local svc.cluster.local cluster.local corp.example\nnameserver 10.96.0.10\noptions ndots:5\n',
    },
    {
      name: 'None takes only dnsConfig',
      spec: { dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: ['a.example'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } },
      want: 'search a.example\nnameserver 1.1.1.1\noptions ndots:2 edns0\n',
    },
    {
      name: 'dnsConfig adds to ClusterFirst and its options override by name',
      spec: { dnsConfig: { nameservers: ['10.96.0.10', '8.8.8.8'], options: [{ name: 'ndots', value: '1' }] } },
      want: 'search web.svc.cluster.local svc.cluster.local cluster.local corp.example\nnameserver 10.96.0.10\nnameserver 8.8.8.8\noptions ndots:1\n',
    },
  ])('$name', ({ spec, want }) => {
    expect(renderResolvConf(computePodResolvConf('web', spec, settings))).toBe(want);
  });

  it('keeps at most three nameservers', () => {
    const r = computePodResolvConf('x', { dnsPolicy: 'None', dnsConfig: { nameservers: ['1.0.0.1', '1.0.0.2', '1.0.0.3', '1.0.0.4'] } }, settings);
    expect(r.nameservers).toEqual(['1.0.0.1', '1.0.0.2', '1.0.0.3']);
  });

  it('refuses None without nameservers', () => {
    expect(() => computePodResolvConf('x', { dnsPolicy: 'None' }, settings)).toThrow(/dnsConfig.nameservers/);
  });

  it('ClusterFirst without --cluster-dns uses the node resolver', () => {
    expect(computePodResolvConf('x', {}, { ...settings, clusterDNS: [] }).nameservers).toEqual(['192.0.2.53']);
  });
});

describe('parseResolvConf', () => {
  it('ignores comments, keeps the last search line and merges options', () => {
    expect(parseResolvConf('# hi\nnameserver 1.1.1.1 ; x\nsearch a b\ndomain c\noptions ndots:1 rotate\noptions ndots:3\n')).toEqual({
      nameservers: ['1.1.1.1'],
      searches: ['c'],
      options: ['ndots:3', 'rotate'],
    });
  });
});
