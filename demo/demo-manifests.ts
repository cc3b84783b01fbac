// The objects the demo creates in each cluster, as Kubernetes objects. Pure.
//   web            Deployment of netkube/echo pods (HTTP :8080 answers with x-pod-name)
//   web            Service type NodePort, port 80 → http, the NodePort pinned (the same number in every
//                  cluster, so one DNS name can list every cluster's nodes: an A record has no port)
//   web-headless   headless Service (clusterIP: None) over the same pods: DNS returns every ready pod
//   client         netkube/toolbox (the demo runs its load generator in it) + the netkube/lb-sidecar
//                  container: a localhost load balancer that watches web's EndpointSlices
import type { Pod, Service } from '../kube/api/core.js';
import type { Deployment } from '../kube/api/core.js';

export const DEMO_NAMESPACE = 'default';
export const WEB = 'web';
export const WEB_HEADLESS = 'web-headless';
export const CLIENT = 'client';
export const WEB_LABELS = { app: 'web' } as const;
export const WEB_PORT_NAME = 'http';
export const WEB_CONTAINER_PORT = 8080;
export const SERVICE_PORT = 80;
export const SIDECAR_LISTEN = '127.0.0.1:15001';
export const SIDECAR_ADMIN = '127.0.0.1:15000';

export function webDeployment(replicas: number): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: WEB, namespace: DEMO_NAMESPACE, labels: { ...WEB_LABELS } },
    spec: {
      replicas,
      selector: { matchLabels: { ...WEB_LABELS } },
      template: {
        metadata: { labels: { ...WEB_LABELS } },
        spec: {
          containers: [
            {
              name: 'echo',
              image: 'netkube/echo',
              ports: [{ name: WEB_PORT_NAME, containerPort: WEB_CONTAINER_PORT }],
              readinessProbe: { httpGet: { path: '/healthz', port: WEB_CONTAINER_PORT }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
  };
}

export function webService(nodePort: number): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: WEB, namespace: DEMO_NAMESPACE },
    spec: {
      type: 'NodePort',
      selector: { ...WEB_LABELS },
      ports: [{ name: WEB_PORT_NAME, port: SERVICE_PORT, targetPort: WEB_PORT_NAME, nodePort }],
    },
  };
}

export function webHeadlessService(): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: WEB_HEADLESS, namespace: DEMO_NAMESPACE },
    spec: { clusterIP: 'None', selector: { ...WEB_LABELS }, ports: [{ name: WEB_PORT_NAME, port: WEB_CONTAINER_PORT, targetPort: WEB_PORT_NAME }] },
  };
}

export type SidecarPolicy = 'round-robin' | 'least-request';

export function sidecarArgs(policy: SidecarPolicy): string[] {
  return ['--service', `${DEMO_NAMESPACE}/${WEB}`, '--port', WEB_PORT_NAME, '--listen', SIDECAR_LISTEN, '--admin', SIDECAR_ADMIN, '--policy', policy];
}

export function clientPod(policy: SidecarPolicy): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: CLIENT, namespace: DEMO_NAMESPACE, labels: { app: CLIENT } },
    spec: {
      containers: [
        { name: 'tools', image: 'netkube/toolbox' },
        { name: 'lb', image: 'netkube/lb-sidecar', args: sidecarArgs(policy) },
      ],
    },
  };
}
