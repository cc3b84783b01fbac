// Runs controllers in the test process against a test's API server, the way
// `netkube apiserver` runs its controller manager (controllers/manager.ts),
// until `signal` aborts. Log lines go to `logs` for failure messages.
import type { Controller } from '../../controllers/controller-context.js';
import { runControllerManager } from '../../controllers/manager.js';
import type { KubeClient } from '../../kube/client.js';

export async function runControllers(client: KubeClient, controllers: readonly Controller[], signal: AbortSignal, logs: string[]): Promise<void> {
  const running = await runControllerManager(client, controllers, (m) => logs.push(m));
  if (signal.aborted) await running.stop();
  else signal.addEventListener('abort', () => void running.stop(), { once: true });
}
