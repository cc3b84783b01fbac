// The CNI protocol's shapes as netkube uses them internally (always the
// newest, 1.1.0 form); result.ts converts to the version a caller asked for.

export interface CniInterface {
  name: string;
  mac?: string;
  mtu?: number;
  /** The netns path for interfaces inside the container; absent for host interfaces. */
  sandbox?: string;
}

export interface CniIpConfig {
  /** CIDR form, e.g. "10.244.1.5/24". */
  address: string;
  gateway?: string;
  /** Index into `interfaces`; absent in IPAM results. */
  interface?: number;
}

export interface CniRoute {
  dst: string;
  gw?: string;
  mtu?: number;
  advmss?: number;
  priority?: number;
  table?: number;
  scope?: number;
}

export interface CniDns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

export interface CniResult {
  interfaces?: CniInterface[];
  ips?: CniIpConfig[];
  routes?: CniRoute[];
  dns?: CniDns;
}

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION' | 'STATUS' | 'GC';

/** One invocation, as the dispatcher read it from the environment and stdin. */
export interface CmdArgs {
  command: CniCommand;
  containerId: string;
  /** Empty when the runtime did not pass one (allowed for DEL, STATUS, GC). */
  netns: string;
  ifName: string;
  /** CNI_ARGS as key/value pairs ("K8S_POD_NAMESPACE=default;K8S_POD_NAME=web"). */
  args: ReadonlyMap<string, string>;
  /** CNI_PATH split on ':' (delegated plugins are looked up here). */
  path: readonly string[];
  /** The configuration exactly as received, for delegating to another plugin. */
  stdinData: string;
  /** The configuration decoded (a JSON object with at least `name` and `cniVersion`). */
  config: Record<string, unknown>;
  cniVersion: string;
  /** The whole environment, passed on unchanged to delegated plugins. */
  env: Readonly<Record<string, string | undefined>>;
}

/** What a plugin implements; the dispatcher does the rest (skel's CNIFuncs). */
export interface CniFuncs {
  add(a: CmdArgs): Promise<CniResult>;
  del(a: CmdArgs): Promise<void>;
  check(a: CmdArgs): Promise<void>;
  status?(a: CmdArgs): Promise<void>;
  gc?(a: CmdArgs): Promise<void>;
}

/** One entry of GC's `cni.dev/valid-attachments`. */
export interface Attachment {
  containerID: string;
  ifname: string;
}
