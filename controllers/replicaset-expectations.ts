// Kubernetes' ControllerExpectations: after a controller creates or deletes
// pods it expects to see those changes in its informer cache before it
// trusts the cache again. Until then (or until the expectation expires) it
// must not compute a new diff, or a lagging watch would make it create the
// same replicas twice.

interface Expectation {
  adds: number;
  /** Keys ("ns/name") of pods whose deletion has not been observed yet. */
  deletes: Set<string>;
  at: number;
}

export class Expectations {
  private readonly byController = new Map<string, Expectation>();

  constructor(
    private readonly ttlMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Record the creations and deletions a controller is about to issue (before issuing them). */
  expect(controllerKey: string, adds: number, deletes: readonly string[] = []): void {
    this.byController.set(controllerKey, { adds, deletes: new Set(deletes), at: this.now() });
  }

  /** A pod the controller created showed up in the cache (or its creation failed). */
  creationObserved(controllerKey: string): void {
    const e = this.byController.get(controllerKey);
    if (e && e.adds > 0) e.adds--;
  }

  /** A pod the controller deleted left the cache, was marked for deletion, or its deletion failed. */
  deletionObserved(controllerKey: string, podKey: string): void {
    this.byController.get(controllerKey)?.deletes.delete(podKey);
  }

  /** True when the cache reflects every write the controller made, or the wait has gone on too long to trust. */
  satisfied(controllerKey: string): boolean {
    const e = this.byController.get(controllerKey);
    if (!e) return true;
    if ((e.adds <= 0 && e.deletes.size === 0) || this.now() - e.at > this.ttlMs) {
      this.byController.delete(controllerKey);
      return true;
    }
    return false;
  }

  forget(controllerKey: string): void {
    this.byController.delete(controllerKey);
  }
}
