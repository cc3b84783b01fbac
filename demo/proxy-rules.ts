// The proxy's rules for one Service, cut out of `iptables-save -t nat`: the
// lines whose comment names the Service port ("ns/name:port …") and every
// line of the chains they jump to, transitively (KUBE-SVC-… → KUBE-SEP-…),
// in the order iptables-save printed them. What a user would otherwise grep
// for by hand to see how the proxy routes their Service.

const JUMP = /-j (KUBE-(?:SVC|SEP|EXT|SVL|FW)-[A-Z0-9]+)/;

function chainOf(line: string): string | undefined {
  return /^-A (\S+) /.exec(line)?.[1];
}

/** `servicePort` is "<namespace>/<name>:<port name>" (kube-proxy's comment form; the port name may be empty). */
export function rulesForService(save: string, servicePort: string): string[] {
  const lines = save.split('\n').filter((l) => l.startsWith('-A '));
  // The comment is the Service port alone or followed by a description; quoted or not.
  const escaped = servicePort.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const nameRe = new RegExp(`--comment "?${escaped}(?:"| )`);
  const named = (l: string) => nameRe.test(l);
  const chains = new Set<string>();
  const queue: string[] = [];
  const follow = (l: string) => {
    const target = JUMP.exec(l)?.[1];
    if (target && !chains.has(target)) {
      chains.add(target);
      queue.push(target);
    }
  };
  for (const l of lines) if (named(l)) follow(l);
  while (queue.length) {
    const c = queue.shift()!;
    for (const l of lines) if (chainOf(l) === c) follow(l);
  }
  return lines.filter((l) => named(l) || chains.has(chainOf(l) ?? ''));
}
