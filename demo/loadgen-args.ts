// Flags of the load generator's CLI (loadgen-main.ts), parsed without side
// effects so tests can check them.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseResolvConf, parseUpstream } from '../dns/forward.js';
import type { LoadgenOptions } from './loadgen.js';

export const LOADGEN_USAGE = `usage: loadgen-main --mode url|dns|headless [flags]
  --url http://host:port/path   url mode: a ClusterIP or the sidecar (new TCP connection per request)
  --name NAME                   dns/headless modes: the name to resolve (fully qualified)
  --port N                      dns/headless modes: port to connect to (headless default 8080)
  --dns-server IP[:PORT]        default: first nameserver in /etc/resolv.conf
  --rate N                      requests per second, open loop (default 50)
  --duration S                  seconds (default 30)
  --timeout-ms N                per request, and per DNS lookup (default 1000)
  --min-ttl S                   floor for cached DNS TTLs (default 1)
output: one JSON line per request {t,ms,ok,backend,podIp,target,...}, per lookup {t,resolved,ttl,ms}, and a first {t:0,startedAt,...}`;

/** The run's settings as the flags give them: runLoad's options without the callbacks, and minTtlS always set (its flag has a default). */
export type ParsedArgs = Omit<LoadgenOptions, 'emit' | 'signal' | 'random' | 'minTtlS'> & { minTtlS: number };

/** Flags → options; throws Error with a message meant for the user. `resolvConf` is read only when needed. */
export function parseLoadgenArgs(argv: string[], resolvConf: () => string = () => readFileSync('/etc/resolv.conf', 'utf8')): ParsedArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      mode: { type: 'string' },
      url: { type: 'string' },
      name: { type: 'string' },
      port: { type: 'string' },
      'dns-server': { type: 'string' },
      rate: { type: 'string', default: '50' },
      duration: { type: 'string', default: '30' },
      'timeout-ms': { type: 'string', default: '1000' },
      'min-ttl': { type: 'string', default: '1' },
    },
    strict: true,
  });
  const num = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < min) throw new Error(`--${flag} must be a number ≥ ${min}`);
    return n;
  };
  const mode = values.mode;
  if (mode !== 'url' && mode !== 'dns' && mode !== 'headless') throw new Error('--mode must be url, dns or headless');
  const out: ParsedArgs = {
    mode,
    rate: num('rate', values.rate, 0.001),
    durationS: num('duration', values.duration, 0.001),
    timeoutMs: num('timeout-ms', values['timeout-ms'], 1),
    minTtlS: num('min-ttl', values['min-ttl'], 0),
  };
  if (mode === 'url') {
    if (!values.url) throw new Error('--url is required in url mode');
    out.url = values.url;
    return out;
  }
  if (!values.name) throw new Error(`--name is required in ${mode} mode`);
  out.name = values.name;
  if (values.port !== undefined) out.port = num('port', values.port, 1);
  else if (mode === 'headless') out.port = 8080;
  else throw new Error('--port is required in dns mode');
  if (values['dns-server']) {
    const u = parseUpstream(values['dns-server']);
    if (!u) throw new Error(`--dns-server ${values['dns-server']}: not an IP[:port]`);
    out.dnsServer = u;
  } else {
    const first = parseResolvConf(resolvConf())[0];
    if (!first) throw new Error('no nameserver in /etc/resolv.conf; pass --dns-server');
    out.dnsServer = first;
  }
  return out;
}
