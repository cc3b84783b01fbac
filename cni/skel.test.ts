import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CniError } from './cni-error.js';
import { parseCniArgs, pluginMain } from './skel.js';
import type { CmdArgs, CniFuncs } from './types.js';

interface Run {
  code: number;
  out: string;
  calls: CmdArgs[];
}

function capture(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => text };
}

async function run(env: Record<string, string | undefined>, stdin: string, funcs: Partial<CniFuncs> = {}): Promise<Run & { json: Record<string, unknown> }> {
  const calls: CmdArgs[] = [];
  const rec = (name: keyof CniFuncs) => async (a: CmdArgs) => {
    calls.push(a);
    const f = funcs[name] as ((a: CmdArgs) => Promise<unknown>) | undefined;
    return f ? f(a) : name === 'add' ? {} : undefined;
  };
  const all = { add: rec('add'), del: rec('del'), check: rec('check'), status: rec('status'), gc: rec('gc') } as CniFuncs;
  const out = capture();
  const code = await pluginMain(all, { env, stdin: Readable.from([Buffer.from(stdin)]), stdout: out.stream });
  const text = out.text();
  return { code, out: text, calls, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const ADD_ENV = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c1', CNI_NETNS: '/run/netns/p', CNI_IFNAME: 'eth0', CNI_PATH: '/opt/cni/bin:/usr/lib/cni' };
const conf = (v: string, extra: Record<string, unknown> = {}) => JSON.stringify({ cniVersion: v, name: 'net1', type: 'netkube-cni', ...extra });

describe('pluginMain', () => {
  it.each([
    { name: 'no CNI_COMMAND', env: {}, stdin: conf('1.1.0'), code: 4, msg: 'CNI_COMMAND' },
    { name: 'unknown command', env: { CNI_COMMAND: 'FROB' }, stdin: conf('1.1.0'), code: 4, msg: 'unknown CNI_COMMAND: FROB' },
    { name: 'ADD without netns and ifname', env: { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c1' }, stdin: conf('1.1.0'), code: 4, msg: '[CNI_NETNS,CNI_IFNAME] missing' },
    { name: 'container id with a slash', env: { ...ADD_ENV, CNI_CONTAINERID: 'a/b' }, stdin: conf('1.1.0'), code: 4, msg: 'CNI_CONTAINERID: "a/b" is invalid' },
    { name: 'ifname of 16 characters', env: { ...ADD_ENV, CNI_IFNAME: 'abcdefghijklmnop' }, stdin: conf('1.1.0'), code: 4, msg: 'CNI_IFNAME' },
    { name: 'ifname with a colon', env: { ...ADD_ENV, CNI_IFNAME: 'eth0:1' }, stdin: conf('1.1.0'), code: 4, msg: 'must not contain' },
    { name: 'CNI_ARGS pair without =', env: { ...ADD_ENV, CNI_ARGS: 'IgnoreUnknown=1;oops' }, stdin: conf('1.1.0'), code: 4, msg: 'CNI_ARGS: "oops"' },
    { name: 'stdin not JSON', env: ADD_ENV, stdin: '{not json', code: 6, msg: 'decoding the network configuration' },
    { name: 'stdin a JSON list', env: ADD_ENV, stdin: '[]', code: 6, msg: 'not a JSON object' },
    { name: 'no name', env: ADD_ENV, stdin: JSON.stringify({ cniVersion: '1.0.0' }), code: 7, msg: 'missing network name' },
    { name: 'bad name', env: ADD_ENV, stdin: JSON.stringify({ cniVersion: '1.0.0', name: '-x' }), code: 7, msg: 'name: "-x" is invalid' },
    { name: 'no cniVersion', env: ADD_ENV, stdin: JSON.stringify({ name: 'n' }), code: 1, msg: 'no cniVersion' },
    { name: 'unsupported version', env: ADD_ENV, stdin: conf('0.2.0'), code: 1, msg: 'cniVersion "0.2.0"' },
    { name: 'garbled version', env: ADD_ENV, stdin: conf('one'), code: 6, msg: 'X.Y.Z' },
    { name: 'CHECK on 0.3.1', env: { ...ADD_ENV, CNI_COMMAND: 'CHECK' }, stdin: conf('0.3.1'), code: 1, msg: 'does not allow CHECK' },
    { name: 'GC on 1.0.0', env: { CNI_COMMAND: 'GC', CNI_PATH: '/x' }, stdin: conf('1.0.0'), code: 1, msg: 'does not allow GC' },
    { name: 'STATUS on 1.0.0', env: { CNI_COMMAND: 'STATUS' }, stdin: conf('1.0.0'), code: 1, msg: 'does not allow STATUS' },
    { name: 'GC without CNI_PATH', env: { CNI_COMMAND: 'GC' }, stdin: conf('1.1.0'), code: 4, msg: 'CNI_PATH' },
  ])('$name → code $code, plugin not called', async ({ env, stdin, code, msg }) => {
    const r = await run(env, stdin);
    expect(r.code).toBe(1);
    expect(r.json.code).toBe(code);
    expect(String(r.json.msg)).toContain(msg);
    expect(r.calls).toEqual([]);
  });

  it('VERSION echoes the asked version and lists ours, without reading a config', async () => {
    const r = await run({ CNI_COMMAND: 'VERSION' }, '{"cniVersion":"0.4.0"}');
    expect(r.code).toBe(0);
    expect(r.json).toEqual({ cniVersion: '0.4.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
  });

  it('ADD passes the parsed invocation and prints the result in the config version', async () => {
    const r = await run({ ...ADD_ENV, CNI_ARGS: 'K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-1' }, conf('0.4.0'), {
      add: async () => ({ interfaces: [{ name: 'eth0', mtu: 1400, sandbox: '/run/netns/p' }], ips: [{ address: '10.0.0.2/24', gateway: '10.0.0.1', interface: 0 }] }),
    });
    expect(r.code).toBe(0);
    expect(r.json).toEqual({
      cniVersion: '0.4.0',
      interfaces: [{ name: 'eth0', sandbox: '/run/netns/p' }],
      ips: [{ version: '4', address: '10.0.0.2/24', gateway: '10.0.0.1', interface: 0 }],
    });
    const a = r.calls[0]!;
    expect([a.command, a.containerId, a.netns, a.ifName, a.cniVersion]).toEqual(['ADD', 'c1', '/run/netns/p', 'eth0', '0.4.0']);
    expect(a.path).toEqual(['/opt/cni/bin', '/usr/lib/cni']);
    expect(a.args.get('K8S_POD_NAME')).toBe('web-1');
    expect(a.config.type).toBe('netkube-cni');
  });

  it.each(['DEL', 'CHECK'])('%s succeeds silently', async (cmd) => {
    const r = await run({ ...ADD_ENV, CNI_COMMAND: cmd }, conf('1.1.0'));
    expect([r.code, r.out, r.calls.length]).toEqual([0, '', 1]);
  });

  it('DEL needs no netns', async () => {
    const r = await run({ CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'c1', CNI_IFNAME: 'eth0' }, conf('1.0.0'));
    expect([r.code, r.calls[0]?.netns]).toEqual([0, '']);
  });

  it('a CniError from the plugin is printed with its code, message and details', async () => {
    const r = await run(ADD_ENV, conf('1.1.0'), {
      add: async () => {
        throw new CniError(11, 'IPAM store is locked; try again', 'pid 42');
      },
    });
    expect(r.code).toBe(1);
    expect(r.json).toEqual({ cniVersion: '1.1.0', code: 11, msg: 'IPAM store is locked; try again', details: 'pid 42' });
  });

  it('any other error becomes code 999 with its message', async () => {
    const r = await run(ADD_ENV, conf('1.1.0'), {
      add: async () => {
        throw new Error('boom');
      },
    });
    expect(r.json).toEqual({ cniVersion: '1.1.0', code: 999, msg: 'boom' });
  });
});

describe('parseCniArgs', () => {
  it('splits pairs and keeps "=" inside values', () => {
    expect([...parseCniArgs('IgnoreUnknown=1;K8S_POD_NAME=a=b;;')]).toEqual([
      ['IgnoreUnknown', '1'],
      ['K8S_POD_NAME', 'a=b'],
    ]);
  });
});
