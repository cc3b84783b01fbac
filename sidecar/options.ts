// The lb-sidecar's flags (the container's args). Defaults follow Envoy where
// it has one we mirror (consecutive errors differ: Envoy's
// consecutive_gateway_failure default is 5, ours 3 so a pod's death is noticed
// sooner; Envoy's max_ejection_percent is 10, ours 50 so one of two endpoints
// can be ejected).
import { parseArgs } from 'node:util';
import { parseListenAddress } from '../dns/http-endpoints.js';
import { parsePortSelector, type PortSelector } from './endpoints.js';
import type { OutlierOptions } from './outlier.js';
import { isPolicy, POLICIES, type Policy } from './picker.js';

export interface ListenAddress {
  host: string;
  port: number;
}

export interface SidecarOptions {
  /** Namespace undefined = the pod's (service-account namespace file or kubeconfig context), else "default". */
  service: { namespace: string | undefined; name: string };
  port: PortSelector;
  listen: ListenAddress;
  admin: ListenAddress;
  policy: Policy;
  outlier: OutlierOptions;
  /** Extra attempts, each on another endpoint, after a connect failure. */
  retries: number;
  /** Envoy's connect_timeout (default 5 s there; 1 s here: a pod IP on the same cluster answers in far less). */
  connectTimeoutMs: number;
  /** Until the answer's headers; 0 = none. Envoy's route timeout default is 15 s, ours too. */
  responseTimeoutMs: number;
  kubeconfig: string | undefined;
}

export const USAGE = `usage: lb-sidecar --service [<namespace>/]<name> --port <name|number> [flags]
  --listen 127.0.0.1:15001       where the app sends its requests
  --admin 127.0.0.1:15000        GET /stats (JSON), GET /ready
  --policy round-robin|least-request
  --consecutive-errors 3         connect failures / 502 / 503 / 504 in a row before ejection
  --base-ejection-ms 5000        ejection time = base × times ejected
  --max-ejection-ms 300000       cap on one ejection
  --max-ejection-percent 50      at most this share of endpoints ejected (one always may be)
  --retries 1                    retries after a connect failure, each to another endpoint
  --connect-timeout-ms 1000
  --response-timeout-ms 15000    until the answer's headers (504 after); 0 = none
  --kubeconfig <file>            outside a pod (in a pod: the service-account token)`;

export class UsageError extends Error {
  override name = 'UsageError';
}

function int(flag: string, raw: string | undefined, dflt: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) throw new UsageError(`--${flag} ${JSON.stringify(raw)}: want an integer in [${min}, ${max}]`);
  return n;
}

function listen(flag: string, raw: string | undefined, dflt: string): ListenAddress {
  const a = parseListenAddress(raw ?? dflt);
  if (!a) throw new UsageError(`--${flag} ${JSON.stringify(raw)}: want host:port`);
  return { host: a.host || '0.0.0.0', port: a.port };
}

export function parseSidecarArgs(argv: readonly string[]): SidecarOptions {
  let values: Record<string, string | undefined>;
  try {
    const parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(
        [
          'service', 'port', 'listen', 'admin', 'policy', 'consecutive-errors', 'base-ejection-ms', 'max-ejection-ms',
          'max-ejection-percent', 'retries', 'connect-timeout-ms', 'response-timeout-ms', 'kubeconfig',
        ].map((k) => [k, { type: 'string' as const }]),
      ),
    });
    values = parsed.values as Record<string, string | undefined>;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const svc = values['service'];
  if (!svc) throw new UsageError('--service is required');
  const parts = svc.split('/');
  if (parts.length > 2 || parts.some((p) => !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(p))) {
    throw new UsageError(`--service ${JSON.stringify(svc)}: want <name> or <namespace>/<name>`);
  }
  const service = parts.length === 2 ? { namespace: parts[0]!, name: parts[1]! } : { namespace: undefined, name: parts[0]! };
  if (!values['port']) throw new UsageError('--port is required (the Service port name or number)');
  let port: PortSelector;
  try {
    port = parsePortSelector(values['port']);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const policy = values['policy'] ?? 'round-robin';
  if (!isPolicy(policy)) throw new UsageError(`--policy ${JSON.stringify(policy)}: want ${POLICIES.join(' or ')}`);
  return {
    service,
    port,
    listen: listen('listen', values['listen'], '127.0.0.1:15001'),
    admin: listen('admin', values['admin'], '127.0.0.1:15000'),
    policy,
    outlier: {
      consecutiveErrors: int('consecutive-errors', values['consecutive-errors'], 3, 1),
      baseEjectionMs: int('base-ejection-ms', values['base-ejection-ms'], 5000, 1),
      maxEjectionMs: int('max-ejection-ms', values['max-ejection-ms'], 300_000, 1),
      maxEjectionPercent: int('max-ejection-percent', values['max-ejection-percent'], 50, 0, 100),
    },
    retries: int('retries', values['retries'], 1, 0, 10),
    connectTimeoutMs: int('connect-timeout-ms', values['connect-timeout-ms'], 1000, 1),
    responseTimeoutMs: int('response-timeout-ms', values['response-timeout-ms'], 15_000, 0),
    kubeconfig: values['kubeconfig'],
  };
}
