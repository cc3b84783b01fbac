// Just enough OpenAPI v3 for kubectl: each group-version document lists the
// PATCH operation of every kind with its `fieldValidation` parameter, so
// `kubectl apply` (validate=strict by default) sends the manifest for
// server-side field validation instead of failing to download schemas.
//
// The PATCH operations deliberately do not list strategic-merge-patch as a
// request content type: kubectl then computes its apply patches from its own
// compiled-in types (the exact Kubernetes merge keys) rather than from
// schemas this server does not publish. Full schemas (for `kubectl explain`)
// are not served.
import { createHash } from 'node:crypto';
import { RESOURCES, apiVersionOf, groupVersions, type ResourceDef } from './resources.js';
import { KUBERNETES_VERSION } from './discovery.js';

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

const queryParam = (name: string, description: string) => ({ name, in: 'query', description, schema: { type: 'string', uniqueItems: true } });

function pathsFor(def: ResourceDef): Record<string, unknown> {
  const base = `/${gvPath(def.group, def.version)}`;
  const item = def.namespaced ? `${base}/namespaces/{namespace}/${def.resource}/{name}` : `${base}/${def.resource}/{name}`;
  const collection = def.namespaced ? `${base}/namespaces/{namespace}/${def.resource}` : `${base}/${def.resource}`;
  const gvk = { group: def.group, version: def.version, kind: def.kind };
  const writeParams = [
    queryParam('dryRun', 'When present, indicates that modifications should not be persisted.'),
    queryParam('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
    queryParam('fieldValidation', 'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields.'),
  ];
  const json = { 'application/json': { schema: { type: 'object' } } };
  const ok = { '200': { description: 'OK', content: json } };
  return {
    [collection]: {
      post: { operationId: `create${def.kind}`, 'x-kubernetes-action': 'post', 'x-kubernetes-group-version-kind': gvk, parameters: writeParams, requestBody: { content: json, required: true }, responses: ok },
      get: { operationId: `list${def.kind}`, 'x-kubernetes-action': 'list', 'x-kubernetes-group-version-kind': gvk, responses: ok },
    },
    [item]: {
      get: { operationId: `read${def.kind}`, 'x-kubernetes-action': 'get', 'x-kubernetes-group-version-kind': gvk, responses: ok },
      put: { operationId: `replace${def.kind}`, 'x-kubernetes-action': 'put', 'x-kubernetes-group-version-kind': gvk, parameters: writeParams, requestBody: { content: json, required: true }, responses: ok },
      patch: {
        operationId: `patch${def.kind}`,
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': gvk,
        parameters: [...writeParams, queryParam('force', 'Force is going to "force" Apply requests.')],
        requestBody: {
          content: {
            'application/json-patch+json': { schema: { type: 'object' } },
            'application/merge-patch+json': { schema: { type: 'object' } },
          },
          required: true,
        },
        responses: ok,
      },
      delete: { operationId: `delete${def.kind}`, 'x-kubernetes-action': 'delete', 'x-kubernetes-group-version-kind': gvk, responses: ok },
    },
  };
}

export interface OpenApiV3 {
  root: Record<string, unknown>;
  /** The JSON text of each group-version document, keyed "api/v1", "apis/apps/v1", … */
  documents: Map<string, string>;
}

export function buildOpenApiV3(): OpenApiV3 {
  const documents = new Map<string, string>();
  const rootPaths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of groupVersions()) {
    const paths: Record<string, unknown> = {};
    for (const def of RESOURCES.filter((r) => apiVersionOf(r) === apiVersionOf(gv))) Object.assign(paths, pathsFor(def));
    const doc = JSON.stringify({
      openapi: '3.0.0',
      info: { title: 'Kubernetes (netkube apiserver-lite)', version: KUBERNETES_VERSION.gitVersion },
      paths,
      components: { schemas: {} },
    });
    const key = gvPath(gv.group, gv.version);
    documents.set(key, doc);
    const hash = createHash('sha512').update(doc).digest('hex').toUpperCase();
    rootPaths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  }
  return { root: { paths: rootPaths }, documents };
}
