// $NETKUBE_HOME/<lab>/lab.json: the plan a lab was started with, written
// before anything is created, so `down`, `status` and `exec` (and the next
// `up` after a crash) know every name and address without the flags.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
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
