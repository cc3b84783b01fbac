// Picks the storage backend for `netkube apiserver --store KIND --data-dir DIR`.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryStore } from './memory-store.js';
import { SqliteStore } from './sqlite-store.js';
import { StoreError, type Store } from './store.js';

export type StoreKind = 'memory' | 'sqlite' | 'etcd';

export const STORE_KINDS: readonly StoreKind[] = ['sqlite', 'memory', 'etcd'];

/** The SQLite file inside the data directory. */
export const SQLITE_FILE_NAME = 'netkube.db';

/**
 * Opens the store of the given kind. The SQLite store lives at
 * `<dataDir>/netkube.db` (the directory is created if missing); the memory
 * store ignores dataDir and forgets everything when the process exits.
 */
export function openStore(kind: StoreKind, dataDir: string): Store {
  switch (kind) {
    case 'memory':
      return new MemoryStore();
    case 'sqlite':
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      return SqliteStore.open(join(dataDir, SQLITE_FILE_NAME));
    case 'etcd':
      // Planned: a Store over etcd's KV and Watch APIs that passes store-conformance.ts.
      throw new StoreError('--store etcd is not implemented yet; use --store sqlite (the default) or --store memory');
    default: {
      const unknown: never = kind;
      throw new StoreError(`unknown store kind ${JSON.stringify(unknown)}; expected one of ${STORE_KINDS.join(', ')}`);
    }
  }
}

export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export * from './store.js';
