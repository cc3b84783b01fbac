// Choosing a node's VTEP MAC. It is made once and kept in the Node's
// `netkube.io/vtep-mac` annotation: a MAC that changed on every agent restart
// would make every other node rewrite its neighbour and FDB entries (flannel
// keeps it in the node's lease for the same reason). Pure.
import { normalizeMac } from './logical-model.js';

/** A random locally administered unicast MAC from 6 random bytes. */
export function generateVtepMac(bytes: Uint8Array): string {
  if (bytes.length < 6) throw new RangeError('generateVtepMac needs 6 random bytes');
  const b = [...bytes.slice(0, 6)];
  b[0] = (b[0]! & 0xfc) | 0x02; // unicast (bit 0 clear), locally administered (bit 1 set)
  if (b.slice(1).every((x) => x === 0)) b[5] = 1; // never 02:00:00:00:00:00
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/**
 * The MAC to publish when the annotation is missing or invalid: the device's
 * current MAC if it is a valid locally administered one (the annotation was
 * lost but peers still point at this MAC), else a fresh random one.
 */
export function chooseVtepMac(annotation: string | undefined, deviceMac: string | undefined, random: Uint8Array): { mac: string; publish: boolean } {
  const current = normalizeMac(annotation);
  if (current) return { mac: current, publish: false };
  const dev = normalizeMac(deviceMac);
  if (dev && (parseInt(dev.slice(0, 2), 16) & 0x02) === 0x02) return { mac: dev, publish: true };
  return { mac: generateVtepMac(random), publish: true };
}
