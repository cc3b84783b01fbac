// The dispatcher every netkube CNI executable runs (like CNI's skel): reads
// CNI_* and the configuration, checks them, calls the plugin's function for
// the command, and prints the result or the spec's error JSON. It takes its
// environment and streams as arguments so tests drive it with a map.
import type { Readable, Writable } from 'node:stream';
import { CniError, ERR_DECODE, ERR_INCOMPATIBLE_VERSION, ERR_INVALID_CONFIG, ERR_INVALID_ENV, ERR_IO_FAILURE, toErrorJson } from './cni-error.js';
import { interfaceNameProblem } from './config.js';
import { encodeResult } from './result.js';
import type { CmdArgs, CniCommand, CniFuncs } from './types.js';
import { assertSupported, COMMAND_SINCE, compareVersions, LATEST_VERSION, SUPPORTED_VERSIONS } from './version.js';

export interface PluginIo {
  env: Readonly<Record<string, string | undefined>>;
  stdin: Readable;
  stdout: Writable;
  /** Where `about` goes when the executable is run by hand without CNI_COMMAND. */
  stderr?: Writable;
}

const COMMANDS: readonly CniCommand[] = ['ADD', 'DEL', 'CHECK', 'VERSION', 'STATUS', 'GC'];

/** Environment each command must have (spec section 2, "Required environment parameters"). */
const REQUIRED_ENV: Readonly<Record<CniCommand, readonly string[]>> = {
  ADD: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  CHECK: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  DEL: ['CNI_CONTAINERID', 'CNI_IFNAME'],
  GC: ['CNI_PATH'],
  STATUS: [],
  VERSION: [],
};

const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** CNI_ARGS "K=V;K2=V2" as a map; a pair without "=" is an invalid environment. */
export function parseCniArgs(s: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!s) return out;
  for (const pair of s.split(';')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CniError(ERR_INVALID_ENV, `CNI_ARGS: "${pair}" is not KEY=VALUE`);
    out.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return out;
}

function checkEnv(cmd: CniCommand, env: PluginIo['env']): void {
  const missing = REQUIRED_ENV[cmd].filter((k) => !env[k]);
  if (missing.length > 0) throw new CniError(ERR_INVALID_ENV, `required env variables [${missing.join(',')}] missing`);
  const id = env.CNI_CONTAINERID;
  if (id && !NAME_PATTERN.test(id)) {
    throw new CniError(
      ERR_INVALID_ENV,
      `CNI_CONTAINERID: "${id}" is invalid`,
      'it must start with a letter or digit, followed by letters, digits, "_", "." or "-"',
    );
  }
  const ifName = env.CNI_IFNAME;
  if (ifName !== undefined && REQUIRED_ENV[cmd].includes('CNI_IFNAME')) {
    const problem = interfaceNameProblem(ifName);
    if (problem) throw new CniError(ERR_INVALID_ENV, `CNI_IFNAME: "${ifName}" ${problem}`);
  }
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  } catch (err) {
    throw new CniError(ERR_IO_FAILURE, `reading the network configuration from stdin: ${String(err)}`);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Decodes stdin and checks the fields every plugin relies on: name and cniVersion. */
export function decodeConfig(stdinData: string): { config: Record<string, unknown>; cniVersion: string } {
  let config: unknown;
  try {
    config = JSON.parse(stdinData);
  } catch (err) {
    throw new CniError(ERR_DECODE, `decoding the network configuration from stdin: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new CniError(ERR_DECODE, 'decoding the network configuration from stdin: not a JSON object');
  }
  const c = config as Record<string, unknown>;
  if (c.cniVersion === undefined || c.cniVersion === '') {
    throw new CniError(ERR_INCOMPATIBLE_VERSION, 'incompatible CNI version: the configuration has no cniVersion (that means 0.1.0)', `netkube-cni supports ${SUPPORTED_VERSIONS.join(', ')}`);
  }
  if (typeof c.cniVersion !== 'string') throw new CniError(ERR_DECODE, `cniVersion: ${JSON.stringify(c.cniVersion)} must be a string`);
  if (typeof c.name !== 'string' || c.name === '') throw new CniError(ERR_INVALID_CONFIG, 'missing network name');
  if (!NAME_PATTERN.test(c.name)) {
    throw new CniError(ERR_INVALID_CONFIG, `name: "${c.name}" is invalid`, 'it must start with a letter or digit, followed by letters, digits, "_", "." or "-"');
  }
  return { config: c, cniVersion: c.cniVersion };
}

function write(out: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => out.write(text, (err) => (err ? reject(err) : resolve())));
}

/** Runs one CNI invocation; resolves to the process exit code (0, or 1 with an error JSON printed). */
export async function pluginMain(funcs: CniFuncs, io: PluginIo, about?: string): Promise<number> {
  const cmdText = io.env.CNI_COMMAND;
  if (!cmdText && about && io.stderr) {
    await write(io.stderr, `${about}\nCNI protocol versions supported: ${SUPPORTED_VERSIONS.join(', ')}\n`);
    return 0;
  }
  let cniVersion = LATEST_VERSION;
  try {
    if (!cmdText) throw new CniError(ERR_INVALID_ENV, 'required env variables [CNI_COMMAND] missing');
    const cmd = COMMANDS.find((c) => c === cmdText);
    if (!cmd) throw new CniError(ERR_INVALID_ENV, `unknown CNI_COMMAND: ${cmdText} (expected one of ${COMMANDS.join(', ')})`);
    checkEnv(cmd, io.env);
    const stdinData = await readAll(io.stdin);

    if (cmd === 'VERSION') {
      // The reply echoes the caller's cniVersion; an unreadable stdin still gets an answer.
      try {
        const v: unknown = JSON.parse(stdinData);
        if (typeof v === 'object' && v !== null && typeof (v as { cniVersion?: unknown }).cniVersion === 'string') {
          cniVersion = (v as { cniVersion: string }).cniVersion;
        }
      } catch {
        /* no version asked for: answer in the latest */
      }
      await write(io.stdout, `${JSON.stringify({ cniVersion, supportedVersions: SUPPORTED_VERSIONS })}\n`);
      return 0;
    }

    const decoded = decodeConfig(stdinData);
    cniVersion = decoded.cniVersion;
    assertSupported(cniVersion);
    const since = COMMAND_SINCE[cmd]!;
    if (compareVersions(cniVersion, since) < 0) {
      throw new CniError(ERR_INCOMPATIBLE_VERSION, `config version ${cniVersion} does not allow ${cmd} (it needs ${since} or later)`);
    }
    const args: CmdArgs = {
      command: cmd,
      containerId: io.env.CNI_CONTAINERID ?? '',
      netns: io.env.CNI_NETNS ?? '',
      ifName: io.env.CNI_IFNAME ?? '',
      args: parseCniArgs(io.env.CNI_ARGS),
      path: (io.env.CNI_PATH ?? '').split(':').filter((p) => p !== ''),
      stdinData,
      config: decoded.config,
      cniVersion,
      env: io.env,
    };
    switch (cmd) {
      case 'ADD': {
        const result = await funcs.add(args);
        await write(io.stdout, `${JSON.stringify(encodeResult(result, cniVersion))}\n`);
        break;
      }
      case 'DEL':
        await funcs.del(args);
        break;
      case 'CHECK':
        await funcs.check(args);
        break;
      case 'STATUS':
        await funcs.status?.(args);
        break;
      case 'GC':
        await funcs.gc?.(args);
        break;
    }
    return 0;
  } catch (err) {
    await write(io.stdout, `${JSON.stringify(toErrorJson(err, cniVersion))}\n`);
    return 1;
  }
}
