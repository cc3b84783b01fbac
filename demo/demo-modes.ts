// The four ways the client reaches the web pods in step 3, and the load
// generator's flags for each. Pure: the addresses come from the clusters.
// Titles are results.ts's MODE_TITLES.
import type { DemoMode } from './results.js';
import { SIDECAR_LISTEN, WEB_CONTAINER_PORT, WEB_HEADLESS, DEMO_NAMESPACE } from './demo-manifests.js';


export interface ModeSpec {
  id: DemoMode;
  /** One or two sentences: what the client does, and what decides where a request goes. */
  how: string;
  loadgenArgs: string[];
  /** Which cluster's pods are backends: the client's only, or both clusters'. */
  backends: 'local' | 'both';
  /** What dies mid-run (disruptions.ts): a pod, or one cluster entry point the DNS name lists. */
  disruption: 'pod' | 'entry-point';
}

export interface ModeInputs {
  clusterIP: string;
  servicePort: number;
  /** The global DNS server (host:port) and the name it serves. */
  globalDns?: { server: string; name: string; nodePort: number };
  clusterDomain: string;
}

export function demoModes(i: ModeInputs): ModeSpec[] {
  const modes: ModeSpec[] = [
    {
      id: 'clusterip',
      how: `A new connection per request to the Service's ClusterIP ${i.clusterIP}:${i.servicePort}; the node's iptables DNAT picks a pod at random (kube-proxy's rules).`,
      loadgenArgs: ['--mode', 'url', '--url', `http://${i.clusterIP}:${i.servicePort}/`],
      backends: 'local',
      disruption: 'pod',
    },
    {
      id: 'sidecar',
      how: `Requests go to the lb container in the same pod (${SIDECAR_LISTEN}); it watches the Service's EndpointSlices and sends each request straight to a pod IP, ejecting pods that fail.`,
      loadgenArgs: ['--mode', 'url', '--url', `http://${SIDECAR_LISTEN}/`],
      backends: 'local',
      disruption: 'pod',
    },
  ];
  if (i.globalDns) {
    modes.push({
      id: 'dns',
      how: `The client resolves ${i.globalDns.name} at ${i.globalDns.server} (A records: every node of both clusters), caches the answer for its TTL and picks a record at random per request, then connects to the pinned NodePort ${i.globalDns.nodePort}.`,
      loadgenArgs: ['--mode', 'dns', '--name', i.globalDns.name, '--dns-server', i.globalDns.server, '--port', String(i.globalDns.nodePort)],
      backends: 'both',
      disruption: 'entry-point',
    });
  }
  modes.push({
    id: 'headless',
    how: `The client resolves ${WEB_HEADLESS}.${DEMO_NAMESPACE}.svc.${i.clusterDomain} at the cluster DNS (A records: every ready pod), caches it for its TTL and connects to a random pod on :${WEB_CONTAINER_PORT}.`,
    loadgenArgs: ['--mode', 'headless', '--name', `${WEB_HEADLESS}.${DEMO_NAMESPACE}.svc.${i.clusterDomain}`, '--port', String(WEB_CONTAINER_PORT)],
    backends: 'local',
      disruption: 'pod',
  });
  return modes;
}
