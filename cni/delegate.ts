// Delegating to another plugin (spec section 4): find it in CNI_PATH, run it
// with our environment and our configuration, and pass its result or error on.
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { CniError, ERR_DELEGATE_FAILED } from './cni-error.js';
import { execPlugin } from './netlink.js';
import { decodeResult } from './result.js';
import type { CmdArgs, CniCommand, CniResult } from './types.js';

export async function findPlugin(type: string, path: readonly string[]): Promise<string> {
  for (const dir of path) {
    const file = join(dir, type);
    try {
      await access(file, constants.X_OK);
      return file;
    } catch {
      /* not in this directory */
    }
  }
  throw new CniError(ERR_DELEGATE_FAILED, `plugin "${type}" not found in CNI_PATH (${path.join(':') || 'empty'})`);
}

/** Runs `type` for `command`; returns its decoded result for ADD, nothing otherwise; rethrows its error JSON. */
export async function execDelegate(type: string, command: CniCommand, a: CmdArgs): Promise<CniResult | undefined> {
  const file = await findPlugin(type, a.path);
  const { code, stdout, stderr } = await execPlugin(file, { ...a.env, CNI_COMMAND: command }, a.stdinData);
  if (stderr) process.stderr.write(stderr);
  if (code !== 0) {
    let err: { code?: unknown; msg?: unknown; details?: unknown } = {};
    try {
      err = JSON.parse(stdout) as typeof err;
    } catch {
      /* not JSON: report the raw output */
    }
    const details = typeof err.details === 'string' ? err.details : stdout.trim() || undefined;
    throw new CniError(
      typeof err.code === 'number' ? err.code : ERR_DELEGATE_FAILED,
      `${type} ${command}: ${typeof err.msg === 'string' ? err.msg : `exited with ${code}`}`,
      details,
    );
  }
  if (command !== 'ADD') return undefined;
  try {
    return decodeResult(JSON.parse(stdout), `${type} result`);
  } catch (e) {
    throw new CniError(ERR_DELEGATE_FAILED, `${type} ADD: unreadable result: ${e instanceof Error ? e.message : String(e)}`, stdout);
  }
}
