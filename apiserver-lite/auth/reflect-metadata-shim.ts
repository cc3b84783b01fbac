/**
 * @peculiar/x509 depends on tsyringe, which refuses to load unless a Reflect
 * metadata API exists (`reflect-metadata` is normally imported by the
 * application for that). The project does not ship that package, and tsyringe
 * only stores and reads plain metadata values here (no decorator metadata is
 * emitted by the x509 build), so this defines the three functions it calls,
 * backed by a WeakMap, and only when nothing else provided them.
 *
 * Import this module before '@peculiar/x509' (ESM evaluates imports in order).
 * If the project adds `reflect-metadata` as a dependency, import that instead
 * and delete this file.
 */

type MetadataTarget = object;
type MetadataMap = Map<unknown, unknown>;

interface ReflectMetadataApi {
  getMetadata?: (key: unknown, target: MetadataTarget) => unknown;
  getOwnMetadata?: (key: unknown, target: MetadataTarget) => unknown;
  defineMetadata?: (key: unknown, value: unknown, target: MetadataTarget) => void;
}

const reflect = Reflect as typeof Reflect & ReflectMetadataApi;

if (typeof reflect.getMetadata !== 'function') {
  const store = new WeakMap<MetadataTarget, MetadataMap>();

  const own = (target: MetadataTarget): MetadataMap | undefined => store.get(target);

  reflect.defineMetadata = (key, value, target) => {
    let map = own(target);
    if (map === undefined) {
      map = new Map();
      store.set(target, map);
    }
    map.set(key, value);
  };
  reflect.getOwnMetadata = (key, target) => own(target)?.get(key);
  // Like reflect-metadata: look along the prototype chain.
  reflect.getMetadata = (key, target) => {
    for (let t: MetadataTarget | null = target; t !== null; t = Object.getPrototypeOf(t) as MetadataTarget | null) {
      const map = own(t);
      if (map?.has(key)) return map.get(key);
    }
    return undefined;
  };
}

export {};
