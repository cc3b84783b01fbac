// `netkube down`: stop every process of the lab, then remove every namespace,
// link, mount and file it made. Works from whatever is left: pid files, the
// environment marker and namespace membership find processes even after
// `kill -9`; the name prefix finds kernel objects even without lab.json.
import { rm } from 'node:fs/promises';
import type { LabConfig } from './lab-config.js';
import { findLabNetworkObjects, removeLabNetwork } from './lab-network.js';
import { findLabProcesses, stopProcesses } from './lab-processes.js';

export interface DownResult {
  processes: number;
  netns: string[];
  links: string[];
  mounts: string[];
  etcNetns: string[];
  /** The underlay stayed: other labs' nodes are on it (see findLabNetworkObjects). */
  keptUnderlay?: { netns: string; link: string; usedBy: string[] };
}

export async function labDown(cfg: LabConfig, opts: { keepDir?: boolean; graceMs?: number } = {}): Promise<DownResult> {
  const labNetns = (await findLabNetworkObjects(cfg)).netns;
  const pids = await findLabProcesses(cfg.id, cfg.paths, labNetns);
  await stopProcesses(pids, opts.graceMs ?? 3000);
  // A process that was starting while we scanned (a pod's container restarting) would keep a namespace alive unnamed.
  const late = await findLabProcesses(cfg.id, cfg.paths, labNetns);
  if (late.length > 0) await stopProcesses(late, 0);
  const removed = await removeLabNetwork(cfg);
  if (!opts.keepDir) await rm(cfg.paths.dir, { recursive: true, force: true });
  return { processes: new Set([...pids, ...late]).size, ...removed };
}

/** Whether anything of the lab exists (processes or kernel objects): the test for a crashed earlier run. */
export async function labLeftovers(cfg: LabConfig): Promise<{ processes: number[]; objects: string[] }> {
  const found = await findLabNetworkObjects(cfg);
  const processes = await findLabProcesses(cfg.id, cfg.paths, found.netns);
  return { processes, objects: [...found.netns, ...found.links, ...found.mounts, ...found.etcNetns.map((e) => `/etc/netns/${e}`)] };
}

export function describeDown(name: string, r: DownResult): string {
  const parts = [
    `${r.processes} process${r.processes === 1 ? '' : 'es'}`,
    `${r.netns.length} namespace${r.netns.length === 1 ? '' : 's'}`,
    `${r.links.length} link${r.links.length === 1 ? '' : 's'}`,
  ];
  if (r.mounts.length) parts.push(`${r.mounts.length} mount${r.mounts.length === 1 ? '' : 's'}`);
  if (r.etcNetns.length) parts.push(`${r.etcNetns.length} /etc/netns entr${r.etcNetns.length === 1 ? 'y' : 'ies'}`);
  const kept = r.keptUnderlay
    ? `\nkept the underlay ${r.keptUnderlay.netns} and ${r.keptUnderlay.link}: lab${r.keptUnderlay.usedBy.length === 1 ? '' : 's'} ${r.keptUnderlay.usedBy.join(', ')} still ${r.keptUnderlay.usedBy.length === 1 ? 'has its' : 'have their'} nodes on it; it goes with the last of them (netkube down)`
    : '';
  return `lab "${name}" is down: removed ${parts.join(', ')}${kept}`;
}
