// The real kubectl (v1.32, /usr/bin/kubectl) against the real `netkube
// apiserver` process: what a user types, and what they see, including errors.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { TokenRegistry } from '../apiserver-lite/auth/tokens.js';
import { GROUP_READ_ONLY } from '../apiserver-lite/auth/user-info.js';
import {
  cleanup,
  eventually,
  kubeconfigWithToken,
  kubectlFor,
  makeTempDir,
  startApiServer,
  type ApiServerProcess,
  type Kubectl,
  type KubectlResult,
} from './support/apiserver-process.js';

interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  nodePort?: number;
}
interface ServiceJson {
  metadata: { name: string; resourceVersion: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { clusterIP: string; ports: ServicePort[]; selector?: Record<string, string>; type: string };
}

let server: ApiServerProcess;
let kubectl: Kubectl;
let readOnlyToken: string;

/** Fails with kubectl's own output, which is what a person debugging this needs. */
function ok(r: KubectlResult): string {
  expect(r.code, `kubectl failed:\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
  return r.stdout;
}

async function getJson<T>(args: string[]): Promise<T> {
  return JSON.parse(ok(await kubectl(['get', ...args, '-o', 'json']))) as T;
}

/** A namespace per test, made with `apply -f` (generator commands like `create namespace` send protobuf). */
async function namespace(name: string): Promise<string> {
  ok(await kubectl(['apply', '-f', '-'], { input: `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n` }));
  return name;
}

function serviceYaml(ns: string, name: string, extra: { ports?: string; type?: string; labels?: string } = {}): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${ns}
  labels: ${extra.labels ?? '{app: web, tier: front}'}
spec:
  type: ${extra.type ?? 'ClusterIP'}
  selector: {app: web}
  ports: ${extra.ports ?? '[{name: http, port: 80, targetPort: 8080}, {name: https, port: 443, targetPort: 8443}]'}
`;
}

beforeAll(async () => {
  const dataDir = await makeTempDir('netkube-kubectl-');
  // Static tokens are read at server start: mint the read-only one first.
  const tokens = await TokenRegistry.open(dataDir);
  readOnlyToken = await tokens.issueToken({ name: 'viewer', groups: [GROUP_READ_ONLY] });
  server = await startApiServer({ dataDir, store: 'sqlite' });
  kubectl = kubectlFor(server);
});
afterAll(cleanup);

describe('discovery and cluster basics', () => {
  it('api-resources lists the resources with their short names and kinds', async () => {
    const out = ok(await kubectl(['api-resources', '--no-headers']));
    const rows = out.trim().split('\n').map((l) => l.trim().split(/\s+/));
    const row = (name: string) => rows.find((r) => r[0] === name);
    expect(row('services')).toEqual(['services', 'svc', 'v1', 'true', 'Service']);
    expect(row('namespaces')).toEqual(['namespaces', 'ns', 'v1', 'false', 'Namespace']);
    expect(row('pods')).toEqual(['pods', 'po', 'v1', 'true', 'Pod']);
    expect(row('endpointslices')).toEqual(['endpointslices', 'discovery.k8s.io/v1', 'true', 'EndpointSlice']);
    expect(row('deployments')).toEqual(['deployments', 'deploy', 'apps/v1', 'true', 'Deployment']);
    expect(row('replicasets')).toEqual(['replicasets', 'rs', 'apps/v1', 'true', 'ReplicaSet']);
  });

  it('api-versions and version', async () => {
    const versions = ok(await kubectl(['api-versions'])).trim().split('\n');
    expect(versions).toEqual(expect.arrayContaining(['v1', 'apps/v1', 'discovery.k8s.io/v1', 'coordination.k8s.io/v1']));
    const v = JSON.parse(ok(await kubectl(['version', '-o', 'json']))) as { serverVersion?: { major: string; minor: string; gitVersion: string } };
    expect(v.serverVersion?.major).toBe('1');
    expect(v.serverVersion?.gitVersion).toMatch(/^v1\.\d+\.\d+/);
  });

  it('the kubernetes Service exists in default with ClusterIP 10.96.0.1 and the default namespaces exist', async () => {
    const out = ok(await kubectl(['get', 'svc', 'kubernetes', '-n', 'default']));
    expect(out).toMatch(/^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\n/);
    expect(out).toMatch(/\nkubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP\s+\S+\n/);
    const ns = ok(await kubectl(['get', 'ns', '-o', 'name'])).trim().split('\n');
    expect(ns).toEqual(expect.arrayContaining(['namespace/default', 'namespace/kube-system', 'namespace/kube-public', 'namespace/kube-node-lease']));
  });
});

describe('get', () => {
  let ns: string;
  beforeAll(async () => {
    ns = await namespace('get-test');
    ok(await kubectl(['apply', '-f', '-'], { input: serviceYaml(ns, 'web') }));
    ok(await kubectl(['apply', '-f', '-'], { input: serviceYaml(ns, 'db', { labels: '{app: db, tier: back}', ports: '[{port: 5432}]' }) }));
  });

  it('prints the default table, yaml, json and wide', async () => {
    const table = ok(await kubectl(['get', 'svc', '-n', ns]));
    const lines = table.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['db', 'web']);
    expect(table).toMatch(/\nweb\s+ClusterIP\s+10\.\d+\.\d+\.\d+\s+<none>\s+80\/TCP,443\/TCP\s+\d+s/);

    const y = parseYaml(ok(await kubectl(['get', 'svc', 'web', '-n', ns, '-o', 'yaml']))) as ServiceJson & { kind: string; apiVersion: string };
    expect(y.kind).toBe('Service');
    expect(y.apiVersion).toBe('v1');
    expect(y.spec.ports.map((p) => p.port)).toEqual([80, 443]);
    const j = await getJson<ServiceJson>(['svc', 'web', '-n', ns]);
    expect(j.spec.clusterIP).toBe(y.spec.clusterIP);

    const wide = ok(await kubectl(['get', 'svc', '-n', ns, '-o', 'wide']));
    expect(wide.split('\n')[0]).toMatch(/\sSELECTOR$/);
    expect(wide).toMatch(/\nweb\s+.*\sapp=web\n/);
  });

  it('--show-labels and label selectors (equality and set-based)', async () => {
    const shown = ok(await kubectl(['get', 'svc', '-n', ns, '--show-labels']));
    expect(shown).toMatch(/\nweb\s+.*\sapp=web,tier=front\n/);
    const names = async (...args: string[]) => ok(await kubectl(['get', 'svc', '-n', ns, '-o', 'name', ...args])).trim().split('\n').filter(Boolean);
    expect(await names('-l', 'app=web')).toEqual(['service/web']);
    expect(await names('-l', 'tier!=front')).toEqual(['service/db']);
    expect(await names('-l', 'tier in (front,back)')).toEqual(['service/db', 'service/web']);
    expect(await names('-l', 'app notin (web)')).toEqual(['service/db']);
    expect(await names('-l', 'app,!missing')).toEqual(['service/db', 'service/web']);
    const none = await kubectl(['get', 'svc', '-n', ns, '-l', 'app=nothing']);
    expect(none.code).toBe(0);
    expect(none.stderr).toContain(`No resources found in ${ns} namespace.`);
  });

  it('--field-selector on metadata.name and metadata.namespace', async () => {
    expect(ok(await kubectl(['get', 'svc', '-A', '-o', 'name', '--field-selector', 'metadata.name=db']))).toBe('service/db\n');
    const inNs = ok(await kubectl(['get', 'svc', '-A', '-o', 'name', '--field-selector', `metadata.namespace=${ns}`]));
    expect(inNs.trim().split('\n')).toEqual(['service/db', 'service/web']);
    const bad = await kubectl(['get', 'svc', '-n', ns, '--field-selector', 'spec.bogus=1']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('BadRequest');
  });

  it('NodePort Services show their allocated node port', async () => {
    ok(await kubectl(['apply', '-f', '-'], { input: serviceYaml(ns, 'np', { type: 'NodePort', ports: '[{port: 80}]' }) }));
    const s = await getJson<ServiceJson>(['svc', 'np', '-n', ns]);
    const nodePort = s.spec.ports[0]!.nodePort!;
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    expect(nodePort).toBeLessThanOrEqual(32767);
    expect(ok(await kubectl(['get', 'svc', 'np', '-n', ns]))).toMatch(new RegExp(`\\nnp\\s+NodePort\\s+\\S+\\s+<none>\\s+80:${nodePort}/TCP\\s`));
  });
});

describe('pods and nodes', () => {
  it('get pods -o wide shows the node; field selectors on spec.nodeName and status.phase; a bound pod terminates gracefully', async () => {
    const ns = await namespace('pods-test');
    const pods = ['bound', 'free']
      .map((n) => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${n}, namespace: ${ns}}\nspec:\n${n === 'bound' ? '  nodeName: node-a\n' : ''}  containers: [{name: c, image: busybox}]\n`)
      .join('---\n');
    ok(await kubectl(['apply', '-f', '-'], { input: `apiVersion: v1\nkind: Node\nmetadata: {name: node-a}\n---\n${pods}` }));
    const wide = ok(await kubectl(['get', 'pods', '-n', ns, '-o', 'wide']));
    expect(wide.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s/);
    expect(wide).toMatch(/\nbound\s+0\/1\s+Pending\s+0\s+\S+\s+<none>\s+node-a\s/);
    const names = async (sel: string) => ok(await kubectl(['get', 'pods', '-n', ns, '-o', 'name', '--field-selector', sel])).trim().split('\n').filter(Boolean);
    expect(await names('spec.nodeName=node-a')).toEqual(['pod/bound']);
    expect(await names('spec.nodeName=')).toEqual(['pod/free']);
    expect(await names('status.phase=Pending')).toEqual(['pod/bound', 'pod/free']);
    expect(await names('status.phase!=Pending')).toEqual([]);
    expect(ok(await kubectl(['get', 'nodes', 'node-a', '-o', 'name']))).toBe('node/node-a\n');

    // No node agent runs here: the bound pod stays, marked for deletion, until its grace period is forced.
    ok(await kubectl(['delete', 'pod', 'bound', '-n', ns, '--wait=false']));
    const marked = await getJson<{ metadata: { deletionTimestamp?: string; deletionGracePeriodSeconds?: number } }>(['pod', 'bound', '-n', ns]);
    expect(marked.metadata.deletionTimestamp).toBeTruthy();
    expect(marked.metadata.deletionGracePeriodSeconds).toBe(30);
    expect(ok(await kubectl(['get', 'pod', 'bound', '-n', ns]))).toMatch(/\nbound\s+0\/1\s+Terminating\s/);
    ok(await kubectl(['delete', 'pod', 'bound', '-n', ns, '--grace-period=0', '--force']));
    expect((await kubectl(['get', 'pod', 'bound', '-n', ns])).stderr).toContain('NotFound');
  });

  it('lists in chunks (--chunk-size) return everything', async () => {
    const all = ok(await kubectl(['get', 'ns', '-o', 'name']));
    expect(ok(await kubectl(['get', 'ns', '-o', 'name', '--chunk-size=1']))).toBe(all);
  });
});

describe('get -w', () => {
  it('prints the current rows, then a line per change', async () => {
    const ns = await namespace('watch-test');
    ok(await kubectl(['apply', '-f', '-'], { input: serviceYaml(ns, 'first') }));
    const w = kubectl.spawn(['get', 'svc', '-n', ns, '-w', '--output-watch-events']);
    try {
      await w.waitFor((o) => /ADDED\s+first\s+ClusterIP/.test(o));
      ok(await kubectl(['apply', '-f', '-'], { input: serviceYaml(ns, 'second') }));
      await w.waitFor((o) => /ADDED\s+second\s+ClusterIP/.test(o));
      ok(await kubectl(['label', 'svc', 'second', '-n', ns, 'changed=yes']));
      await w.waitFor((o) => /MODIFIED\s+second\s+ClusterIP/.test(o));
      ok(await kubectl(['delete', 'svc', 'first', '-n', ns]));
      const out = await w.waitFor((o) => /DELETED\s+first\s+ClusterIP/.test(o));
      const events = out.trim().split('\n').slice(1).map((l) => l.split(/\s+/).slice(0, 2).join(' '));
      expect(events).toEqual(['ADDED first', 'ADDED second', 'MODIFIED second', 'DELETED first']);
    } finally {
      await w.kill();
    }
  });
});

describe('apply, create, replace', () => {
  it('apply creates, then re-applying a changed manifest merges into the stored object', async () => {
    const ns = await namespace('apply-test');
    expect(ok(await kubectl(['apply', '-f', '-'], { input: serviceYaml(ns, 'web') }))).toBe('service/web created\n');
    const before = await getJson<ServiceJson>(['svc', 'web', '-n', ns]);
    // Something else (not in the manifest) changes the live object: apply must keep it.
    ok(await kubectl(['label', 'svc', 'web', '-n', ns, 'owner=ops']));

    const changed = serviceYaml(ns, 'web', { ports: '[{name: http, port: 81, targetPort: 8080}]' });
    expect(ok(await kubectl(['apply', '-f', '-'], { input: changed }))).toBe('service/web configured\n');
    const after = await getJson<ServiceJson>(['svc', 'web', '-n', ns]);
    expect(after.spec.ports).toEqual([{ name: 'http', port: 81, targetPort: 8080, protocol: 'TCP' }]);
    expect(after.spec.clusterIP).toBe(before.spec.clusterIP);
    expect(after.metadata.labels).toEqual({ app: 'web', tier: 'front', owner: 'ops' });
    const lastApplied = JSON.parse(after.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'] ?? '{}') as ServiceJson;
    expect(lastApplied.spec.ports).toEqual([{ name: 'http', port: 81, targetPort: 8080 }]);

    expect(ok(await kubectl(['apply', '-f', '-'], { input: changed }))).toBe('service/web unchanged\n');
    const again = await getJson<ServiceJson>(['svc', 'web', '-n', ns]);
    expect(again.metadata.resourceVersion).toBe(after.metadata.resourceVersion);
  });

  it('create makes an object and a second create is AlreadyExists', async () => {
    const ns = await namespace('create-test');
    expect(ok(await kubectl(['create', '-f', '-'], { input: serviceYaml(ns, 'c') }))).toBe('service/c created\n');
    const again = await kubectl(['create', '-f', '-'], { input: serviceYaml(ns, 'c') });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('Error from server (AlreadyExists)');
    expect(again.stderr).toContain('services "c" already exists');
  });

  it('replace writes the whole object; a stale resourceVersion is a Conflict', async () => {
    const ns = await namespace('replace-test');
    ok(await kubectl(['create', '-f', '-'], { input: serviceYaml(ns, 'r') }));
    const stale = await getJson<ServiceJson & Record<string, unknown>>(['svc', 'r', '-n', ns]);

    // An edit-style PUT of the current object succeeds.
    const current = { ...stale, metadata: { ...stale.metadata, labels: { app: 'web', edited: 'yes' } } };
    expect(ok(await kubectl(['replace', '-f', '-'], { input: JSON.stringify(current) }))).toBe('service/r replaced\n');
    const replaced = await getJson<ServiceJson>(['svc', 'r', '-n', ns]);
    expect(replaced.metadata.labels).toEqual({ app: 'web', edited: 'yes' });
    expect(Number(replaced.metadata.resourceVersion)).toBeGreaterThan(Number(stale.metadata.resourceVersion));

    // The same PUT again carries the old resourceVersion.
    const conflict = await kubectl(['replace', '-f', '-'], { input: JSON.stringify({ ...current, metadata: { ...current.metadata, labels: { x: 'y' } } }) });
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('Error from server (Conflict)');
    expect(conflict.stderr).toContain('Operation cannot be fulfilled on services "r": the object has been modified; please apply your changes to the latest version and try again');
    expect((await getJson<ServiceJson>(['svc', 'r', '-n', ns])).metadata.labels).toEqual({ app: 'web', edited: 'yes' });
  });
});

describe('edit and dry run', () => {
  it('kubectl edit writes what the editor changed', async () => {
    const ns = await namespace('edit-test');
    ok(await kubectl(['create', '-f', '-'], { input: serviceYaml(ns, 'e') }));
    // The "editor" is a script changing the https port's targetPort in place.
    const editor = join(server.dataDir, 'editor.sh');
    await writeFile(editor, `#!/bin/sh\nsed -i 's/targetPort: 8443/targetPort: 9443/' "$1"\n`, { mode: 0o755 });
    const r = await kubectl(['edit', 'svc', 'e', '-n', ns], { env: { EDITOR: editor, KUBE_EDITOR: '' } });
    expect(r.stdout, r.stderr).toBe('service/e edited\n');
    const s = await getJson<ServiceJson>(['svc', 'e', '-n', ns]);
    expect(s.spec.ports.map((p) => p.targetPort)).toEqual([8080, 9443]);
  });

  it('--dry-run=server validates and answers without writing', async () => {
    const ns = await namespace('dryrun-test');
    expect(ok(await kubectl(['create', '-f', '-', '--dry-run=server'], { input: serviceYaml(ns, 'dry') }))).toBe('service/dry created (server dry run)\n');
    expect((await kubectl(['get', 'svc', 'dry', '-n', ns])).stderr).toContain('NotFound');
    ok(await kubectl(['create', '-f', '-'], { input: serviceYaml(ns, 'dry') }));
    expect(ok(await kubectl(['delete', 'svc', 'dry', '-n', ns, '--dry-run=server']))).toBe('service "dry" deleted (server dry run)\n');
    ok(await kubectl(['get', 'svc', 'dry', '-n', ns]));
  });
});

describe('label, annotate, patch', () => {
  let ns: string;
  beforeAll(async () => {
    ns = await namespace('patch-test');
    ok(await kubectl(['create', '-f', '-'], { input: serviceYaml(ns, 'p') }));
  });

  it('label and annotate add, overwrite and remove keys', async () => {
    expect(ok(await kubectl(['label', 'svc', 'p', '-n', ns, 'env=prod']))).toBe('service/p labeled\n');
    const clash = await kubectl(['label', 'svc', 'p', '-n', ns, 'env=dev']);
    expect(clash.code).not.toBe(0);
    expect(clash.stderr).toContain("'env' already has a value (prod)");
    ok(await kubectl(['label', 'svc', 'p', '-n', ns, 'env=dev', '--overwrite']));
    ok(await kubectl(['label', 'svc', 'p', '-n', ns, 'tier-']));
    expect(ok(await kubectl(['annotate', 'svc', 'p', '-n', ns, 'note=hello world']))).toBe('service/p annotated\n');
    const s = await getJson<ServiceJson>(['svc', 'p', '-n', ns]);
    expect(s.metadata.labels).toEqual({ app: 'web', env: 'dev' });
    expect(s.metadata.annotations?.note).toBe('hello world');
  });

  it('strategic merge patch (the default) merges Service ports by port', async () => {
    ok(await kubectl(['patch', 'svc', 'p', '-n', ns, '-p', '{"spec":{"ports":[{"port":443,"targetPort":9443}]}}']));
    const s = await getJson<ServiceJson>(['svc', 'p', '-n', ns]);
    expect(s.spec.ports.map((p) => [p.name, p.port, p.targetPort])).toEqual([
      ['http', 80, 8080],
      ['https', 443, 9443],
    ]);
  });

  it('strategic $patch: delete removes one port', async () => {
    ok(await kubectl(['patch', 'svc', 'p', '-n', ns, '-p', '{"spec":{"ports":[{"port":443,"$patch":"delete"}]}}']));
    expect((await getJson<ServiceJson>(['svc', 'p', '-n', ns])).spec.ports.map((p) => p.port)).toEqual([80]);
  });

  it('--type merge replaces lists and removes keys set to null', async () => {
    ok(await kubectl(['patch', 'svc', 'p', '-n', ns, '--type', 'merge', '-p', '{"metadata":{"labels":{"env":null,"m":"1"}},"spec":{"ports":[{"name":"x","port":90}]}}']));
    const s = await getJson<ServiceJson>(['svc', 'p', '-n', ns]);
    expect(s.metadata.labels).toEqual({ app: 'web', m: '1' });
    expect(s.spec.ports).toEqual([{ name: 'x', port: 90, protocol: 'TCP', targetPort: 90 }]);
  });

  it('--type json applies operations, and a failing test op changes nothing', async () => {
    ok(await kubectl(['patch', 'svc', 'p', '-n', ns, '--type', 'json', '-p', '[{"op":"add","path":"/metadata/labels/j","value":"2"},{"op":"replace","path":"/spec/ports/0/port","value":91}]']));
    const s = await getJson<ServiceJson>(['svc', 'p', '-n', ns]);
    expect(s.metadata.labels?.j).toBe('2');
    expect(s.spec.ports[0]!.port).toBe(91);
    const failed = await kubectl(['patch', 'svc', 'p', '-n', ns, '--type', 'json', '-p', '[{"op":"add","path":"/metadata/labels/k","value":"3"},{"op":"test","path":"/spec/type","value":"NodePort"}]']);
    expect(failed.code).not.toBe(0);
    expect((await getJson<ServiceJson>(['svc', 'p', '-n', ns])).metadata.labels?.k).toBeUndefined();
  });

  it('a patch that makes the object invalid is rejected with the field error', async () => {
    const r = await kubectl(['patch', 'svc', 'p', '-n', ns, '--type', 'merge', '-p', '{"spec":{"clusterIP":"10.96.99.99"}}']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('The Service "p" is invalid: spec.clusterIPs[0]: Invalid value:');
  });
});

describe('delete', () => {
  it('deletes a Service; a second delete is NotFound', async () => {
    const ns = await namespace('delete-test');
    ok(await kubectl(['create', '-f', '-'], { input: serviceYaml(ns, 'd') }));
    expect(ok(await kubectl(['delete', 'svc', 'd', '-n', ns]))).toBe('service "d" deleted\n');
    const again = await kubectl(['delete', 'svc', 'd', '-n', ns]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('Error from server (NotFound): services "d" not found\n');
  });

  it('deleting a namespace deletes what is in it, then the namespace', async () => {
    const ns = await namespace('doomed');
    ok(await kubectl(['apply', '-f', '-'], { input: serviceYaml(ns, 'a') + '---\n' + serviceYaml(ns, 'b', { type: 'NodePort' }) }));
    const r = await kubectl(['delete', 'namespace', ns, '--timeout=20s']);
    expect(r.stdout).toBe(`namespace "${ns}" deleted\n`);
    await eventually(async () => (await kubectl(['get', 'ns', ns])).stderr.includes('NotFound'), `namespace ${ns} to disappear`);
    expect(ok(await kubectl(['get', 'svc', '-A', '-o', 'name', '--field-selector', `metadata.namespace=${ns}`]))).toBe('');
    // The same names can be used again, in a new namespace of the same name.
    await namespace(ns);
    ok(await kubectl(['apply', '-f', '-'], { input: serviceYaml(ns, 'b', { type: 'NodePort' }) }));
  });

  it('the built-in namespaces cannot be deleted', async () => {
    const r = await kubectl(['delete', 'namespace', 'kube-system']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error from server (Forbidden)');
  });
});

describe('events', () => {
  it('get events shows Events written through the API', async () => {
    const ns = await namespace('events-test');
    const ev = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web.1', namespace: ns },
      involvedObject: { kind: 'Service', name: 'web', namespace: ns, apiVersion: 'v1' },
      reason: 'Synced',
      message: 'endpoints updated',
      type: 'Normal',
      source: { component: 'test' },
      count: 1,
      firstTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      lastTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    ok(await kubectl(['create', '-f', '-'], { input: JSON.stringify(ev) }));
    const out = ok(await kubectl(['get', 'events', '-n', ns]));
    expect(out).toMatch(/Normal\s+Synced\s+service\/web\s+endpoints updated/);
  });
});

describe('errors as users see them', () => {
  it('an invalid Service names the field and the rule', async () => {
    const ns = await namespace('invalid-test');
    const bad = `apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n  namespace: ${ns}\nspec:\n  ports: [{port: 0}]\n`;
    for (const verb of ['apply', 'create']) {
      const r = await kubectl([verb, '-f', '-'], { input: bad });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('The Service "x" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive');
    }
  });

  it('get of a missing object is NotFound', async () => {
    const r = await kubectl(['get', 'svc', 'nope', '-n', 'default']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error from server (NotFound): services "nope" not found\n');
  });

  it('a wrong token is Unauthorized', async () => {
    const kc = await kubeconfigWithToken(server, 'not-a-valid-token', 'wrong');
    const r = await kubectl(['get', 'svc'], { kubeconfig: kc });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: You must be logged in to the server (Unauthorized)');
  });

  it('a read-only token can read but not create', async () => {
    const kc = await kubeconfigWithToken(server, readOnlyToken, 'viewer');
    expect(ok(await kubectl(['get', 'svc', 'kubernetes', '-n', 'default', '-o', 'name'], { kubeconfig: kc }))).toBe('service/kubernetes\n');
    const r = await kubectl(['create', '-f', '-'], { kubeconfig: kc, input: serviceYaml('default', 'ro') });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error from server (Forbidden)');
    expect(r.stderr).toContain('User "viewer" cannot create resource "services" in API group "" in the namespace "default"');
    expect((await kubectl(['get', 'svc', 'ro', '-n', 'default'])).stderr).toContain('NotFound');
    const del = await kubectl(['delete', 'svc', 'kubernetes', '-n', 'default'], { kubeconfig: kc });
    expect(del.stderr).toContain('Error from server (Forbidden)');
  });

  it('server-side apply is refused with a clear message and changes nothing', async () => {
    const ns = await namespace('ssa-test');
    const r = await kubectl(['apply', '--server-side', '-f', '-'], { input: serviceYaml(ns, 'ssa') });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('server-side apply (application/apply-patch+yaml) is not supported');
    expect((await kubectl(['get', 'svc', 'ssa', '-n', ns])).stderr).toContain('NotFound');

    // Also on an object that exists: it must stay as it was.
    ok(await kubectl(['create', '-f', '-'], { input: serviceYaml(ns, 'ssa') }));
    const before = await getJson<ServiceJson>(['svc', 'ssa', '-n', ns]);
    const r2 = await kubectl(['apply', '--server-side', '-f', '-'], { input: serviceYaml(ns, 'ssa', { ports: '[{port: 99}]' }) });
    expect(r2.code).not.toBe(0);
    const after = await getJson<ServiceJson>(['svc', 'ssa', '-n', ns]);
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });
});
