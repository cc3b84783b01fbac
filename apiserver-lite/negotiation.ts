// Content negotiation: which representation a client asked for (plain JSON,
// a server-side Table, or metadata only) and how its request body is encoded.
import { parse as parseYaml } from 'yaml';
import { badRequest, notAcceptable, unsupportedMediaType } from './api-error.js';
import { KUBERNETES_PROTOBUF_MEDIA_TYPE, ProtobufDecodeError, ProtobufUnsupportedKindError, decodeKubernetesProtobuf } from './protobuf/decode.js';

export type Representation =
  | { kind: 'json' }
  | { kind: 'table'; version: 'v1' | 'v1beta1' }
  | { kind: 'partial'; version: 'v1' | 'v1beta1' };

interface MediaRange {
  type: string;
  params: Record<string, string>;
}

function parseMediaRanges(accept: string): MediaRange[] {
  return accept.split(',').map((part) => {
    const [type, ...ps] = part.split(';').map((s) => s.trim());
    const params: Record<string, string> = {};
    for (const p of ps) {
      const eq = p.indexOf('=');
      if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim();
    }
    return { type: (type ?? '').toLowerCase(), params };
  });
}

/** The first acceptable representation in the client's order, as kube-apiserver picks it. */
export function negotiate(accept: string | undefined): Representation {
  if (!accept || accept.trim() === '') return { kind: 'json' };
  for (const r of parseMediaRanges(accept)) {
    const jsonish = r.type === 'application/json' || r.type === '*/*' || r.type === 'application/*';
    if (!jsonish) continue;
    const as = r.params.as;
    if (!as) return { kind: 'json' };
    const g = r.params.g;
    const v = r.params.v;
    if (g !== 'meta.k8s.io' || (v !== 'v1' && v !== 'v1beta1')) continue;
    if (as === 'Table') return { kind: 'table', version: v };
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { kind: 'partial', version: v };
  }
  throw notAcceptable(`only the following media types are accepted: application/json, application/yaml (with as=Table or as=PartialObjectMetadata;g=meta.k8s.io;v=v1)`);
}

/** Decode a create/update body (JSON or YAML), with a 400 that says what is wrong. */
export function decodeBody(contentType: string | undefined, raw: Buffer | string | undefined): unknown {
  const media = (contentType ?? 'application/json').split(';', 1)[0]!.trim().toLowerCase();
  // kubectl's typed clients (kubectl create namespace|deployment|service …) send protobuf.
  if (media === KUBERNETES_PROTOBUF_MEDIA_TYPE) {
    if (raw === undefined || raw.length === 0) throw badRequest('the request body is empty');
    try {
      return decodeKubernetesProtobuf(typeof raw === 'string' ? Buffer.from(raw, 'binary') : raw).object;
    } catch (e) {
      if (e instanceof ProtobufUnsupportedKindError) throw unsupportedMediaType(media, e.message);
      if (e instanceof ProtobufDecodeError) throw badRequest(`the request body is not valid Kubernetes protobuf: ${e.message}`);
      throw e;
    }
  }
  const body = typeof raw === 'string' ? raw : raw?.toString('utf8');
  if (body === undefined || body.trim() === '') throw badRequest('the request body is empty');
  if (media === 'application/json' || media === '' || media.endsWith('+json')) {
    try {
      return JSON.parse(body);
    } catch (e) {
      throw badRequest(`the request body is not valid JSON: ${(e as Error).message}`);
    }
  }
  if (media === 'application/yaml' || media === 'application/x-yaml' || media === 'text/yaml') {
    try {
      return parseYaml(body);
    } catch (e) {
      throw badRequest(`the request body is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw unsupportedMediaType(media);
}
