// iptables-nft 1.8.x (Debian 12 ships 1.8.9) builds its chain cache for a
// `--noflush` restore one command at a time, inserting each command's chains
// into a sorted list: O(rules × chains). A kube-proxy-shaped ruleset of 2,000
// Services × 10 endpoints then takes ~109 s to load (iptables-legacy: 0.9 s).
// Any chain-less command in a table makes it fetch that table's cache once
// instead, and the same restore takes ~1.6 s (10,000 × 10: ~14 s). `-Z` (zero
// counters) is the only chain-less command that changes no rule, but it does
// reset the packet counters of every chain in the table, so it is added only
// to large restores (full syncs of big clusters), where the quadratic cost
// dominates; the routine partial syncs keep their counters. The filter table
// holds a handful of chains and needs no hint.

/** Restores with more lines than this get the hint. */
export const LARGE_RESTORE_LINES = 5_000;

function lineCountExceeds(text: string, limit: number): boolean {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
    if (++n > limit) return true;
  }
  return false;
}

/** The restore text to send: `-Z` right after `*nat` when the text is large; otherwise unchanged. */
export function withNatCacheHint(text: string, threshold = LARGE_RESTORE_LINES): string {
  if (!lineCountExceeds(text, threshold)) return text;
  const at = text.startsWith('*nat\n') ? 0 : text.indexOf('\n*nat\n') + 1;
  if (at === 0 && !text.startsWith('*nat\n')) return text;
  const after = at + '*nat\n'.length;
  return `${text.slice(0, after)}-Z\n${text.slice(after)}`;
}
