// ClusterIP and NodePort allocators. Their state is never stored on its own:
// it is rebuilt from the Services in the store at startup (the allocation is
// part of the Service object, written in one transaction), so a crash can
// never leave an address allocated twice or leaked.
import ipNum from 'ip-num';

const { IPv4, IPv4CidrRange, Validator } = ipNum;

/** A set of small integers [0, size) with random-start allocation. */
class BitmapRange {
  private readonly used: Uint8Array;
  private count = 0;
  constructor(readonly size: number) {
    this.used = new Uint8Array(size);
  }
  has(i: number): boolean {
    return this.used[i] === 1;
  }
  take(i: number): boolean {
    if (i < 0 || i >= this.size || this.used[i] === 1) return false;
    this.used[i] = 1;
    this.count++;
    return true;
  }
  release(i: number): void {
    if (i >= 0 && i < this.size && this.used[i] === 1) {
      this.used[i] = 0;
      this.count--;
    }
  }
  /** A free offset within [from, to), starting at a random point and wrapping. */
  takeAny(from: number, to: number): number | undefined {
    const span = to - from;
    if (span <= 0) return undefined;
    const start = Math.floor(Math.random() * span);
    for (let k = 0; k < span; k++) {
      const i = from + ((start + k) % span);
      if (this.used[i] === 0) {
        this.used[i] = 1;
        this.count++;
        return i;
      }
    }
    return undefined;
  }
  get free(): number {
    return this.size - this.count;
  }
}

export class AllocationError extends Error {}

export class ClusterIPAllocator {
  readonly cidr: string;
  private readonly base: number;
  private readonly bits: BitmapRange;

  constructor(cidr: string) {
    const [ok] = Validator.isValidIPv4CidrRange(cidr);
    if (!ok) throw new AllocationError(`--service-cluster-ip-range: "${cidr}" is not a valid IPv4 CIDR`);
    const range = IPv4CidrRange.fromCidr(cidr);
    const size = Number(range.getSize());
    if (size < 8) throw new AllocationError(`--service-cluster-ip-range: "${cidr}" is too small`);
    if (size > 1 << 20) throw new AllocationError(`--service-cluster-ip-range: "${cidr}" is larger than a /12`);
    this.cidr = cidr;
    this.base = Number(range.getFirst().getValue());
    this.bits = new BitmapRange(size);
    // The network and broadcast addresses are never handed out.
    this.bits.take(0);
    this.bits.take(size - 1);
  }

  private offsetOf(ip: string): number | undefined {
    if (!Validator.isValidIPv4String(ip)[0]) return undefined;
    const off = Number(IPv4.fromDecimalDottedString(ip).getValue()) - this.base;
    return off >= 0 && off < this.bits.size ? off : undefined;
  }

  contains(ip: string): boolean {
    return this.offsetOf(ip) !== undefined;
  }

  /** The n-th address of the range (1 → the `kubernetes` Service's address). */
  nth(n: number): string {
    return IPv4.fromNumber(BigInt(this.base + n)).toString();
  }

  /** Reserve a requested address. Throws when it is outside the range or taken. */
  allocate(ip: string): void {
    const off = this.offsetOf(ip);
    if (off === undefined) throw new AllocationError(`the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.cidr}`);
    if (!this.bits.take(off)) throw new AllocationError(`the provided IP (${ip}) is already allocated`);
  }

  /**
   * Any free address. As in Kubernetes, the lower part of the range (1/16,
   * between 16 and 256 addresses) is left for static requests while the rest has room.
   */
  allocateNext(): string {
    const size = this.bits.size;
    const reserved = Math.min(256, Math.max(16, Math.floor(size / 16)));
    const off = this.bits.takeAny(Math.min(reserved, size - 1), size - 1) ?? this.bits.takeAny(1, size - 1);
    if (off === undefined) throw new AllocationError(`range is full: no free cluster IP in ${this.cidr}`);
    return this.nth(off);
  }

  release(ip: string): void {
    const off = this.offsetOf(ip);
    if (off !== undefined && off !== 0 && off !== this.bits.size - 1) this.bits.release(off);
  }

  isAllocated(ip: string): boolean {
    const off = this.offsetOf(ip);
    return off !== undefined && this.bits.has(off);
  }

  get free(): number {
    return this.bits.free;
  }
}

export interface PortRange {
  readonly base: number;
  readonly size: number;
}

export function parsePortRange(text: string): PortRange {
  const m = /^(\d+)-(\d+)$/.exec(text.trim());
  if (!m) throw new AllocationError(`--service-node-port-range: "${text}" is not of the form BASE-LAST (e.g. 30000-32767)`);
  const base = Number(m[1]);
  const last = Number(m[2]);
  if (base < 1 || last > 65535 || last < base) throw new AllocationError(`--service-node-port-range: "${text}" must lie within 1-65535 with BASE <= LAST`);
  return { base, size: last - base + 1 };
}

export class NodePortAllocator {
  private readonly bits: BitmapRange;
  constructor(readonly range: PortRange) {
    this.bits = new BitmapRange(range.size);
  }

  contains(port: number): boolean {
    return Number.isInteger(port) && port >= this.range.base && port < this.range.base + this.range.size;
  }

  allocate(port: number): void {
    if (!this.contains(port)) {
      throw new AllocationError(`provided port is not in the valid range. The range of valid ports is ${this.range.base}-${this.range.base + this.range.size - 1}`);
    }
    if (!this.bits.take(port - this.range.base)) throw new AllocationError('provided port is already allocated');
  }

  allocateNext(): number {
    const off = this.bits.takeAny(0, this.range.size);
    if (off === undefined) throw new AllocationError('range is full: no free node port');
    return this.range.base + off;
  }

  release(port: number): void {
    if (this.contains(port)) this.bits.release(port - this.range.base);
  }

  isAllocated(port: number): boolean {
    return this.contains(port) && this.bits.has(port - this.range.base);
  }
}
