// What the agent must remember across its own restarts, one JSON file per
// pod under <root-dir>/pods/<uid>/: the network namespace, the CNI result
// (DEL needs it), and each container's PID, start time and restart history.
// `netkube exec` reads it too, to find a container's PID.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerState } from '../kube/api/core.js';
import type { CniResult, NetworkConfigList } from './cni-config.js';
import type { BackoffState } from './restart-backoff.js';

export interface ContainerRecord {
  pid?: number;
  procStart?: string;
  startedAtMs?: number;
  restartCount: number;
  lastTerminated?: NonNullable<ContainerState['terminated']>;
  /** Set when the container exited for good (restartPolicy) or while it waits to restart. */
  terminated?: NonNullable<ContainerState['terminated']>;
  backoff?: BackoffState;
  restartAtMs?: number;
  containerID?: string;
}

export interface PodRecord {
  version: 1;
  uid: string;
  namespace: string;
  name: string;
  hostNetwork: boolean;
  netns?: string;
  podIPs: string[];
  cni?: { list: NetworkConfigList; result: CniResult; containerID: string };
  startTime?: string;
  containers: Record<string, ContainerRecord>;
}

export function podDir(rootDir: string, uid: string): string {
  return join(rootDir, 'pods', uid);
}

let saves = 0;

export async function savePodRecord(rootDir: string, r: PodRecord): Promise<void> {
  const dir = podDir(rootDir, r.uid);
  await mkdir(dir, { recursive: true });
  // A unique temporary name: saves of one pod may overlap, and the last rename wins whole.
  const tmp = join(dir, `state.json.tmp-${process.pid}-${saves++}`);
  await writeFile(tmp, JSON.stringify(r, null, 1));
  await rename(tmp, join(dir, 'state.json'));
}

/** Every pod record on disk; unreadable ones are reported, not fatal. */
export async function loadPodRecords(rootDir: string, onError: (msg: string) => void): Promise<PodRecord[]> {
  let uids: string[];
  try {
    uids = await readdir(join(rootDir, 'pods'));
  } catch {
    return [];
  }
  const out: PodRecord[] = [];
  for (const uid of uids) {
    try {
      const r = JSON.parse(await readFile(join(podDir(rootDir, uid), 'state.json'), 'utf8')) as PodRecord;
      if (r.version === 1 && r.uid === uid) out.push(r);
    } catch (e) {
      onError(`pod state ${uid}: ${(e as Error).message}`);
    }
  }
  return out;
}

export async function removePodDir(rootDir: string, uid: string): Promise<void> {
  await rm(podDir(rootDir, uid), { recursive: true, force: true });
}

/**
 * The PID of a running container (the first container when none is named),
 * for `netkube exec`: nsenter --target PID --net --mount --uts gives the
 * container's network, hosts file, resolv.conf and hostname.
 */
export async function findContainerPid(rootDir: string, namespace: string, pod: string, container?: string): Promise<{ pid: number; container: string } | { error: string }> {
  const records = await loadPodRecords(rootDir, () => undefined);
  const r = records.find((x) => x.namespace === namespace && x.name === pod);
  if (!r) return { error: `pod ${namespace}/${pod} is not running on this node (${rootDir})` };
  const names = Object.keys(r.containers);
  const name = container ?? names[0];
  const c = name === undefined ? undefined : r.containers[name];
  if (!name || !c) return { error: `container "${container ?? ''}" is not in pod ${namespace}/${pod}; choose one of: ${names.join(', ')}` };
  if (!c.pid || c.terminated) return { error: `container ${name} of pod ${namespace}/${pod} is not running` };
  return { pid: c.pid, container: name };
}
