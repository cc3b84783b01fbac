// Kubernetes resource quantities ("500m", "2", "128Mi", "1G", "1e3") as plain
// numbers: cpu in millicores, everything else in base units (bytes). Numbers
// are doubles, which is exact for every quantity a node or pod realistically
// carries (< 2^53 bytes).

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

export class QuantityError extends Error {
  override name = 'QuantityError';
}

/** The quantity's value in base units; throws QuantityError naming the input when it is not a quantity. */
export function parseQuantity(text: string | number): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text)) throw new QuantityError(`quantity ${text} is not finite`);
    return text;
  }
  const m = QUANTITY.exec(text.trim());
  if (!m) throw new QuantityError(`"${text}" is not a Kubernetes quantity (e.g. 500m, 2, 128Mi, 1G, 1e3)`);
  const n = Number(m[1]);
  if (m[2] !== undefined) return n * 10 ** Number(m[2].slice(1));
  const suffix = m[3] ?? '';
  return n * (BINARY[suffix] ?? DECIMAL[suffix] ?? 1);
}

/** CPU in millicores, rounded up as Kubernetes does when it reads MilliValue (so "0.0001" is 1m). */
export function cpuMillis(text: string | number): number {
  const v = parseQuantity(text) * 1000;
  // Guard against 0.1*1000 = 100.00000000000001 style noise before rounding up.
  return Math.ceil(Number(v.toPrecision(12)));
}

/** Memory (or any other non-cpu resource) in base units, rounded up to a whole unit. */
export function baseUnits(text: string | number): number {
  return Math.ceil(Number(parseQuantity(text).toPrecision(15)));
}

/** A resource amount in the unit the scheduler compares: millicores for cpu, base units otherwise. */
export function resourceAmount(resource: string, text: string | number): number {
  return resource === 'cpu' ? cpuMillis(text) : baseUnits(text);
}
