import { describe, expect, it } from 'vitest';
import type { Pod } from '../kube/api/core.js';
import { hostAliasesOf, podHostname, renderHostNetworkHostsFile, renderPodHostsFile } from './hosts-file.js';

const pod = (name: string, spec: Record<string, unknown> = {}): Pod => ({ metadata: { name, namespace: 'shop' }, spec: { containers: [], ...spec } });

describe('podHostname', () => {
  it.each([
    { name: 'the pod name by default', pod: pod('web-1'), want: { hostname: 'web-1' } },
    { name: 'spec.hostname wins', pod: pod('web-1', { hostname: 'db' }), want: { hostname: 'db' } },
    { name: 'subdomain adds the FQDN', pod: pod('web-1', { hostname: 'db', subdomain: 'dbs' }), want: { hostname: 'db', fqdn: 'db.dbs.shop.svc.cluster.local' } },
    { name: 'long names are cut to 63 without a trailing dash', pod: pod(`${'a'.repeat(62)}-b`), want: { hostname: 'a'.repeat(62) } },
  ])('$name', ({ pod: p, want }) => {
    expect(podHostname(p, 'cluster.local')).toEqual(want);
  });
});

describe('renderPodHostsFile', () => {
  it('lists localhost, the IPv6 names, the pod address under FQDN and hostname, then the aliases', () => {
    const text = renderPodHostsFile({ hostname: 'db', fqdn: 'db.dbs.shop.svc.cluster.local' }, ['10.244.1.7'], [{ ip: '192.0.2.1', hostnames: ['foo', 'bar'] }]);
    expect(text).toBe(
      [
        '# Kubernetes-managed hosts file.',
        '127.0.0.1\tlocalhost',
        '::1\tlocalhost ip6-localhost ip6-loopback',
        'fe00::0\tip6-localnet',
        'fe00::0\tip6-mcastprefix',
        'fe00::1\tip6-allnodes',
        'fe00::2\tip6-allrouters',
        '10.244.1.7\tdb.dbs.shop.svc.cluster.local\tdb',
        '',
        '# Entries added by HostAliases.',
        '192.0.2.1\tfoo\tbar',
        '',
      ].join('\n'),
    );
  });

  it('names the pod by hostname alone without a subdomain', () => {
    expect(renderPodHostsFile({ hostname: 'web-1' }, ['10.244.0.5'], [])).toMatch(/\n10\.244\.0\.5\tweb-1\n$/);
  });

  it('hostNetwork pods keep the node file and get the aliases', () => {
    expect(renderHostNetworkHostsFile('127.0.0.1 localhost', [{ ip: '1.2.3.4', hostnames: ['x'] }])).toBe(
      '# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n\n# Entries added by HostAliases.\n1.2.3.4\tx\n',
    );
  });

  it('reads hostAliases from the spec', () => {
    expect(hostAliasesOf(pod('a', { hostAliases: [{ ip: '1.1.1.1', hostnames: ['one'] }] }))).toEqual([{ ip: '1.1.1.1', hostnames: ['one'] }]);
  });
});
