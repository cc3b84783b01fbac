import { defineConfig } from 'vitest/config';

// Two projects: `unit` tests sit beside the code and need no root, network or
// child processes; `integration` tests in test/ start real processes, real
// clients and (as root) real network namespaces.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{apiserver-lite,controllers,kube,proxy,dns,cni,overlay,node,lab,demo,sidecar}/**/*.test.ts'],
          exclude: ['**/node_modules/**', 'dist/**'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['**/node_modules/**', 'dist/**'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Integration suites share host resources (ports, namespaces): run files one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
