// The built-in image `netkube/lb-sidecar`: a client-side load balancer run as
// a second container of a pod (same network namespace). The app sends plain
// HTTP to 127.0.0.1:15001; the sidecar watches the target Service's
// EndpointSlices and sends each request straight to a ready pod IP. In a pod
// it reaches the API server through in-cluster config (the service-account
// token the node agent mounts); outside one, --kubeconfig. Flags: sidecar/options.ts.
import { parseSidecarArgs, USAGE, UsageError } from '../../sidecar/options.js';
import { runSidecar } from '../../sidecar/run.js';

try {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
  } else {
    const sidecar = await runSidecar(parseSidecarArgs(args));
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      process.once(sig, () => {
        process.stdout.write(`lb-sidecar: ${sig}, shutting down\n`);
        void sidecar.close().finally(() => process.exit(0));
      });
    }
  }
} catch (e) {
  process.stderr.write(`lb-sidecar: ${e instanceof Error ? e.message : String(e)}\n`);
  if (e instanceof UsageError) process.stderr.write(`${USAGE}\n`);
  process.exitCode = e instanceof UsageError ? 2 : 1;
}
