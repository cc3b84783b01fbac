// The IPAM a main plugin uses: netkube-ipam in-process, or any IPAM plugin
// through delegation. Both behave the same to the caller.
import { execDelegate } from './delegate.js';
import { ipamAdd, ipamCheck, ipamDel, ipamGc, ipamStatus } from './ipam.js';
import type { IpamConfig } from './ipam-config.js';
import type { Attachment, CmdArgs, CniResult } from './types.js';

export interface IpamBackend {
  add(a: CmdArgs): Promise<CniResult>;
  del(a: CmdArgs): Promise<void>;
  check(a: CmdArgs, prev: CniResult | undefined): Promise<void>;
  gc(a: CmdArgs, valid: readonly Attachment[]): Promise<void>;
  status(a: CmdArgs): Promise<void>;
}

function request(a: CmdArgs) {
  const requestedIp = a.args.get('IP');
  return {
    network: String(a.config.name),
    containerId: a.containerId,
    ifName: a.ifName,
    ...(requestedIp !== undefined ? { requestedIp } : {}),
  };
}

export function ipamBackend(conf: IpamConfig): IpamBackend {
  if (conf.kind === 'local') {
    return {
      add: (a) => ipamAdd(conf, request(a)),
      del: async (a) => {
        await ipamDel(conf, request(a));
      },
      check: (a, prev) => ipamCheck(conf, request(a), prev),
      gc: async (a, valid) => {
        await ipamGc(conf, String(a.config.name), valid);
      },
      status: (a) => ipamStatus(conf, String(a.config.name)),
    };
  }
  return {
    add: async (a) => (await execDelegate(conf.type, 'ADD', a)) ?? {},
    del: async (a) => {
      await execDelegate(conf.type, 'DEL', a);
    },
    check: async (a) => {
      await execDelegate(conf.type, 'CHECK', a);
    },
    gc: async (a) => {
      await execDelegate(conf.type, 'GC', a);
    },
    status: async (a) => {
      await execDelegate(conf.type, 'STATUS', a);
    },
  };
}
