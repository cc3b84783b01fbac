import { describe, expect, it } from 'vitest';
import { parseListenAddress, respondTo, type EndpointPath, type StatusSource } from './http-endpoints.js';

function status(s: { healthy?: boolean; notReady?: string[] } = {}): StatusSource {
  return {
    healthy: () => s.healthy ?? true,
    notReady: () => s.notReady ?? [],
    metrics: async () => ({ body: 'coredns_dns_requests_total 1\n', contentType: 'text/plain; version=0.0.4' }),
  };
}

const all = new Set<EndpointPath>(['/health', '/ready', '/metrics']);

describe('respondTo', () => {
  it.each([
    { name: 'health while serving', path: '/health', st: status(), want: { status: 200, body: 'OK' } },
    { name: 'health while shutting down', path: '/health', st: status({ healthy: false }), want: { status: 503 } },
    { name: 'ready before sync names what is missing', path: '/ready', st: status({ notReady: ['kubernetes'] }), want: { status: 503, body: 'kubernetes' } },
    { name: 'ready after sync', path: '/ready', st: status(), want: { status: 200, body: 'OK' } },
    { name: 'metrics in Prometheus text', path: '/metrics', st: status(), want: { status: 200, body: 'coredns_dns_requests_total 1\n', contentType: 'text/plain; version=0.0.4' } },
    { name: 'a query string is ignored', path: '/ready?verbose', st: status(), want: { status: 200 } },
    { name: 'unknown path', path: '/healthz', st: status(), want: { status: 404 } },
  ])('$name', async ({ path, st, want }) => {
    expect(await respondTo('GET', path, all, st)).toMatchObject(want);
  });

  it('serves only the paths of its own listener', async () => {
    expect((await respondTo('GET', '/metrics', new Set<EndpointPath>(['/health']), status())).status).toBe(404);
  });

  it('refuses writes', async () => {
    expect((await respondTo('POST', '/health', all, status())).status).toBe(405);
  });
});

describe('parseListenAddress', () => {
  it.each([
    [':9153', { host: '', port: 9153 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['[::1]:9153', { host: '::1', port: 9153 }],
    ['9153', undefined],
    ['localhost:99999', undefined],
    ['::1:9153', undefined],
  ])('%s', (spec, want) => {
    expect(parseListenAddress(spec)).toEqual(want);
  });
});
