// The netkube-cni network configuration (bridge mode), decoded and checked
// once on the way in so the rest of the plugin never reads raw JSON.
import { CniError, ERR_INVALID_CONFIG, ERR_UNSUPPORTED_FIELD } from './cni-error.js';
import { parseIpamConfig, type IpamConfig } from './ipam-config.js';
import { decodeDns, decodeResult } from './result.js';
import type { CniDns, CniResult } from './types.js';

export const PLUGIN_TYPE = 'netkube-cni';
export const DEFAULT_BRIDGE = 'cni0';
export const DEFAULT_MTU = 1500;

export interface BridgeNetConf {
  readonly cniVersion: string;
  /** The network name (part of the IPAM store path and of every host veth's alias). */
  readonly name: string;
  readonly bridge: string;
  readonly mtu: number;
  /** Reflect frames back out the port they came in on, so a pod reaches itself through its own Service. */
  readonly hairpinMode: boolean;
  /** Put the gateway address on the bridge (the node is the pods' router). */
  readonly isGateway: boolean;
  readonly ipam: IpamConfig;
  readonly dns?: CniDns;
  readonly prevResult?: CniResult;
}

function invalid(msg: string): CniError {
  return new CniError(ERR_INVALID_CONFIG, msg);
}

/** Linux interface-name rules (the spec's, for CNI_IFNAME, apply to the bridge too). */
export function interfaceNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.length > 15) return `is ${name.length} characters, the limit is 15`;
  if (name === '.' || name === '..') return 'must not be . or ..';
  if (/[/:\s]/.test(name)) return 'must not contain /, : or whitespace';
  return undefined;
}

function bool(v: unknown, key: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw invalid(`${key}: ${JSON.stringify(v)} must be true or false`);
  return v;
}

/** Decodes a configuration the dispatcher already parsed as JSON (name and cniVersion checked there). */
export function parseBridgeNetConf(raw: Record<string, unknown>): BridgeNetConf {
  const name = String(raw.name);
  const cniVersion = String(raw.cniVersion);

  if (raw.ipMasq === true) {
    throw new CniError(
      ERR_UNSUPPORTED_FIELD,
      'unsupported field ipMasq: true',
      'netkube-cni does not masquerade; the node agent programs masquerading for pod traffic leaving the cluster',
    );
  }

  let bridge = DEFAULT_BRIDGE;
  if (raw.bridge !== undefined) {
    if (typeof raw.bridge !== 'string') throw invalid('bridge: must be an interface name');
    const problem = interfaceNameProblem(raw.bridge);
    if (problem) throw invalid(`bridge: "${raw.bridge}" ${problem}`);
    bridge = raw.bridge;
  }

  let mtu = DEFAULT_MTU;
  if (raw.mtu !== undefined) {
    if (typeof raw.mtu !== 'number' || !Number.isInteger(raw.mtu) || raw.mtu < 68 || raw.mtu > 65535) {
      throw invalid(`mtu: ${JSON.stringify(raw.mtu)} must be an integer between 68 and 65535`);
    }
    mtu = raw.mtu;
  }

  const conf: {
    -readonly [K in keyof BridgeNetConf]: BridgeNetConf[K];
  } = {
    cniVersion,
    name,
    bridge,
    mtu,
    hairpinMode: bool(raw.hairpinMode, 'hairpinMode', true),
    isGateway: bool(raw.isGateway, 'isGateway', true),
    ipam: parseIpamConfig(raw.ipam),
  };
  if (raw.dns !== undefined) {
    if (typeof raw.dns !== 'object' || raw.dns === null || Array.isArray(raw.dns)) throw invalid('dns: must be an object');
    conf.dns = decodeDns(raw.dns as Record<string, unknown>, 'dns');
  }
  if (raw.prevResult !== undefined && raw.prevResult !== null) conf.prevResult = decodeResult(raw.prevResult);
  return conf;
}
