#!/usr/bin/env node
// The `netkube-cni` CNI plugin executable (also installed as `netkube-ipam`):
// the compiled plugin lives in dist/ (npm run build).
import { main } from '../dist/cni/main.js';

main().then(
  (code) => { process.exitCode = code; },
  (err) => {
    // Only a bug reaches here; the plugin prints CNI error JSON itself.
    process.stdout.write(`${JSON.stringify({ cniVersion: '1.1.0', code: 999, msg: err instanceof Error ? err.message : String(err) })}\n`);
    process.exitCode = 1;
  },
);
