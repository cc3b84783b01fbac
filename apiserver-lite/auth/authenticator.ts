import type { TokenRegistry } from './tokens.js';
import type { UserInfo } from './user-info.js';

/** What authenticate needs from a token store (a TokenRegistry, or a fake in tests). */
export type TokenLookup = Pick<TokenRegistry, 'lookup'>;

// Scheme is case-insensitive (RFC 7235); exactly one token, optional surrounding blanks.
const BEARER = /^\s*bearer\s+([^\s]+)\s*$/i;

/**
 * The user a request's Authorization header proves, or undefined (the server
 * answers 401). Only `Bearer <token>` is understood; Basic, an empty token or
 * anything with extra words is treated as no credentials.
 */
export function authenticate(authorizationHeader: string | undefined, tokens: TokenLookup): UserInfo | undefined {
  if (authorizationHeader === undefined) return undefined;
  const token = BEARER.exec(authorizationHeader)?.[1];
  return token === undefined ? undefined : tokens.lookup(token);
}
