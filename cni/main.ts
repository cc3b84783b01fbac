// The netkube-cni executable. One binary serves two roles, chosen by the
// configuration's shape: a configuration whose own `type` is not netkube-cni
// but whose `ipam.type` is netkube-ipam was handed to us by another main
// plugin (so install it under both names in CNI_PATH); anything else is the
// bridge plugin.
import { Readable } from 'node:stream';
import { bridgePlugin } from './bridge-plugin.js';
import { PLUGIN_TYPE } from './config.js';
import { NETKUBE_IPAM_TYPE } from './ipam-config.js';
import { ipamPlugin } from './ipam-plugin.js';
import { pluginMain } from './skel.js';
import type { CniFuncs } from './types.js';

const ABOUT = 'netkube-cni: bridge + veth CNI plugin with host-local style IPAM (also serves as the netkube-ipam IPAM plugin)';

/** Which role a configuration asks for (unparseable input goes to the bridge plugin, which reports it). */
export function selectPlugin(stdinData: string): CniFuncs {
  try {
    const c = JSON.parse(stdinData) as { type?: unknown; ipam?: { type?: unknown } };
    if (c.type !== PLUGIN_TYPE && c.ipam?.type === NETKUBE_IPAM_TYPE) return ipamPlugin;
  } catch {
    /* the dispatcher reports decode errors */
  }
  return bridgePlugin;
}

async function readStdin(): Promise<Buffer> {
  // VERSION may come with no stdin at all; a terminal means a human ran us.
  if (process.stdin.isTTY) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function main(): Promise<number> {
  const input = await readStdin();
  const funcs = selectPlugin(input.toString('utf8'));
  return pluginMain(funcs, { env: process.env, stdin: Readable.from([input]), stdout: process.stdout, stderr: process.stderr }, ABOUT);
}
