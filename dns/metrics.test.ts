import { describe, expect, it } from 'vitest';
import { bucketIndex, DnsMetrics, rcodeName, serverLabel, TIME_BUCKETS, typeName } from './metrics.js';

/** The sample lines (no comments) of a scrape, for exact matching. */
async function samples(m: DnsMetrics): Promise<string[]> {
  return (await m.render()).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

describe('DnsMetrics', () => {
  it('counts requests per proto, family and type under CoreDNS labels', async () => {
    const m = new DnsMetrics({ server: 'dns://:53' });
    m.query(false, false, 1, 0, 'kubernetes', 0.0001);
    m.query(false, false, 1, 3, 'kubernetes', 0.0001);
    m.query(true, true, 33, 0, 'kubernetes', 0.0001);
    m.query(false, false, 99, 0, 'forward', 0.01);
    const s = await samples(m);
    expect(s).toContain('coredns_dns_requests_total{server="dns://:53",zone=".",view="",proto="udp",family="1",type="A"} 2');
    expect(s).toContain('coredns_dns_requests_total{server="dns://:53",zone=".",view="",proto="tcp",family="2",type="SRV"} 1');
    expect(s).toContain('coredns_dns_requests_total{server="dns://:53",zone=".",view="",proto="udp",family="1",type="other"} 1');
  });

  it('counts responses per rcode and the plugin that wrote them', async () => {
    const m = new DnsMetrics({ server: 'dns://:53' });
    m.query(false, false, 1, 0, 'kubernetes', 0);
    m.query(false, false, 1, 3, 'kubernetes', 0);
    m.query(false, false, 1, 0, 'cache', 0);
    m.query(false, false, 0, 1, 'server', 0);
    const s = await samples(m);
    expect(s).toEqual(
      expect.arrayContaining([
        'coredns_dns_responses_total{server="dns://:53",zone=".",view="",rcode="NOERROR",plugin="kubernetes"} 1',
        'coredns_dns_responses_total{server="dns://:53",zone=".",view="",rcode="NXDOMAIN",plugin="kubernetes"} 1',
        'coredns_dns_responses_total{server="dns://:53",zone=".",view="",rcode="NOERROR",plugin="cache"} 1',
        'coredns_dns_responses_total{server="dns://:53",zone=".",view="",rcode="FORMERR",plugin=""} 1',
      ]),
    );
  });

  it('counts a dropped query as a request of zone "dropped" and no response', async () => {
    const m = new DnsMetrics({ server: 'dns://:53' });
    m.query(false, false, 0, -1, 'server', 0);
    const s = await samples(m);
    expect(s).toContain('coredns_dns_requests_total{server="dns://:53",zone="dropped",view="",proto="udp",family="1",type="other"} 1');
    expect(s.filter((l) => l.startsWith('coredns_dns_responses_total'))).toEqual([]);
  });

  it('fills the duration histogram cumulatively with CoreDNS buckets', async () => {
    const m = new DnsMetrics({ server: 'dns://:53' });
    m.query(false, false, 1, 0, 'kubernetes', 0.0002);
    m.query(false, false, 1, 0, 'kubernetes', 0.003);
    m.query(false, false, 1, 0, 'kubernetes', 20);
    const s = await samples(m);
    const lbl = 'server="dns://:53",zone=".",view="",type="A"';
    expect(s).toContain(`coredns_dns_request_duration_seconds_bucket{le="0.00025",${lbl}} 1`);
    expect(s).toContain(`coredns_dns_request_duration_seconds_bucket{le="0.002",${lbl}} 1`);
    expect(s).toContain(`coredns_dns_request_duration_seconds_bucket{le="0.004",${lbl}} 2`);
    expect(s).toContain(`coredns_dns_request_duration_seconds_bucket{le="8.192",${lbl}} 2`);
    expect(s).toContain(`coredns_dns_request_duration_seconds_bucket{le="+Inf",${lbl}} 3`);
    expect(s).toContain(`coredns_dns_request_duration_seconds_count{${lbl}} 3`);
    expect(s.find((l) => l.startsWith('coredns_dns_request_duration_seconds_sum'))).toMatch(/ 20\.0032/);
  });

  it('exports cache and forward metrics from the forwarder hooks', async () => {
    const m = new DnsMetrics({ server: 'dns://:53' });
    const up = { host: '10.0.0.2', port: 53 };
    m.forwarderHooks.cacheMiss();
    m.forwarderHooks.request(up);
    m.forwarderHooks.response(up, 3, 0.01);
    m.forwarderHooks.cacheHit(true);
    m.forwarderHooks.cacheHit(false);
    m.forwarderHooks.cacheHit(false);
    const s = await samples(m);
    expect(s).toEqual(
      expect.arrayContaining([
        'coredns_cache_hits_total{server="dns://:53",type="success",zones=".",view=""} 2',
        'coredns_cache_hits_total{server="dns://:53",type="denial",zones=".",view=""} 1',
        'coredns_cache_misses_total{server="dns://:53",zones=".",view=""} 1',
        'coredns_cache_requests_total{server="dns://:53",zones=".",view=""} 4',
        'coredns_forward_requests_total{to="10.0.0.2:53"} 1',
        'coredns_forward_responses_total{rcode="NXDOMAIN",to="10.0.0.2:53"} 1',
        'coredns_forward_request_duration_seconds_count{to="10.0.0.2:53",rcode="NXDOMAIN"} 1',
      ]),
    );
  });

  it('reports the same totals on a second scrape (collect rebuilds, never doubles)', async () => {
    const m = new DnsMetrics({ server: 'dns://:53' });
    m.query(false, false, 1, 0, 'kubernetes', 0);
    await m.render();
    m.query(false, false, 1, 0, 'kubernetes', 0);
    const s = await samples(m);
    expect(s).toContain('coredns_dns_requests_total{server="dns://:53",zone=".",view="",proto="udp",family="1",type="A"} 2');
    expect(s).toContain('coredns_dns_request_duration_seconds_count{server="dns://:53",zone=".",view="",type="A"} 2');
  });

  it('declares the types Prometheus needs', async () => {
    const text = await new DnsMetrics().render();
    expect(text).toContain('# TYPE coredns_dns_requests_total counter');
    expect(text).toContain('# TYPE coredns_dns_request_duration_seconds histogram');
    expect(text).toContain('# TYPE coredns_forward_request_duration_seconds histogram');
  });
});

describe('label helpers', () => {
  it.each([
    [0, 0],
    [0.00025, 0],
    [0.0002501, 1],
    [0.0005, 1],
    [0.001, 2],
    [TIME_BUCKETS.at(-1)!, 15],
    [100, 16],
    [Number.NaN, 0],
  ])('bucketIndex(%s) = %s', (s, want) => {
    expect(bucketIndex(s)).toBe(want);
  });

  it.each([
    ['0.0.0.0', 53, 'dns://:53'],
    ['::', 53, 'dns://:53'],
    ['127.0.0.1', 5353, 'dns://127.0.0.1:5353'],
    ['fd00::1', 53, 'dns://[fd00::1]:53'],
  ])('serverLabel(%s, %s) = %s', (bind, port, want) => {
    expect(serverLabel(bind, port)).toBe(want);
  });

  it.each([
    [1, 'A'],
    [28, 'AAAA'],
    [65, 'HTTPS'],
    [64, 'other'],
    [4000, 'other'],
  ])('typeName(%s) = %s', (t, want) => {
    expect(typeName(t)).toBe(want);
  });

  it.each([
    [0, 'NOERROR'],
    [2, 'SERVFAIL'],
    [5, 'REFUSED'],
    [12, 'RCODE12'],
  ])('rcodeName(%s) = %s', (r, want) => {
    expect(rcodeName(r)).toBe(want);
  });
});
