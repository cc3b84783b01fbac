#!/usr/bin/env node
// The `netkube` executable: the compiled CLI lives in dist/ (npm run build).
import { main } from '../dist/lab/cli.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`netkube: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
