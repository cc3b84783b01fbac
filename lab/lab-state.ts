// $NETKUBE_HOME/<lab>/lab.json: the plan a lab was started with, written
// before anything is created, so `down`, `status` and `exec` (and the next
// `up` after a crash) know every name and address without the flags.
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { labPaths, LabConfigError, type LabConfig } from './lab-config.js';

export interface LabState {
  version: 1;
  config: LabConfig;
  createdAt: string;
  /** Components `up` started ("apiserver", "node agent", …) and those it could not (not built yet). */
  components: { started: string[]; missing: string[] };
}

export async function writeLabState(state: LabState): Promise<void> {
  const file = state.config.paths.state;
  await mkdir(state.config.paths.dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, file);
}

export async function readLabState(home: string, name: string): Promise<LabState | undefined> {
  const file = labPaths(home, name).state;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const s = JSON.parse(text) as LabState;
    if (s.version !== 1 || !s.config?.paths) throw new Error('unknown format');
    return s;
  } catch (e) {
    throw new LabConfigError(`${file}: ${(e as Error).message}; remove it, or run netkube down --name ${name} --prefix …`);
  }
}

/** Every lab with a readable lab.json under $NETKUBE_HOME (unreadable ones are skipped: this is for finding neighbours). */
export async function listLabStates(home: string): Promise<LabState[]> {
  const out: LabState[] = [];
  for (const name of (await readdir(home).catch(() => [] as string[])).sort()) {
    const s = await readLabState(home, name).catch(() => undefined);
    if (s) out.push(s);
  }
  return out;
}

/** The other labs of $NETKUBE_HOME on the underlay namespace `underlayNetns` (labs joined with --join-underlay, and its creator). */
export async function labsOnUnderlay(home: string, underlayNetns: string, except: string): Promise<LabConfig[]> {
  return (await listLabStates(home)).map((s) => s.config).filter((c) => c.underlayNetns === underlayNetns && c.name !== except);
}
