// Undo steps for ADD: each step that creates something pushes how to remove
// it; on failure the stack unwinds newest first, so nothing is left half-built.

export class UndoStack {
  private readonly steps: { what: string; undo: () => Promise<void> }[] = [];

  push(what: string, undo: () => Promise<void>): void {
    this.steps.push({ what, undo });
  }

  /** Forget the steps: the operation succeeded and keeps what it built. */
  commit(): void {
    this.steps.length = 0;
  }

  /**
   * Runs every undo, newest first. An undo that fails does not stop the
   * others; the failures are returned so the caller can mention them next to
   * the error that caused the unwind.
   */
  async unwind(): Promise<string[]> {
    const failures: string[] = [];
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await step.undo();
      } catch (err) {
        failures.push(`undo ${step.what}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return failures;
  }

  /** Runs `fn` with this stack; on a throw, unwinds and rethrows the original error. */
  async run<T>(fn: (undo: UndoStack) => Promise<T>): Promise<T> {
    try {
      const out = await fn(this);
      this.commit();
      return out;
    } catch (err) {
      const failures = await this.unwind();
      if (failures.length > 0 && err instanceof Error) {
        err.message += ` (cleanup also failed: ${failures.join('; ')})`;
      }
      throw err;
    }
  }
}
