import { describe, expect, it } from 'vitest';
import { parseSidecarArgs, UsageError } from './options.js';

describe('parseSidecarArgs', () => {
  it('has Envoy-like defaults', () => {
    const o = parseSidecarArgs(['--service', 'web', '--port', 'http']);
    expect(o).toEqual({
      service: { namespace: undefined, name: 'web' },
      port: { kind: 'name', name: 'http' },
      listen: { host: '127.0.0.1', port: 15001 },
      admin: { host: '127.0.0.1', port: 15000 },
      policy: 'round-robin',
      outlier: { consecutiveErrors: 3, baseEjectionMs: 5000, maxEjectionMs: 300_000, maxEjectionPercent: 50 },
      retries: 1,
      connectTimeoutMs: 1000,
      responseTimeoutMs: 15_000,
      kubeconfig: undefined,
    });
  });
  it('reads every flag', () => {
    const o = parseSidecarArgs([
      '--service', 'shop/web', '--port', '80', '--listen', '127.0.0.1:0', '--admin', ':9901', '--policy', 'least-request',
      '--consecutive-errors', '5', '--base-ejection-ms', '30000', '--max-ejection-percent', '10', '--retries', '0', '--kubeconfig', '/k',
    ]);
    expect(o.service).toEqual({ namespace: 'shop', name: 'web' });
    expect(o.port).toEqual({ kind: 'number', port: 80 });
    expect(o.listen).toEqual({ host: '127.0.0.1', port: 0 });
    expect(o.admin).toEqual({ host: '0.0.0.0', port: 9901 });
    expect(o.policy).toBe('least-request');
    expect(o.outlier).toMatchObject({ consecutiveErrors: 5, baseEjectionMs: 30000, maxEjectionPercent: 10 });
    expect(o.retries).toBe(0);
    expect(o.kubeconfig).toBe('/k');
  });
  it('rejects bad input with a UsageError', () => {
    for (const argv of [
      [],
      ['--service', 'web'],
      ['--service', 'a/b/c', '--port', 'http'],
      ['--service', 'web', '--port', 'http', '--policy', 'random'],
      ['--service', 'web', '--port', 'http', '--max-ejection-percent', '101'],
      ['--service', 'web', '--port', 'http', '--listen', 'nope'],
      ['--service', 'web', '--port', 'http', '--bogus', '1'],
    ]) {
      expect(() => parseSidecarArgs(argv), argv.join(' ')).toThrow(UsageError);
    }
  });
});
