// Durations on the command line in Go's time.ParseDuration syntax ("1s",
// "500ms", "1m30s", "0"), because kube-proxy's flags take them that way and
// users copy flags between the two.

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/;

/** Milliseconds of a Go duration; throws naming the flag and value when it does not parse or is negative. */
export function parseGoDuration(text: string, flag = 'duration'): number {
  const s = text.trim();
  const fail = (): never => {
    throw new Error(`${flag}: "${text}" is not a duration (examples: 0, 500ms, 1s, 1m30s)`);
  };
  if (s === '0') return 0;
  if (s === '' || s.startsWith('-')) fail();
  let rest = s.startsWith('+') ? s.slice(1) : s;
  if (rest === '') fail();
  let total = 0;
  while (rest !== '') {
    const m = PART.exec(rest);
    if (!m) return fail();
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}
