// Pod network namespaces, made with `ip netns` so they are bind-mounted under
// /run/netns (visible to the CNI plugin, `ip netns exec`, and the lab, and
// kept when the agent restarts). The agent runs in the node's network
// namespace but the host's mount namespace, so these names are host-wide:
// they are derived from the pod UID, which is unique across the cluster.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const NETNS_DIR = '/run/netns';
export const POD_NETNS_PREFIX = 'nkp-';

/** 12 hex digits of sha256(pod UID): the unique part of the pod's namespace name. */
export function podNetnsHash(podUID: string): string {
  return createHash('sha256').update(podUID).digest('hex').slice(0, 12);
}

/** `<prefix>` + podNetnsHash: "nkp-…" by default; the lab passes "<prefix>-<lab>-pod-" so `down` finds them by name. */
export function podNetnsName(podUID: string, prefix = POD_NETNS_PREFIX): string {
  return prefix + podNetnsHash(podUID);
}

export function netnsPath(name: string): string {
  return `${NETNS_DIR}/${name}`;
}

export function netnsExists(name: string): boolean {
  return existsSync(netnsPath(name));
}

async function ip(args: string[]): Promise<string> {
  try {
    return (await run('ip', args, { timeout: 10_000 })).stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(' ')}: ${(err.stderr ?? err.message).trim()}`);
  }
}

/** Creates the namespace with `lo` up. A namespace of that name left by a crash is reused. */
export async function createPodNetns(name: string): Promise<void> {
  if (!netnsExists(name)) await ip(['netns', 'add', name]);
  await ip(['-n', name, 'link', 'set', 'lo', 'up']);
}

/** Removes the namespace; already gone is fine. */
export async function deletePodNetns(name: string): Promise<void> {
  if (!netnsExists(name)) return;
  try {
    await ip(['netns', 'del', name]);
  } catch (e) {
    if (netnsExists(name)) throw e;
  }
}

/** The node's InternalIP when none is given: the first IPv4 address of the default-route interface. */
export async function defaultRouteAddress(): Promise<string> {
  const routes = JSON.parse(await ip(['-j', '-4', 'route', 'show', 'default'])) as Array<{ dev?: string; prefsrc?: string }>;
  const route = routes[0];
  if (!route?.dev) throw new Error('no default route in this network namespace: pass --node-ip');
  if (route.prefsrc) return route.prefsrc;
  const links = JSON.parse(await ip(['-j', '-4', 'addr', 'show', 'dev', route.dev])) as Array<{ addr_info?: Array<{ local?: string; scope?: string }> }>;
  const addr = links[0]?.addr_info?.find((a) => a.scope === 'global')?.local ?? links[0]?.addr_info?.[0]?.local;
  if (!addr) throw new Error(`the default-route interface ${route.dev} has no IPv4 address: pass --node-ip`);
  return addr;
}
