// netkube-cni in bridge mode: the node bridge with the gateway address, a
// veth per pod (hairpin on), the pod end as CNI_IFNAME with its address and
// default route. Wiring only: config.ts decodes, plan.ts decides the lines,
// netlink.ts runs them, the IPAM backend hands out addresses.
import { CniError, ERR_CHECK_FAILED, ERR_COMMAND_FAILED, ERR_INTERFACE_EXISTS, ERR_INVALID_CONFIG } from './cni-error.js';
import { parseBridgeNetConf, type BridgeNetConf } from './config.js';
import { isFileExists, failedBatchLine, parseLinks } from './ip-json.js';
import { ipamBackend } from './ipam-backend.js';
import { parseValidAttachments } from './ipam.js';
import {
  assertUsableNetns,
  CommandError,
  deleteLink,
  ipBatch,
  listLinks,
  listRoutes,
  netnsExists,
  showLink,
} from './netlink.js';
import {
  bridgeAddress,
  buildAddResult,
  checkAttachment,
  hostVethName,
  parseVethAlias,
  planBridge,
  planHostVeth,
  planPodInterface,
  type PodAttachment,
} from './plan.js';
import type { CmdArgs, CniFuncs, CniResult } from './types.js';
import { UndoStack } from './undo-stack.js';

function attachmentOf(conf: BridgeNetConf, a: CmdArgs): PodAttachment {
  return { network: conf.name, containerId: a.containerId, ifName: a.ifName, netns: a.netns };
}

/** Creates the bridge if missing and gives it the gateway address; safe against concurrent ADDs. */
async function ensureBridge(conf: BridgeNetConf, gatewayCidr: string | undefined): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const seen = await showLink(conf.bridge);
    if (seen && seen.kind !== 'bridge') {
      throw new CniError(ERR_INVALID_CONFIG, `bridge: ${conf.bridge} exists but is a ${seen.kind ?? 'plain'} link, not a bridge`);
    }
    try {
      await ipBatch(planBridge(conf, seen, gatewayCidr));
      return;
    } catch (err) {
      // Another ADD created it between our look and our `link add`: look again.
      if (attempt === 0 && err instanceof CommandError && isFileExists(err.stderr)) continue;
      throw err;
    }
  }
}

async function add(a: CmdArgs): Promise<CniResult> {
  const conf = parseBridgeNetConf(a.config);
  const att = attachmentOf(conf, a);
  const host = hostVethName(att);
  await assertUsableNetns(a.netns);
  if ((await listLinks(a.netns)).some((l) => l.name === a.ifName)) {
    throw new CniError(ERR_INTERFACE_EXISTS, `interface ${a.ifName} already exists in ${a.netns}; left as it is`);
  }
  const ipam = ipamBackend(conf.ipam);

  return new UndoStack().run(async (undo) => {
    const ipamResult = await ipam.add(a);
    undo.push('IPAM allocation', () => ipam.del(a));
    if (!ipamResult.ips?.length) throw new CniError(ERR_INVALID_CONFIG, `IPAM ${conf.ipam.kind === 'local' ? 'netkube-ipam' : conf.ipam.type} returned no address`);

    // The bridge is node infrastructure shared by every pod: created if
    // missing, never removed by an unwind (other ADDs may be using it).
    await ensureBridge(conf, bridgeAddress(ipamResult));

    let hostOut: string;
    try {
      hostOut = await ipBatch([...planHostVeth(conf, att), `link show dev ${host}`, `link show dev ${conf.bridge}`], { json: true });
    } catch (err) {
      if (err instanceof CommandError && isFileExists(err.stderr) && (failedBatchLine(err.stderr) ?? 1) === 1) {
        // `link add` is atomic: nothing of ours was created, and the existing link is not ours to remove.
        throw new CniError(
          ERR_INTERFACE_EXISTS,
          `creating veth ${host} ↔ ${a.ifName}: a link of that name already exists (ADD twice without DEL for container ${a.containerId}?); left as it is`,
          err.stderr.trim(),
        );
      }
      undo.push(`veth ${host}`, async () => void (await deleteLink(host)));
      throw err;
    }
    // Deleting the host end removes the pod end, its address and its routes with it.
    undo.push(`veth ${host}`, async () => void (await deleteLink(host)));

    const podOut = await ipBatch([...planPodInterface(att, ipamResult), `link show dev ${a.ifName}`], { netns: a.netns, json: true });

    const hostLinks = parseLinks(hostOut);
    const podLink = parseLinks(podOut).find((l) => l.name === a.ifName);
    const macs = {
      ...(hostLinks.find((l) => l.name === conf.bridge)?.mac ? { bridge: hostLinks.find((l) => l.name === conf.bridge)!.mac! } : {}),
      ...(hostLinks.find((l) => l.name === host)?.mac ? { host: hostLinks.find((l) => l.name === host)!.mac! } : {}),
      ...(podLink?.mac ? { pod: podLink.mac } : {}),
    };
    return buildAddResult(conf, att, ipamResult, macs);
  });
}

async function del(a: CmdArgs): Promise<void> {
  const conf = parseBridgeNetConf(a.config);
  const att = attachmentOf(conf, a);
  // Links before the address: releasing an address still configured on a live
  // pod could hand it to a second pod. A failure here leaves the address held
  // for the runtime's retry.
  const removed = await deleteLink(hostVethName(att));
  if (!removed && a.netns && (await netnsExists(a.netns))) {
    // Our host end is gone; a pod end may remain (e.g. the host end was deleted by hand).
    const pod = await showLink(a.ifName, a.netns).catch(() => undefined);
    if (pod?.kind === 'veth') await deleteLink(a.ifName, a.netns);
  }
  await ipamBackend(conf.ipam).del(a);
}

async function check(a: CmdArgs): Promise<void> {
  const conf = parseBridgeNetConf(a.config);
  if (!conf.prevResult) throw new CniError(ERR_INVALID_CONFIG, 'CHECK needs prevResult (the result of the ADD being checked)');
  const att = attachmentOf(conf, a);
  await assertUsableNetns(a.netns);
  const [bridge, host, pod, podRoutes] = await Promise.all([
    showLink(conf.bridge),
    showLink(hostVethName(att)),
    showLink(a.ifName, a.netns),
    listRoutes(a.netns),
  ]);
  const problems = checkAttachment(conf, att, conf.prevResult, {
    ...(bridge ? { bridge } : {}),
    ...(host ? { host } : {}),
    ...(pod ? { pod } : {}),
    podRoutes,
  });
  if (problems.length > 0) {
    throw new CniError(ERR_CHECK_FAILED, `container ${a.containerId} interface ${a.ifName}: ${problems[0]}`, problems.join('; '));
  }
  await ipamBackend(conf.ipam).check(a, conf.prevResult);
}

async function status(a: CmdArgs): Promise<void> {
  const conf = parseBridgeNetConf(a.config);
  await ipamBackend(conf.ipam).status(a);
}

/**
 * GC: release addresses and remove host veths of attachments not in
 * `cni.dev/valid-attachments`. Host veths are recognised by the alias ADD
 * stamped on them, so links of other networks and other software stay.
 */
async function gc(a: CmdArgs): Promise<void> {
  const conf = parseBridgeNetConf(a.config);
  const valid = parseValidAttachments(a.config);
  const keep = new Set(valid.map((v) => `${v.containerID}\u0000${v.ifname}`));
  const errors: string[] = [];
  try {
    for (const link of await listLinks(undefined, ['type', 'veth'])) {
      const owner = link.alias ? parseVethAlias(link.alias) : undefined;
      if (!owner || owner.network !== conf.name || keep.has(`${owner.containerId}\u0000${owner.ifName}`)) continue;
      try {
        await deleteLink(link.name);
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      }
    }
  } catch (err) {
    errors.push(err instanceof Error ? err.message : String(err));
  }
  try {
    await ipamBackend(conf.ipam).gc(a, valid);
  } catch (err) {
    errors.push(err instanceof Error ? err.message : String(err));
  }
  if (errors.length > 0) throw new CniError(ERR_COMMAND_FAILED, `GC of network ${conf.name}: ${errors[0]}`, errors.join('; '));
}

export const bridgePlugin: CniFuncs = { add, del, check, status, gc };
