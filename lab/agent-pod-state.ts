// What the lab reads of the node agent's per-pod state (node/pod-state-store.ts
// writes it): <root-dir>/pods/<uid>/state.json names the pod's network
// namespace and each container's pid; hosts, resolv.conf and hostname beside
// it are the files the containers see. `down` uses it to find pod namespaces
// whose names carry no lab prefix; `exec` to find a container.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabConfig } from './lab-config.js';

export interface AgentPodState {
  uid: string;
  netns?: string;
  containers: Record<string, { pid?: number }>;
}

export function agentPodDir(rootDir: string, uid: string): string {
  return join(rootDir, 'pods', uid);
}

export async function readAgentPodState(rootDir: string, uid: string): Promise<AgentPodState | undefined> {
  try {
    const s = JSON.parse(await readFile(join(agentPodDir(rootDir, uid), 'state.json'), 'utf8')) as Partial<AgentPodState>;
    return { uid, ...(typeof s.netns === 'string' ? { netns: s.netns } : {}), containers: s.containers ?? {} };
  } catch {
    return undefined;
  }
}

/** Every pod network namespace the lab's node agents recorded (names under /run/netns). */
export async function agentPodNetns(cfg: LabConfig): Promise<string[]> {
  const out = new Set<string>();
  for (const node of cfg.nodes) {
    const uids = await readdir(join(node.rootDir, 'pods')).catch(() => [] as string[]);
    for (const uid of uids) {
      const s = await readAgentPodState(node.rootDir, uid);
      if (s?.netns && !s.netns.includes('/')) out.add(s.netns);
    }
  }
  return [...out].sort();
}
