// The pod-template-hash that names a Deployment's ReplicaSets: FNV-1a (32
// bit) over the template's canonical JSON (object keys sorted, so the same
// template always hashes the same whatever order its fields arrived in),
// followed by the collision count when there is one, written in Kubernetes'
// "safe" alphabet (no vowels, no 0/1/3, so it never spells words or looks
// like another digit). Kubernetes hashes its own deep-print of the Go struct,
// so the values differ from kube-controller-manager's; only stability matters.
import type { PodTemplateSpec } from '../kube/api/core.js';

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

/** JSON with object keys sorted recursively; undefined fields are dropped as JSON.stringify does. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
}

export function fnv1a32(data: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of data) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Each character of the text mapped into the safe alphabet. */
export function safeEncode(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) out += SAFE[text.charCodeAt(i) % SAFE.length];
  return out;
}

export function podTemplateHash(template: PodTemplateSpec, collisionCount?: number): string {
  let text = canonicalJson(template);
  if (collisionCount !== undefined && collisionCount > 0) text += `#${collisionCount}`;
  return safeEncode(String(fnv1a32(new TextEncoder().encode(text))));
}
