// The echo container of the lab tests' workloads (netkube/echo): it reports
// its pod's name and IP, taken from the downward API, and is Ready as soon as
// /healthz answers, so a test waiting for Ready pods waits for a server.

/**
 * The container as one YAML list item (`- name: echo` …), every line indented
 * by `indent`: the indentation of the `containers:` key it goes under.
 */
export function echoContainerYaml(indent: string): string {
  return [
    '- name: echo',
    '  image: netkube/echo',
    '  env:',
    '  - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}',
    '  - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}',
    '  readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 1}',
  ]
    .map((l) => `${indent}${l}`)
    .join('\n');
}
