// pods/log: the API server asks the node agent that runs the pod, as
// kube-apiserver asks the kubelet: GET https://<node InternalIP>:<kubelet
// port>/containerLogs/<namespace>/<pod>/<container>, passing the log options
// (follow, tailLines, sinceSeconds, timestamps, previous, limitBytes) through.
// Like kube-apiserver without --kubelet-certificate-authority, the node's
// serving certificate is not verified.
import https from 'node:https';
import type { Node, Pod } from '../kube/api/core.js';
import { ApiError, badRequest } from './api-error.js';
import type { Registry } from './registry.js';
import type { PodLogRequest } from './server.js';

const PASSED_OPTIONS = ['follow', 'tailLines', 'sinceSeconds', 'sinceTime', 'timestamps', 'previous', 'limitBytes'];
const DEFAULT_KUBELET_PORT = 10250;

export function nodeAgentLogs(registry: Registry): (req: PodLogRequest) => Promise<NodeJS.ReadableStream> {
  return async ({ namespace, pod: obj, container, query }) => {
    const pod = obj as Pod;
    const name = pod.metadata.name ?? '';
    const containers = (pod.spec?.containers ?? []).map((c) => c.name);
    const chosen = container ?? (containers.length === 1 ? containers[0] : undefined);
    if (!chosen) {
      throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`);
    }
    if (!containers.includes(chosen) && !(pod.spec?.initContainers ?? []).some((c) => c.name === chosen)) {
      throw badRequest(`container ${chosen} is not valid for pod ${name}`);
    }
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) throw badRequest(`pod ${name} is not scheduled to a node yet: no logs to show`);
    const node = (await registry.get(registry.def('', 'nodes'), undefined, nodeName)) as Node;
    const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    if (!ip) throw new ApiError(503, 'ServiceUnavailable', `node "${nodeName}" reports no InternalIP: cannot reach its agent for logs`);
    const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? DEFAULT_KUBELET_PORT;
    const qs = new URLSearchParams();
    for (const k of PASSED_OPTIONS) if (query[k] !== undefined) qs.set(k, query[k]!);
    const url = `https://${ip.includes(':') ? `[${ip}]` : ip}:${port}/containerLogs/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/${encodeURIComponent(chosen)}${qs.size ? `?${qs}` : ''}`;
    return new Promise((resolve, reject) => {
      const req = https.get(url, { rejectUnauthorized: false, timeout: 10_000 }, (res) => {
        if (res.statusCode !== 200) {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => reject(new ApiError(res.statusCode === 404 ? 404 : 502, res.statusCode === 404 ? 'NotFound' : 'InternalError', `node agent on ${nodeName}: ${text.trim() || `HTTP ${res.statusCode}`}`)));
          return;
        }
        resolve(res);
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (e) => reject(new ApiError(503, 'ServiceUnavailable', `cannot reach the node agent of ${nodeName} at ${ip}:${port}: ${e.message}`)));
    });
  };
}
