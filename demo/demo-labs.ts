// Bringing the demo's two clusters up, through the same `netkube up` a user
// runs (its output is the demo's output). The second cluster joins the first
// one's underlay, so a pod of either reaches every node of both: that is what
// DNS load balancing across clusters needs (the A records are node addresses).
import { spawn } from 'node:child_process';
import type { LabConfig } from '../lab/lab-config.js';

export interface PeerFlags {
  name: string;
  prefix: string;
  podCidr: string;
  serviceCidr: string;
  apiserverPort: number;
  nodes: number;
}

/** The second cluster's flags, derived from the first so two demos never collide with their own defaults. */
export function defaultPeerFlags(a: Pick<LabConfig, 'name' | 'prefix' | 'apiServerPort' | 'nodes'>): PeerFlags {
  return {
    // Lab names are 1–20 lowercase letters and digits.
    name: `${a.name.slice(0, 16)}peer`,
    // Not a prefix of the first lab's object names: `down` of one must never match the other's namespaces.
    prefix: `${a.prefix}b`,
    podCidr: '10.245.0.0/16',
    serviceCidr: '10.112.0.0/16',
    apiserverPort: a.apiServerPort + 1,
    nodes: a.nodes.length,
  };
}

export function peerUpArgs(a: Pick<LabConfig, 'name' | 'dnsTtl'>, p: PeerFlags): string[] {
  return [
    'up',
    '--name', p.name,
    '--prefix', p.prefix,
    '--join-underlay', a.name,
    '--nodes', String(p.nodes),
    '--pod-cidr', p.podCidr,
    '--service-cidr', p.serviceCidr,
    '--apiserver-port', String(p.apiserverPort),
    ...(a.dnsTtl !== undefined ? ['--dns-ttl', String(a.dnsTtl)] : []),
  ];
}

/** Runs `netkube <args>` with this build, its output on ours. */
export function runNetkube(netkube: readonly string[], args: readonly string[], quiet = false): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(netkube[0]!, [...netkube.slice(1), ...args], { stdio: quiet ? 'ignore' : ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
}
