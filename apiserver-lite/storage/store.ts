// The storage interface of apiserver-lite: narrow and etcd-shaped, so an etcd
// backend can replace the embedded ones without touching the API layer.
//
// Keys are opaque strings ("/registry/<group>/<resource>/<namespace>/<name>");
// values are the JSON text of the object as stored. Every successful write gets
// the next value of one global revision counter (etcd's "revision"), which the
// API layer exposes as metadata.resourceVersion.

export interface KeyValue {
  readonly key: string;
  readonly value: string;
  /** Revision at which the key was created (etcd create_revision). */
  readonly createRevision: number;
  /** Revision of the last write to the key (etcd mod_revision). */
  readonly modRevision: number;
}

export interface StoreEvent {
  readonly type: 'put' | 'delete';
  /** For put: the new key-value. For delete: the value it had, with modRevision = the deletion revision. */
  readonly kv: KeyValue;
  /** The value before this event (absent for a create). */
  readonly prevKv?: KeyValue;
  /** The revision of this event (= kv.modRevision). */
  readonly revision: number;
}

export interface ListOptions {
  /** Read as of this revision (0/undefined = latest). Fails with CompactedError when older than the compacted revision. */
  readonly revision?: number;
  /** At most this many items (0/undefined = all). */
  readonly limit?: number;
  /** Start at this key (inclusive); used for `continue` tokens. */
  readonly startKey?: string;
}

export interface ListResult {
  readonly items: readonly KeyValue[];
  /** The revision the list was read at. */
  readonly revision: number;
  /** True when `limit` cut the list short. */
  readonly more: boolean;
  /** Items after the last returned one (only counted when `more`). */
  readonly remaining: number;
}

export type StoreEventHandler = (events: readonly StoreEvent[]) => void;

export interface Store {
  readonly backend: 'memory' | 'sqlite' | 'etcd';
  /** The newest revision written (0 for an empty store). */
  currentRevision(): Promise<number>;
  /** The oldest revision still readable / watchable from (events after it are kept). */
  compactedRevision(): Promise<number>;
  get(key: string): Promise<KeyValue | undefined>;
  /** Keys that start with prefix, sorted by key. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Create; fails with KeyExistsError when the key exists. */
  create(key: string, value: string): Promise<KeyValue>;
  /**
   * Replace the value when the key's modRevision equals expectedModRevision
   * (compare-and-swap). Fails with NotFoundError or RevisionConflictError.
   */
  update(key: string, value: string, expectedModRevision: number): Promise<KeyValue>;
  /**
   * Delete, optionally only at expectedModRevision. Returns the deleted
   * key-value with modRevision set to the deletion's revision.
   */
  delete(key: string, expectedModRevision?: number): Promise<KeyValue>;
  /**
   * Deliver every event on keys under prefix with revision > fromRevision, in
   * revision order: first the stored history, then live events as they are
   * committed. Fails with CompactedError when fromRevision < compactedRevision.
   * Events of one write transaction arrive in one handler call.
   */
  watch(prefix: string, fromRevision: number, handler: StoreEventHandler): Promise<() => void>;
  /** Forget history up to and including revision. */
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
}

export class StoreError extends Error {}

export class KeyExistsError extends StoreError {
  constructor(readonly key: string) {
    super(`key ${key} already exists`);
  }
}

export class NotFoundError extends StoreError {
  constructor(readonly key: string) {
    super(`key ${key} not found`);
  }
}

export class RevisionConflictError extends StoreError {
  constructor(
    readonly key: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`key ${key} is at revision ${actual}, not ${expected}`);
  }
}

export class CompactedError extends StoreError {
  constructor(
    readonly requested: number,
    readonly compacted: number,
  ) {
    super(`revision ${requested} has been compacted (oldest available after ${compacted})`);
  }
}
