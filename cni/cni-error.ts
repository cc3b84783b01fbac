// CNI errors: the spec's well-known codes and netkube's plugin-specific ones.
// The dispatcher prints any CniError as the spec's error JSON on stdout.

/** Well-known codes (CNI spec, section 5 "Error"). */
export const ERR_INCOMPATIBLE_VERSION = 1;
export const ERR_UNSUPPORTED_FIELD = 2;
export const ERR_UNKNOWN_CONTAINER = 3;
export const ERR_INVALID_ENV = 4;
export const ERR_IO_FAILURE = 5;
export const ERR_DECODE = 6;
export const ERR_INVALID_CONFIG = 7;
/** Not in the spec's table but defined by libcni and used by the reference plugins. */
export const ERR_INVALID_NETNS = 8;
export const ERR_TRY_AGAIN = 11;
export const ERR_NOT_AVAILABLE = 50;
export const ERR_LIMITED_CONNECTIVITY = 51;

/** netkube-cni's own codes (100+ are plugin-specific). */
/** An `ip`/`nsenter` command failed; details quote the command and its stderr. */
export const ERR_COMMAND_FAILED = 100;
/** ADD found CNI_IFNAME (or our host veth) already present; the existing one is left alone. */
export const ERR_INTERFACE_EXISTS = 101;
/** No free address left in the configured ranges. */
export const ERR_ADDRESSES_EXHAUSTED = 102;
/** The (container ID, ifname) already holds an address: ADD twice without DEL. */
export const ERR_DUPLICATE_ALLOCATION = 103;
/** CHECK found the attachment differs from prevResult. */
export const ERR_CHECK_FAILED = 104;
/** A delegated (IPAM) plugin could not be found or run. */
export const ERR_DELEGATE_FAILED = 105;
/** A bug: an error nobody classified (libcni's ErrInternal). */
export const ERR_INTERNAL = 999;

export class CniError extends Error {
  constructor(
    readonly code: number,
    msg: string,
    readonly details?: string,
  ) {
    super(msg);
    this.name = 'CniError';
  }
}

export interface CniErrorJson {
  cniVersion: string;
  code: number;
  msg: string;
  details?: string;
}

/** Any thrown value as the spec's error object; unclassified errors become ERR_INTERNAL. */
export function toErrorJson(err: unknown, cniVersion: string): CniErrorJson {
  if (err instanceof CniError) {
    const out: CniErrorJson = { cniVersion, code: err.code, msg: err.message };
    if (err.details) out.details = err.details;
    return out;
  }
  const msg = err instanceof Error ? err.message : String(err);
  return { cniVersion, code: ERR_INTERNAL, msg };
}
