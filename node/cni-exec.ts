// Calls CNI plugins as a container runtime does: each plugin of the list in
// turn for ADD (each gets the previous one's result), in reverse for DEL
// (with the cached ADD result), environment CNI_* and the configuration on
// stdin, the result JSON on stdout.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cniEnv, describeCniFailure, pluginStdin, type CniInvocation, type CniResult, type NetworkConfigList, type PortMapping } from './cni-config.js';

const CNI_TIMEOUT_MS = 60_000;

function findPlugin(type: string, cniPath: string): string {
  for (const dir of cniPath.split(':').filter(Boolean)) {
    const p = join(dir, type);
    if (existsSync(p)) return p;
  }
  throw new Error(`CNI plugin "${type}" not found in ${cniPath} (--cni-bin-dir)`);
}

function execPlugin(type: string, inv: CniInvocation, stdin: string): Promise<string> {
  const bin = findPlugin(type, inv.cniPath);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [], { env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...cniEnv(inv) }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), CNI_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`CNI ${inv.command} (${type}): ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(describeCniFailure(type, inv.command, code, out, err)));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
  });
}

/** ADD through the whole list; returns the last plugin's result. On failure, DELs what was added and rethrows. */
export async function cniAdd(list: NetworkConfigList, inv: Omit<CniInvocation, 'command'>, portMappings: PortMapping[]): Promise<CniResult> {
  let prev: unknown;
  try {
    for (let i = 0; i < list.plugins.length; i++) {
      const out = await execPlugin(list.plugins[i]!.type, { ...inv, command: 'ADD' }, pluginStdin(list, i, prev, { portMappings }));
      prev = out.trim() ? JSON.parse(out) : prev;
    }
  } catch (e) {
    await cniDel(list, inv, prev as CniResult | undefined, portMappings).catch(() => undefined);
    throw e;
  }
  return (prev ?? {}) as CniResult;
}

/** DEL through the list in reverse. Plugins must treat missing things as done, so this is safe to repeat. */
export async function cniDel(list: NetworkConfigList, inv: Omit<CniInvocation, 'command'>, cached: CniResult | undefined, portMappings: PortMapping[]): Promise<void> {
  const errors: string[] = [];
  for (let i = list.plugins.length - 1; i >= 0; i--) {
    try {
      await execPlugin(list.plugins[i]!.type, { ...inv, command: 'DEL' }, pluginStdin(list, i, cached, { portMappings }));
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  if (errors.length) throw new Error(errors.join('; '));
}
