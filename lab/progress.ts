// Progress for long commands: a line per finished step with its time, and on
// a terminal a spinner on the step in progress.
export interface Progress {
  /** Runs one step; prints "✓ title (1.2s)" or "✗ title (…)" when it ends. `detail` may refine the title. */
  step<T>(title: string, fn: (setDetail: (d: string) => void) => Promise<T>): Promise<T>;
  /** A line of its own (a warning, a note). */
  note(line: string): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

export function createProgress(out: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean } = process.stdout, now: () => number = Date.now): Progress {
  const tty = Boolean((out as { isTTY?: boolean }).isTTY);
  return {
    async step(title, fn) {
      const t0 = now();
      let detail = '';
      let frame = 0;
      const line = (): string => `${title}${detail ? `: ${detail}` : ''}`;
      const timer = tty
        ? setInterval(() => {
            out.write(`\r\x1b[K${FRAMES[frame++ % FRAMES.length]} ${line()} ${formatSeconds(now() - t0)}`);
          }, 80)
        : undefined;
      try {
        const v = await fn((d) => (detail = d));
        if (timer) clearInterval(timer);
        out.write(`${tty ? '\r\x1b[K' : ''}✓ ${line()} (${formatSeconds(now() - t0)})\n`);
        return v;
      } catch (e) {
        if (timer) clearInterval(timer);
        out.write(`${tty ? '\r\x1b[K' : ''}✗ ${line()} (${formatSeconds(now() - t0)})\n`);
        throw e;
      }
    },
    note(l) {
      out.write(`${l}\n`);
    },
  };
}
