// netkube-ipam as a standalone IPAM plugin, for main plugins that delegate
// (e.g. the reference `bridge`): it reads `ipam` from the full configuration
// and answers with the abbreviated IPAM result.
import { CniError, ERR_INVALID_CONFIG } from './cni-error.js';
import { ipamAdd, ipamCheck, ipamDel, ipamGc, ipamStatus, parseValidAttachments, type IpamRequest } from './ipam.js';
import { NETKUBE_IPAM_TYPE, parseIpamConfig, type LocalIpamConfig } from './ipam-config.js';
import { decodeResult } from './result.js';
import type { CmdArgs, CniFuncs } from './types.js';

function localConfig(a: CmdArgs): LocalIpamConfig {
  const conf = parseIpamConfig(a.config.ipam);
  if (conf.kind !== 'local') throw new CniError(ERR_INVALID_CONFIG, `ipam.type: "${conf.type}" is not ${NETKUBE_IPAM_TYPE}`);
  return conf;
}

function request(a: CmdArgs): IpamRequest {
  const ip = a.args.get('IP');
  return { network: String(a.config.name), containerId: a.containerId, ifName: a.ifName, ...(ip !== undefined ? { requestedIp: ip } : {}) };
}

export const ipamPlugin: CniFuncs = {
  add: (a) => ipamAdd(localConfig(a), request(a)),
  del: async (a) => {
    await ipamDel(localConfig(a), request(a));
  },
  check: async (a) => {
    const prev = a.config.prevResult;
    await ipamCheck(localConfig(a), request(a), prev === undefined || prev === null ? undefined : decodeResult(prev));
  },
  status: (a) => ipamStatus(localConfig(a), String(a.config.name)),
  gc: async (a) => {
    await ipamGc(localConfig(a), String(a.config.name), parseValidAttachments(a.config));
  },
};
