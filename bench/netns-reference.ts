// The hand-built references of bench/overlay, as plain `ip`/`bridge`/`sysctl`
// command lists (pure: the plan is data, applying it is a loop):
//
//  vxlan  two "node" namespaces on an underlay bridge (its own namespace, as
//         the lab's), each with a pod bridge, one "pod" namespace behind a
//         veth on it, and a VXLAN device (VNI 1, dstport 4789, nolearning)
//         programmed flannel-style by hand: the local VTEP /32, a permanent
//         neighbour and an FDB entry for the remote VTEP, then a route to the
//         remote pod subnet via it, onlink. Structurally what the lab's
//         overlay builds; only who programs it differs.
//  veth   a bare veth pair between two namespaces.
//
// Every namespace is named <id>-…, so a crash leaves nothing unnamed.

export interface ReferenceMtus {
  underlay: number;
  vxlan: number;
  pod: number;
}

export interface ReferencePlan {
  /** Namespaces in creation order; delete them in reverse. */
  namespaces: string[];
  commands: string[][];
  /** The "node" namespaces, in node order (node-1 first); none for the veth pair. */
  nodes: string[];
  /** The client's namespace, the server's namespace and the server's address. */
  src: string;
  dst: string;
  dstIP: string;
}

const UNDERLAY = '192.168.213';
const POD_NET = (i: number) => `10.213.${i}`;
const vtepMac = (i: number) => `02:6b:62:00:00:0${i}`;

export function vxlanReferencePlan(id: string, mtu: ReferenceMtus): ReferencePlan {
  const ul = `${id}-ul`;
  const node = (i: number) => `${id}-n${i}`;
  const pod = (i: number) => `${id}-p${i}`;
  const nodes = [1, 2];
  const namespaces = [ul, ...nodes.map(node), ...nodes.map(pod)];
  const c: string[][] = namespaces.map((ns) => ['ip', 'netns', 'add', ns]);
  for (const ns of namespaces) c.push(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  // The underlay: a bridge with bridged frames kept out of netfilter, as the lab's.
  c.push(['ip', '-n', ul, 'link', 'add', 'br0', 'mtu', String(mtu.underlay), 'type', 'bridge']);
  c.push(['ip', '-n', ul, 'link', 'set', 'br0', 'up']);
  c.push(['sysctl-optional', ul, 'net.bridge.bridge-nf-call-iptables=0']);
  for (const i of nodes) {
    const n = node(i);
    c.push(['ip', '-n', ul, 'link', 'add', `n${i}`, 'mtu', String(mtu.underlay), 'type', 'veth', 'peer', 'name', 'eth0', 'mtu', String(mtu.underlay), 'netns', n]);
    c.push(['ip', '-n', ul, 'link', 'set', `n${i}`, 'master', 'br0', 'up']);
    c.push(['ip', '-n', n, 'addr', 'add', `${UNDERLAY}.${10 + i}/24`, 'dev', 'eth0']);
    c.push(['ip', '-n', n, 'link', 'set', 'eth0', 'up']);
    // A node as the lab makes one: forwarding on, bridged pod traffic seen by netfilter.
    c.push(['sysctl', n, 'net.ipv4.ip_forward=1']);
    c.push(['sysctl-optional', n, 'net.bridge.bridge-nf-call-iptables=1']);
    // The pod bridge with the gateway address and one pod behind a veth.
    c.push(['ip', '-n', n, 'link', 'add', 'cbr0', 'type', 'bridge']);
    c.push(['ip', '-n', n, 'addr', 'add', `${POD_NET(i)}.1/24`, 'dev', 'cbr0']);
    c.push(['ip', '-n', n, 'link', 'set', 'cbr0', 'up']);
    c.push(['ip', '-n', n, 'link', 'add', `vp${i}`, 'mtu', String(mtu.pod), 'type', 'veth', 'peer', 'name', 'eth0', 'mtu', String(mtu.pod), 'netns', pod(i)]);
    c.push(['ip', '-n', n, 'link', 'set', `vp${i}`, 'master', 'cbr0', 'up']);
    c.push(['ip', '-n', pod(i), 'addr', 'add', `${POD_NET(i)}.2/24`, 'dev', 'eth0']);
    c.push(['ip', '-n', pod(i), 'link', 'set', 'eth0', 'up']);
    c.push(['ip', '-n', pod(i), 'route', 'add', 'default', 'via', `${POD_NET(i)}.1`]);
    // The VXLAN device: its own address is the local pod subnet's .0 as a /32.
    c.push(['ip', '-n', n, 'link', 'add', 'vx0', 'address', vtepMac(i), 'mtu', String(mtu.vxlan), 'type', 'vxlan', 'id', '1', 'local', `${UNDERLAY}.${10 + i}`, 'dstport', '4789', 'nolearning']);
    c.push(['ip', '-n', n, 'link', 'set', 'vx0', 'up']);
    c.push(['ip', '-n', n, 'addr', 'add', `${POD_NET(i)}.0/32`, 'dev', 'vx0']);
  }
  for (const i of nodes) {
    const n = node(i);
    for (const j of nodes.filter((x) => x !== i)) {
      // Neighbour and FDB before the route, so the kernel never has to ARP over VXLAN.
      c.push(['ip', '-n', n, 'neigh', 'replace', `${POD_NET(j)}.0`, 'lladdr', vtepMac(j), 'dev', 'vx0', 'nud', 'permanent']);
      c.push(['bridge', '-n', n, 'fdb', 'replace', vtepMac(j), 'dev', 'vx0', 'dst', `${UNDERLAY}.${10 + j}`]);
      c.push(['ip', '-n', n, 'route', 'replace', `${POD_NET(j)}.0/24`, 'via', `${POD_NET(j)}.0`, 'dev', 'vx0', 'onlink']);
    }
  }
  return { namespaces, commands: c, nodes: nodes.map(node), src: pod(1), dst: pod(2), dstIP: `${POD_NET(2)}.2` };
}

export function vethReferencePlan(id: string, mtu: number): ReferencePlan {
  const a = `${id}-va`;
  const b = `${id}-vb`;
  const c: string[][] = [
    ['ip', 'netns', 'add', a],
    ['ip', 'netns', 'add', b],
    ['ip', '-n', a, 'link', 'set', 'lo', 'up'],
    ['ip', '-n', b, 'link', 'set', 'lo', 'up'],
    ['ip', '-n', a, 'link', 'add', 'eth0', 'mtu', String(mtu), 'type', 'veth', 'peer', 'name', 'eth0', 'mtu', String(mtu), 'netns', b],
    ['ip', '-n', a, 'addr', 'add', '10.214.0.1/24', 'dev', 'eth0'],
    ['ip', '-n', b, 'addr', 'add', '10.214.0.2/24', 'dev', 'eth0'],
    ['ip', '-n', a, 'link', 'set', 'eth0', 'up'],
    ['ip', '-n', b, 'link', 'set', 'eth0', 'up'],
  ];
  return { namespaces: [a, b], commands: c, nodes: [], src: a, dst: b, dstIP: '10.214.0.2' };
}

/**
 * The argv to run for one plan command: `sysctl <netns> k=v` runs sysctl in
 * that namespace; `sysctl-optional` is the same for keys that exist only when
 * br_netfilter is loaded (a missing key is not an error then).
 */
export function commandArgv(cmd: readonly string[]): { argv: string[]; optional: boolean } {
  const [head, ns, ...rest] = cmd;
  if (head === 'sysctl' || head === 'sysctl-optional') {
    return { argv: ['nsenter', `--net=/run/netns/${ns}`, 'sysctl', '-qw', ...rest], optional: head === 'sysctl-optional' };
  }
  return { argv: [...cmd], optional: false };
}
