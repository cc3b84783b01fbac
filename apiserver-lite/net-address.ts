// Small address predicates the API server needs for its flags.
import { isIP } from 'node:net';

export function isLoopbackAddress(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.') || ip === 'localhost';
}

export function isUnspecifiedAddress(ip: string): boolean {
  return ip === '0.0.0.0' || ip === '::';
}

export function requireIP(flag: string, value: string): string {
  if (isIP(value) === 0) throw new Error(`${flag}: "${value}" is not a valid IP address`);
  return value;
}
