// netkube-ipam's on-disk store with real files (no root): concurrent
// allocation through the lock, release, GC, and the lock's stale/try-again rules.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CniError } from '../cni/cni-error.js';
import { parseIpamConfig, type LocalIpamConfig } from '../cni/ipam-config.js';
import { ipamAdd, ipamDel, ipamGc } from '../cni/ipam.js';

let dataDir = '';
let conf: LocalIpamConfig;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'nkcni-store-'));
  const c = parseIpamConfig({ type: 'netkube-ipam', subnet: '10.9.0.0/24', dataDir });
  if (c.kind !== 'local') throw new Error('local expected');
  conf = c;
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const req = (i: number) => ({ network: 'n1', containerId: `c${i}`, ifName: 'eth0' });
const reservations = async () => (await readdir(join(dataDir, 'n1'))).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));

describe('IpamStore with netkube-ipam', () => {
  it('150 concurrent allocations get 150 distinct addresses; releasing them all leaves no reservation', async () => {
    const results = await Promise.all(Array.from({ length: 150 }, (_, i) => ipamAdd(conf, req(i))));
    const ips = results.map((r) => r.ips![0]!.address);
    expect(new Set(ips).size).toBe(150);
    expect(ips.every((a) => a.endsWith('/24') && a !== '10.9.0.1/24')).toBe(true);
    expect(await reservations()).toHaveLength(150);
    await Promise.all(Array.from({ length: 150 }, (_, i) => ipamDel(conf, req(i))));
    expect(await reservations()).toEqual([]);
    expect((await readdir(join(dataDir, 'n1'))).filter((f) => f.startsWith('owner-'))).toEqual([]);
  });

  it('a released address is not handed out again until the pool wraps', async () => {
    const a = await ipamAdd(conf, req(1));
    await ipamDel(conf, req(1));
    const b = await ipamAdd(conf, req(2));
    expect([a.ips![0]!.address, b.ips![0]!.address]).toEqual(['10.9.0.2/24', '10.9.0.3/24']);
  });

  it('DEL of an attachment that holds nothing succeeds and releases nothing', async () => {
    await ipamAdd(conf, req(1));
    expect(await ipamDel(conf, req(9))).toEqual([]);
    expect(await reservations()).toEqual(['10.9.0.2']);
  });

  it('GC releases exactly the attachments not listed as valid', async () => {
    for (const i of [1, 2, 3]) await ipamAdd(conf, req(i));
    const released = await ipamGc(conf, 'n1', [{ containerID: 'c2', ifname: 'eth0' }]);
    expect(released.map((a) => a.containerId).sort()).toEqual(['c1', 'c3']);
    expect(await reservations()).toEqual(['10.9.0.3']);
  });

  it('a lock left by a dead process is broken; one held by a live process makes ADD say "try again" (11)', async () => {
    await ipamAdd(conf, req(1));
    await writeFile(join(dataDir, 'n1', 'netkube.lock'), '2147483646\n'); // no such pid
    expect((await ipamAdd(conf, req(2))).ips![0]!.address).toBe('10.9.0.3/24');
    await writeFile(join(dataDir, 'n1', 'netkube.lock'), `${process.pid}\n`);
    const err = await ipamAdd(conf, req(3), { lockTimeoutMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CniError);
    expect((err as CniError).code).toBe(11);
    expect((err as CniError).message).toContain(`locked by pid ${process.pid}`);
  });
});
