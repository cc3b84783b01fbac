// Keeps the (size, time) index that gives log lines their timestamps (see
// log-read.ts): while a container runs, each growth of its log file that the
// agent notices is appended as "<size> <ms>". Output written while the agent
// is down gets the time the agent next sees it.
import { appendFile, stat } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';

export function watchLogSizes(file: string, indexFile: string, onError: (m: string) => void): () => void {
  let last = -1;
  let busy = false;
  let again = false;
  const check = async (): Promise<void> => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      do {
        again = false;
        const { size } = await stat(file);
        if (size > last) {
          last = size;
          await appendFile(indexFile, `${size} ${Date.now()}\n`);
        }
      } while (again);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') onError(`log index ${file}: ${(e as Error).message}`);
    } finally {
      busy = false;
    }
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(file, { persistent: false }, () => void check());
    watcher.on('error', () => undefined);
  } catch (e) {
    onError(`log index ${file}: ${(e as Error).message}`);
  }
  void check();
  return () => {
    watcher?.close();
    void check();
  };
}
