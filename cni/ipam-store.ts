// The host-local style store on disk: one directory per network, one file per
// allocated address (named by the address, holding "containerID\nifname\n"),
// an owner index file per attachment (`owner-<hash>`, holding the address) so
// ADD and DEL need only the directory listing, `last_reserved_ip` for
// round-robin, and a lock file so concurrent plugin processes on one node
// never read-decide-write at the same time. The critical section is kept to
// one readdir and two small writes: under 200 concurrent ADDs on two cores,
// every millisecond in it is paid by every waiter.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CniError, ERR_IO_FAILURE, ERR_TRY_AGAIN } from './cni-error.js';
import { formatIpv4, parseIpv4 } from './ipv4.js';
import type { Allocation } from './ipam-allocator.js';

const LOCK_FILE = 'netkube.lock';
const LAST_RESERVED_FILE = 'last_reserved_ip';

export interface StoreContents {
  readonly allocations: readonly Allocation[];
  readonly lastReserved?: number;
}

/** The directory listing only: enough for ADD to choose an address. */
export interface StoreIndex {
  readonly taken: ReadonlySet<number>;
  readonly lastReserved?: number;
}

/** What a caller may do while holding the lock. */
export interface StoreTx {
  /** Every allocation with its owner (reads each file: GC, CHECK). */
  read(): Promise<StoreContents>;
  /** Allocated addresses from the listing alone. */
  index(): Promise<StoreIndex>;
  /** Addresses one attachment holds, via its owner file (falling back to a full read). */
  held(containerId: string, ifName: string): Promise<number[]>;
  /** Writes the reservation with O_EXCL: a second writer of one address fails even without the lock. */
  reserve(a: Allocation): Promise<void>;
  release(a: Allocation): Promise<void>;
  setLastReserved(ip: number): Promise<void>;
}

export function ownerFile(containerId: string, ifName: string): string {
  return `owner-${createHash('sha256').update(`${containerId}\u0000${ifName}`).digest('hex').slice(0, 32)}`;
}

export interface IpamStoreOptions {
  /** Give up with "try again" (code 11) after this long. Default 60 s. */
  lockTimeoutMs?: number;
}

function errno(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errno(err) === 'EPERM';
  }
}

export class IpamStore {
  readonly dir: string;
  private readonly lockTimeoutMs: number;

  constructor(dataDir: string, network: string, opts: IpamStoreOptions = {}) {
    this.dir = join(dataDir, network);
    this.lockTimeoutMs = opts.lockTimeoutMs ?? 60_000;
  }

  async withLock<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    await mkdir(this.dir, { recursive: true, mode: 0o755 });
    const release = await this.acquire();
    try {
      return await fn(this.tx());
    } finally {
      await release();
    }
  }

  private async acquire(): Promise<() => Promise<void>> {
    const path = join(this.dir, LOCK_FILE);
    const deadline = Date.now() + this.lockTimeoutMs;
    let delay = 1;
    for (;;) {
      try {
        const fh = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
        await fh.writeFile(`${process.pid}\n`);
        await fh.close();
        return async () => {
          await unlink(path).catch(() => undefined);
        };
      } catch (err) {
        if (errno(err) !== 'EEXIST') throw new CniError(ERR_IO_FAILURE, `IPAM store ${this.dir}: cannot create lock: ${String(err)}`);
      }
      await this.breakIfStale(path);
      if (Date.now() > deadline) {
        const holder = (await readFile(path, 'utf8').catch(() => '?')).trim();
        throw new CniError(ERR_TRY_AGAIN, `IPAM store ${this.dir} is locked by pid ${holder}; try again`);
      }
      // Jittered, growing back-off: hundreds of concurrent ADDs must not spin in step.
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 20);
    }
  }

  /**
   * A holder that died inside its critical section leaves the lock file
   * behind. Break it only when its pid is gone, and only by renaming that very
   * file (same inode) aside, so a fresh lock taken meanwhile is not stolen.
   */
  private async breakIfStale(path: string): Promise<void> {
    let text: string;
    let ino: number;
    try {
      ino = (await stat(path)).ino;
      text = await readFile(path, 'utf8');
    } catch {
      return;
    }
    const pid = Number(text.trim());
    if (!Number.isInteger(pid) || pid <= 0) {
      // Written but not yet filled in by a live holder: only stale if old.
      const st = await stat(path).catch(() => undefined);
      if (!st || Date.now() - st.mtimeMs < 5_000) return;
    } else if (isAlive(pid)) {
      return;
    }
    const aside = `${path}.stale.${process.pid}`;
    try {
      await rename(path, aside);
      if ((await stat(aside)).ino !== ino) {
        // Another waiter broke the stale lock first and a new holder took the
        // path: hand its file back. link() never clobbers; if a third process
        // grabbed the free path in these microseconds, two hold the lock — a
        // window that needs a crashed holder plus three-way timing, and the
        // O_EXCL reservation files still keep addresses unique.
        await link(aside, path).catch(() => undefined);
        await unlink(aside);
        return;
      }
      await unlink(aside);
    } catch {
      // Someone else broke it first.
    }
  }

  private tx(): StoreTx {
    const dir = this.dir;
    const readLast = async (names: readonly string[]): Promise<number | undefined> =>
      names.includes(LAST_RESERVED_FILE) ? parseIpv4((await readFile(join(dir, LAST_RESERVED_FILE), 'utf8').catch(() => '')).trim()) : undefined;
    const read = async (): Promise<StoreContents> => {
      const names = await readdir(dir);
      const allocations: Allocation[] = [];
      await Promise.all(
        names.map(async (name) => {
          const ip = parseIpv4(name);
          if (ip === undefined) return;
          const text = await readFile(join(dir, name), 'utf8').catch(() => undefined);
          if (text === undefined) return;
          const [containerId = '', ifName = ''] = text.split(/\r?\n/);
          allocations.push({ ip, containerId: containerId.trim(), ifName: ifName.trim() });
        }),
      );
      allocations.sort((a, b) => a.ip - b.ip);
      const lastReserved = await readLast(names);
      return lastReserved === undefined ? { allocations } : { allocations, lastReserved };
    };
    const removeFile = async (name: string): Promise<void> => {
      await unlink(join(dir, name)).catch((err: unknown) => {
        if (errno(err) !== 'ENOENT') throw err;
      });
    };
    return {
      read,
      async index(): Promise<StoreIndex> {
        const names = await readdir(dir);
        const taken = new Set<number>();
        for (const name of names) {
          const ip = parseIpv4(name);
          if (ip !== undefined) taken.add(ip);
        }
        const lastReserved = await readLast(names);
        return lastReserved === undefined ? { taken } : { taken, lastReserved };
      },
      async held(containerId: string, ifName: string): Promise<number[]> {
        const text = await readFile(join(dir, ownerFile(containerId, ifName)), 'utf8').catch(() => undefined);
        const ip = text === undefined ? undefined : parseIpv4(text.trim());
        if (ip === undefined) return [];
        // Trust the index only while the reservation it points at is still this attachment's.
        const owner = await readFile(join(dir, formatIpv4(ip)), 'utf8').catch(() => '');
        const [cid = '', ifn = ''] = owner.split(/\r?\n/);
        return cid.trim() === containerId && ifn.trim() === ifName ? [ip] : [];
      },
      async reserve(a: Allocation): Promise<void> {
        await writeFile(join(dir, formatIpv4(a.ip)), `${a.containerId}\n${a.ifName}\n`, { flag: 'wx', mode: 0o644 });
        await writeFile(join(dir, ownerFile(a.containerId, a.ifName)), `${formatIpv4(a.ip)}\n`, { mode: 0o644 });
      },
      async release(a: Allocation): Promise<void> {
        await removeFile(formatIpv4(a.ip));
        await removeFile(ownerFile(a.containerId, a.ifName));
      },
      async setLastReserved(ip: number): Promise<void> {
        await writeFile(join(dir, LAST_RESERVED_FILE), `${formatIpv4(ip)}\n`);
      },
    };
  }
}
