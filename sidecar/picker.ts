// Load-balancing policies over the upstreams that outlier detection left in.
//   round-robin    strict rotation over the candidate list (Envoy's ROUND_ROBIN
//                  without weights; Envoy starts at a random offset, we start at
//                  the first endpoint so a test can see exact alternation).
//   least-request  power of two choices: two distinct random candidates, the one
//                  with fewer requests in flight wins, a tie goes to the first
//                  draw (Envoy's LEAST_REQUEST with choice_count 2 and equal
//                  weights; Linkerd's EWMA P2C weighs latency too, we do not).
import type { Upstream } from './endpoints.js';

export const POLICIES = ['round-robin', 'least-request'] as const;
export type Policy = (typeof POLICIES)[number];

export function isPolicy(s: string): s is Policy {
  return (POLICIES as readonly string[]).includes(s);
}

export interface Picker {
  readonly policy: Policy;
  /** One of `candidates` (never empty when `candidates` is not), or undefined when it is empty. */
  pick(candidates: readonly Upstream[]): Upstream | undefined;
}

export class RoundRobinPicker implements Picker {
  readonly policy = 'round-robin';
  private next = 0;

  pick(candidates: readonly Upstream[]): Upstream | undefined {
    if (candidates.length === 0) return undefined;
    // A changed list keeps the counter: the rotation continues where it was,
    // modulo the new size, as Envoy's does after an EDS update.
    const u = candidates[this.next % candidates.length]!;
    this.next = (this.next + 1) % Number.MAX_SAFE_INTEGER;
    return u;
  }
}

export class LeastRequestPicker implements Picker {
  readonly policy = 'least-request';

  /** `random()` returns [0, 1) like Math.random (injected by tests). */
  constructor(
    private readonly inFlight: (address: string) => number,
    private readonly random: () => number = Math.random,
  ) {}

  pick(candidates: readonly Upstream[]): Upstream | undefined {
    const n = candidates.length;
    if (n <= 1) return candidates[0];
    const i = Math.floor(this.random() * n);
    // A second draw over the other n-1 entries: the two choices are always distinct.
    let j = Math.floor(this.random() * (n - 1));
    if (j >= i) j++;
    const a = candidates[i]!;
    const b = candidates[j]!;
    return this.inFlight(b.address) < this.inFlight(a.address) ? b : a;
  }
}

export function createPicker(policy: Policy, inFlight: (address: string) => number): Picker {
  return policy === 'round-robin' ? new RoundRobinPicker() : new LeastRequestPicker(inFlight);
}
