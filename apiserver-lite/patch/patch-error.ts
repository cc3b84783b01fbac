// The one error every patch function throws for a patch that cannot be
// applied (bad directive, failed `test` op, unresolvable path, malformed
// patch document). The API layer turns it into a Status: Kubernetes answers
// 422 Invalid for patches that do not apply and 400 BadRequest for patch
// documents that are not even the right shape, so the error says which.

export type PatchErrorReason = 'BadRequest' | 'Invalid';

export class PatchError extends Error {
  override readonly name = 'PatchError';

  constructor(
    message: string,
    /** BadRequest: the patch document itself is malformed; Invalid: it is well-formed but does not apply. */
    readonly reason: PatchErrorReason = 'Invalid',
  ) {
    super(message);
  }
}
