// What the server fills into metadata on create: uid, creationTimestamp,
// generation, and a name from generateName.
import { randomUUID, randomInt } from 'node:crypto';

/** Kubernetes' generateName suffix alphabet: no vowels, no look-alike digits. */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function generateNameSuffix(length = 5): string {
  let s = '';
  for (let i = 0; i < length; i++) s += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  return s;
}

export function generatedName(prefix: string): string {
  // Kubernetes keeps generated names within 63 characters.
  const maxPrefix = 63 - 5;
  return (prefix.length > maxPrefix ? prefix.slice(0, maxPrefix) : prefix) + generateNameSuffix();
}

/** RFC 3339 at second precision, as Kubernetes writes metav1.Time. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function newUid(): string {
  return randomUUID();
}
