// Images are not pulled: there is no registry and no image filesystem. An
// image name maps to a command run with the host's binaries. A few images are
// built in (their programs ship with netkube); well-known base images run the
// pod's `command`/`args` with the host's tools; any other image needs a
// `command`. Containers are processes, not filesystems: they see the host's
// files (plus the per-container bind mounts the agent makes).
import type { Container } from '../kube/api/core.js';

export interface BuiltinImage {
  /** The image's ENTRYPOINT. `{node}` is the agent's Node.js, `{images}` the folder of the built-in image programs. */
  entrypoint: string[];
  /** The image's CMD: default args when the pod gives none. */
  cmd: string[];
  description: string;
}

/** Built-in images; other issues (DNS, sidecar) add theirs here. */
export const BUILTIN_IMAGES: Readonly<Record<string, BuiltinImage>> = {
  'netkube/echo': {
    entrypoint: ['{node}', '{images}/echo-server.js'],
    cmd: [],
    description: 'HTTP (8080), TCP (9000) and UDP (9001) echo server whose answers name the pod and its IP',
  },
  'netkube/dns': {
    entrypoint: ['{node}', '{images}/netkube-dns.js'],
    cmd: [],
    description: 'the cluster DNS: `netkube dns` with the args as its flags, API access through in-cluster config (what `netkube up` deploys as kube-system/coredns)',
  },
  'netkube/lb-sidecar': {
    entrypoint: ['{node}', '{images}/lb-sidecar.js'],
    cmd: [],
    description: 'client-side load balancer for a second container: HTTP on 127.0.0.1:15001 straight to ready pod IPs of --service/--port from its EndpointSlices (round-robin | least-request, retries, outlier ejection), admin /stats /ready on 127.0.0.1:15000',
  },
  'netkube/toolbox': {
    entrypoint: ['/bin/sleep', 'infinity'],
    cmd: [],
    description: 'does nothing; use `netkube exec` / exec probes to run the host tools (curl, dig, ping) inside the pod',
  },
};

/** Base images whose default command is a shell; with `command` they run host binaries. */
export const HOST_TOOL_IMAGES: Readonly<Record<string, string[]>> = {
  busybox: ['/bin/sh'],
  alpine: ['/bin/sh'],
  debian: ['/bin/bash'],
  ubuntu: ['/bin/bash'],
  'curlimages/curl': ['/usr/bin/curl'],
  'nicolaka/netshoot': ['/bin/sh'],
};

/** "docker.io/library/busybox:1.36@sha256:…" → "busybox"; "ghcr.io/x/y:tag" → "x/y". */
export function normalizeImage(image: string): string {
  let name = image.split('@')[0]!;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) name = name.slice(0, colon);
  const parts = name.split('/');
  // A first component with a dot or colon (or "localhost") is a registry host.
  if (parts.length > 1 && (/[.:]/.test(parts[0]!) || parts[0] === 'localhost')) parts.shift();
  if (parts.length === 2 && parts[0] === 'library') parts.shift();
  return parts.join('/');
}

export class ImageError extends Error {
  override name = 'ImageError';
}

/**
 * The argv a container runs, with Kubernetes' rules: `command` replaces the
 * image's entrypoint, `args` replaces its cmd.
 */
export function resolveContainerArgv(c: Pick<Container, 'image' | 'command' | 'args'>, paths: { node: string; images: string }): string[] {
  const image = normalizeImage(c.image ?? '');
  const builtin = BUILTIN_IMAGES[image];
  const fill = (s: string): string => s.replace('{node}', paths.node).replace('{images}', paths.images);
  let entrypoint: string[];
  let cmd: string[];
  if (builtin) {
    entrypoint = builtin.entrypoint.map(fill);
    cmd = builtin.cmd;
  } else if (HOST_TOOL_IMAGES[image]) {
    entrypoint = [];
    cmd = HOST_TOOL_IMAGES[image]!;
  } else {
    entrypoint = [];
    cmd = [];
  }
  const argv = c.command?.length ? [...c.command, ...(c.args ?? [])] : [...entrypoint, ...(c.args ?? cmd)];
  if (argv.length === 0) {
    throw new ImageError(
      `image "${c.image}" is not built in and the container gives no command: netkube runs images as host processes, so name the program with command (built-in images: ${Object.keys(BUILTIN_IMAGES).join(', ')})`,
    );
  }
  return argv;
}
