// Spec versions: which we speak, how they compare, and what each allows.
import { CniError, ERR_DECODE, ERR_INCOMPATIBLE_VERSION } from './cni-error.js';

export const SUPPORTED_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
export const LATEST_VERSION = '1.1.0';

function parts(v: string): [number, number, number] {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v);
  if (!m) throw new CniError(ERR_DECODE, `cniVersion "${v}" is not a version of the form X.Y.Z`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** Negative, zero or positive as a sorts before, with or after b. */
export function compareVersions(a: string, b: string): number {
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < 3; i++) {
    const d = pa[i]! - pb[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** Throws the spec's "incompatible CNI version" unless we speak `v`. */
export function assertSupported(v: string): void {
  parts(v);
  if (!(SUPPORTED_VERSIONS as readonly string[]).includes(v)) {
    throw new CniError(
      ERR_INCOMPATIBLE_VERSION,
      `incompatible CNI version: config has cniVersion "${v}"`,
      `netkube-cni supports ${SUPPORTED_VERSIONS.join(', ')}`,
    );
  }
}

/** The first spec version that defines each command; older configs may not use it. */
export const COMMAND_SINCE: Readonly<Record<string, string>> = {
  ADD: '0.1.0',
  DEL: '0.1.0',
  VERSION: '0.1.0',
  CHECK: '0.4.0',
  GC: '1.1.0',
  STATUS: '1.1.0',
};
