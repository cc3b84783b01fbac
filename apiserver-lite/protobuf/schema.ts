// Which protobuf field numbers mean what, for the Kubernetes kinds
// apiserver-lite serves. The numbers are the wire contract of the
// k8s.io/api and apimachinery types (each field's `protobuf:"…"` tag); the
// names are the JSON names, so decoding yields the object a JSON client
// would have sent. Message types we do not serve (cloud volume sources,
// resource claims, node runtime details…) are listed as `skip`: decode.ts
// ignores them and reports their paths instead of failing the request.

/** Scalar encodings, including the apimachinery value types that JSON shows as one value. */
export type ScalarKind =
  | 'string'
  | 'int32'
  | 'int64'
  | 'bool'
  | 'bytes' // base64 in JSON
  | 'time' // metav1.Time {1: seconds, 2: nanos} → RFC 3339, whole seconds
  | 'microTime' // metav1.MicroTime → RFC 3339 with microseconds
  | 'intOrString' // intstr.IntOrString {1: type, 2: intVal, 3: strVal} → number or string
  | 'quantity'; // resource.Quantity {1: string} → string

export type FieldSpec =
  | {
      readonly no: number;
      readonly name: string;
      readonly kind: ScalarKind;
      readonly repeated?: boolean;
      // A Go pointer field: present on the wire means set, so a zero value
      // (replicas: 0, optional: false) must reach the JSON. Without it, a zero
      // value is Go's "unset" (the generated code writes it regardless) and is
      // left out, as `omitempty` would.
      readonly presence?: boolean;
    }
  | {
      readonly no: number;
      readonly name: string;
      readonly kind: 'message';
      readonly message: string;
      readonly repeated?: boolean;
      // An embedded Go struct: its own field number on the wire, but JSON
      // flattens its fields into the parent (Probe's handler, Volume's source).
      readonly inline?: boolean;
    }
  | { readonly no: number; readonly name: string; readonly kind: 'map'; readonly value: ScalarKind }
  | { readonly no: number; readonly name: string; readonly kind: 'skip' };

/** A message's fields in JSON output order (Go struct order, not field-number order). */
export type MessageSpec = readonly FieldSpec[];

type Scalar = Extract<FieldSpec, { kind: ScalarKind }>;
type MessageField = Extract<FieldSpec, { kind: 'message' }>;

const scalar = (kind: ScalarKind) => (no: number, name: string): Scalar => ({ no, name, kind });
const str = scalar('string');
const int32 = scalar('int32');
const int64 = scalar('int64');
const bool = scalar('bool');
const time = scalar('time');
const microTime = scalar('microTime');
const intOrString = scalar('intOrString');
const quantity = scalar('quantity');
const ptr = (f: Scalar): Scalar => ({ ...f, presence: true });
const list = <F extends Scalar | MessageField>(f: F): F => ({ ...f, repeated: true });
const msg = (no: number, name: string, message: string): MessageField => ({ no, name, kind: 'message', message });
const inline = (no: number, message: string): FieldSpec => ({ no, name: '', kind: 'message', message, inline: true });
const map = (no: number, name: string, value: ScalarKind): FieldSpec => ({ no, name, kind: 'map', value });
const skip = (no: number, name: string): FieldSpec => ({ no, name, kind: 'skip' });

export const messages: Readonly<Record<string, MessageSpec>> = {
  // ---- meta/v1 ----
  'meta/v1.Condition': [
    str(1, 'type'), str(2, 'status'), int64(3, 'observedGeneration'), time(4, 'lastTransitionTime'), str(5, 'reason'),
    str(6, 'message'),
  ],
  'meta/v1.DeleteOptions': [
    ptr(int64(1, 'gracePeriodSeconds')), msg(2, 'preconditions', 'meta/v1.Preconditions'), ptr(bool(3, 'orphanDependents')),
    ptr(str(4, 'propagationPolicy')), list(str(5, 'dryRun')), ptr(bool(6, 'ignoreStoreReadErrorWithClusterBreakingPotential')),
  ],
  'meta/v1.LabelSelector': [
    map(1, 'matchLabels', 'string'), list(msg(2, 'matchExpressions', 'meta/v1.LabelSelectorRequirement')),
  ],
  'meta/v1.LabelSelectorRequirement': [str(1, 'key'), str(2, 'operator'), list(str(3, 'values'))],
  'meta/v1.ObjectMeta': [
    str(1, 'name'), str(2, 'generateName'), str(3, 'namespace'), str(4, 'selfLink'), str(5, 'uid'), str(6, 'resourceVersion'),
    int64(7, 'generation'), time(8, 'creationTimestamp'), ptr(time(9, 'deletionTimestamp')),
    ptr(int64(10, 'deletionGracePeriodSeconds')), map(11, 'labels', 'string'), map(12, 'annotations', 'string'),
    list(msg(13, 'ownerReferences', 'meta/v1.OwnerReference')), list(str(14, 'finalizers')), skip(17, 'managedFields'),
  ],
  'meta/v1.OwnerReference': [
    str(5, 'apiVersion'), str(1, 'kind'), str(3, 'name'), str(4, 'uid'), ptr(bool(6, 'controller')),
    ptr(bool(7, 'blockOwnerDeletion')),
  ],
  'meta/v1.Preconditions': [ptr(str(1, 'uid')), ptr(str(2, 'resourceVersion'))],

  // ---- core/v1 ----
  'core/v1.Affinity': [
    msg(1, 'nodeAffinity', 'core/v1.NodeAffinity'), msg(2, 'podAffinity', 'core/v1.PodAffinity'),
    msg(3, 'podAntiAffinity', 'core/v1.PodAntiAffinity'),
  ],
  'core/v1.Binding': [msg(1, 'metadata', 'meta/v1.ObjectMeta'), msg(2, 'target', 'core/v1.ObjectReference')],
  'core/v1.Capabilities': [list(str(1, 'add')), list(str(2, 'drop'))],
  'core/v1.ClientIPConfig': [ptr(int32(1, 'timeoutSeconds'))],
  'core/v1.ConfigMap': [
    msg(1, 'metadata', 'meta/v1.ObjectMeta'), ptr(bool(4, 'immutable')), map(2, 'data', 'string'), map(3, 'binaryData', 'bytes'),
  ],
  'core/v1.ConfigMapEnvSource': [inline(1, 'core/v1.LocalObjectReference'), ptr(bool(2, 'optional'))],
  'core/v1.ConfigMapKeySelector': [inline(1, 'core/v1.LocalObjectReference'), str(2, 'key'), ptr(bool(3, 'optional'))],
  'core/v1.ConfigMapProjection': [
    inline(1, 'core/v1.LocalObjectReference'), list(msg(2, 'items', 'core/v1.KeyToPath')), ptr(bool(4, 'optional')),
  ],
  'core/v1.ConfigMapVolumeSource': [
    inline(1, 'core/v1.LocalObjectReference'), list(msg(2, 'items', 'core/v1.KeyToPath')), ptr(int32(3, 'defaultMode')),
    ptr(bool(4, 'optional')), ptr(int64(5, 'defaultUser')),
  ],
  'core/v1.Container': [
    str(1, 'name'), str(2, 'image'), list(str(3, 'command')), list(str(4, 'args')), str(5, 'workingDir'),
    list(msg(6, 'ports', 'core/v1.ContainerPort')), list(msg(19, 'envFrom', 'core/v1.EnvFromSource')),
    list(msg(7, 'env', 'core/v1.EnvVar')), msg(8, 'resources', 'core/v1.ResourceRequirements'), skip(23, 'resizePolicy'),
    ptr(str(24, 'restartPolicy')), skip(25, 'restartPolicyRules'), list(msg(9, 'volumeMounts', 'core/v1.VolumeMount')),
    list(msg(21, 'volumeDevices', 'core/v1.VolumeDevice')), msg(10, 'livenessProbe', 'core/v1.Probe'),
    msg(11, 'readinessProbe', 'core/v1.Probe'), msg(22, 'startupProbe', 'core/v1.Probe'),
    msg(12, 'lifecycle', 'core/v1.Lifecycle'), str(13, 'terminationMessagePath'), str(20, 'terminationMessagePolicy'),
    str(14, 'imagePullPolicy'), msg(15, 'securityContext', 'core/v1.SecurityContext'), bool(16, 'stdin'), bool(17, 'stdinOnce'),
    bool(18, 'tty'),
  ],
  'core/v1.ContainerPort': [
    str(1, 'name'), int32(2, 'hostPort'), int32(3, 'containerPort'), str(4, 'protocol'), str(5, 'hostIP'),
  ],
  'core/v1.DownwardAPIProjection': [list(msg(1, 'items', 'core/v1.DownwardAPIVolumeFile'))],
  'core/v1.DownwardAPIVolumeFile': [
    str(1, 'path'), msg(2, 'fieldRef', 'core/v1.ObjectFieldSelector'),
    msg(3, 'resourceFieldRef', 'core/v1.ResourceFieldSelector'), ptr(int32(4, 'mode')), ptr(int64(5, 'user')),
  ],
  'core/v1.DownwardAPIVolumeSource': [
    list(msg(1, 'items', 'core/v1.DownwardAPIVolumeFile')), ptr(int32(2, 'defaultMode')), ptr(int64(3, 'defaultUser')),
  ],
  'core/v1.EmptyDirVolumeSource': [str(1, 'medium'), ptr(quantity(2, 'sizeLimit')), ptr(int32(3, 'mode'))],
  'core/v1.EndpointAddress': [
    str(1, 'ip'), str(3, 'hostname'), ptr(str(4, 'nodeName')), msg(2, 'targetRef', 'core/v1.ObjectReference'),
  ],
  'core/v1.EndpointPort': [str(1, 'name'), int32(2, 'port'), str(3, 'protocol'), ptr(str(4, 'appProtocol'))],
  'core/v1.EndpointSubset': [
    list(msg(1, 'addresses', 'core/v1.EndpointAddress')), list(msg(2, 'notReadyAddresses', 'core/v1.EndpointAddress')),
    list(msg(3, 'ports', 'core/v1.EndpointPort')),
  ],
  'core/v1.Endpoints': [msg(1, 'metadata', 'meta/v1.ObjectMeta'), list(msg(2, 'subsets', 'core/v1.EndpointSubset'))],
  'core/v1.EnvFromSource': [
    str(1, 'prefix'), msg(2, 'configMapRef', 'core/v1.ConfigMapEnvSource'), msg(3, 'secretRef', 'core/v1.SecretEnvSource'),
  ],
  'core/v1.EnvVar': [str(1, 'name'), str(2, 'value'), msg(3, 'valueFrom', 'core/v1.EnvVarSource')],
  'core/v1.EnvVarSource': [
    msg(1, 'fieldRef', 'core/v1.ObjectFieldSelector'), msg(2, 'resourceFieldRef', 'core/v1.ResourceFieldSelector'),
    msg(3, 'configMapKeyRef', 'core/v1.ConfigMapKeySelector'), msg(4, 'secretKeyRef', 'core/v1.SecretKeySelector'),
    skip(5, 'fileKeyRef'),
  ],
  'core/v1.Event': [
    msg(1, 'metadata', 'meta/v1.ObjectMeta'), msg(2, 'involvedObject', 'core/v1.ObjectReference'), str(3, 'reason'),
    str(4, 'message'), msg(5, 'source', 'core/v1.EventSource'), time(6, 'firstTimestamp'), time(7, 'lastTimestamp'),
    int32(8, 'count'), str(9, 'type'), microTime(10, 'eventTime'), msg(11, 'series', 'core/v1.EventSeries'), str(12, 'action'),
    msg(13, 'related', 'core/v1.ObjectReference'), str(14, 'reportingComponent'), str(15, 'reportingInstance'),
  ],
  'core/v1.EventSeries': [int32(1, 'count'), microTime(2, 'lastObservedTime')],
  'core/v1.EventSource': [str(1, 'component'), str(2, 'host')],
  'core/v1.ExecAction': [list(str(1, 'command'))],
  'core/v1.GRPCAction': [int32(1, 'port'), ptr(str(2, 'service')), ptr(str(3, 'mode'))],
  'core/v1.HTTPGetAction': [
    str(1, 'path'), intOrString(2, 'port'), str(3, 'host'), str(4, 'scheme'), list(msg(5, 'httpHeaders', 'core/v1.HTTPHeader')),
    ptr(str(6, 'protocol')),
  ],
  'core/v1.HTTPHeader': [str(1, 'name'), str(2, 'value')],
  'core/v1.HostAlias': [str(1, 'ip'), list(str(2, 'hostnames'))],
  'core/v1.HostIP': [str(1, 'ip')],
  'core/v1.HostPathVolumeSource': [str(1, 'path'), ptr(str(2, 'type'))],
  'core/v1.KeyToPath': [str(1, 'key'), str(2, 'path'), ptr(int32(3, 'mode')), ptr(int64(4, 'user'))],
  'core/v1.Lifecycle': [
    msg(1, 'postStart', 'core/v1.LifecycleHandler'), msg(2, 'preStop', 'core/v1.LifecycleHandler'), ptr(str(3, 'stopSignal')),
  ],
  'core/v1.LifecycleHandler': [
    msg(1, 'exec', 'core/v1.ExecAction'), msg(2, 'httpGet', 'core/v1.HTTPGetAction'),
    msg(3, 'tcpSocket', 'core/v1.TCPSocketAction'), msg(4, 'sleep', 'core/v1.SleepAction'),
  ],
  'core/v1.LoadBalancerIngress': [
    str(1, 'ip'), str(2, 'hostname'), ptr(str(3, 'ipMode')), list(msg(4, 'ports', 'core/v1.PortStatus')),
  ],
  'core/v1.LoadBalancerStatus': [list(msg(1, 'ingress', 'core/v1.LoadBalancerIngress'))],
  'core/v1.LocalObjectReference': [str(1, 'name')],
  'core/v1.NFSVolumeSource': [str(1, 'server'), str(2, 'path'), bool(3, 'readOnly')],
  'core/v1.Namespace': [
    msg(1, 'metadata', 'meta/v1.ObjectMeta'), msg(2, 'spec', 'core/v1.NamespaceSpec'),
    msg(3, 'status', 'core/v1.NamespaceStatus'),
  ],
  'core/v1.NamespaceCondition': [
    str(1, 'type'), str(2, 'status'), time(4, 'lastTransitionTime'), str(5, 'reason'), str(6, 'message'),
  ],
  'core/v1.NamespaceSpec': [list(str(1, 'finalizers'))],
  'core/v1.NamespaceStatus': [str(1, 'phase'), list(msg(2, 'conditions', 'core/v1.NamespaceCondition'))],
  'core/v1.Node': [
    msg(1, 'metadata', 'meta/v1.ObjectMeta'), msg(2, 'spec', 'core/v1.NodeSpec'), msg(3, 'status', 'core/v1.NodeStatus'),
  ],
  'core/v1.NodeAddress': [str(1, 'type'), str(2, 'address')],
  'core/v1.NodeAffinity': [
    msg(1, 'requiredDuringSchedulingIgnoredDuringExecution', 'core/v1.NodeSelector'),
    list(msg(2, 'preferredDuringSchedulingIgnoredDuringExecution', 'core/v1.PreferredSchedulingTerm')),
  ],
  'core/v1.NodeCondition': [
    str(1, 'type'), str(2, 'status'), time(3, 'lastHeartbeatTime'), time(4, 'lastTransitionTime'), str(5, 'reason'),
    str(6, 'message'),
  ],
  'core/v1.NodeSelector': [list(msg(1, 'nodeSelectorTerms', 'core/v1.NodeSelectorTerm'))],
  'core/v1.NodeSelectorRequirement': [str(1, 'key'), str(2, 'operator'), list(str(3, 'values'))],
  'core/v1.NodeSelectorTerm': [
    list(msg(1, 'matchExpressions', 'core/v1.NodeSelectorRequirement')),
    list(msg(2, 'matchFields', 'core/v1.NodeSelectorRequirement')),
  ],
  'core/v1.NodeSpec': [
    str(1, 'podCIDR'), list(str(7, 'podCIDRs')), str(3, 'providerID'), bool(4, 'unschedulable'),
    list(msg(5, 'taints', 'core/v1.Taint')), skip(6, 'configSource'), str(2, 'externalID'), skip(8, 'podPreemptionPolicy'),
  ],
  'core/v1.NodeStatus': [
    map(1, 'capacity', 'quantity'), map(2, 'allocatable', 'quantity'), str(3, 'phase'),
    list(msg(4, 'conditions', 'core/v1.NodeCondition')), list(msg(5, 'addresses', 'core/v1.NodeAddress')),
    skip(6, 'daemonEndpoints'), skip(7, 'nodeInfo'), skip(8, 'images'), list(str(9, 'volumesInUse')),
    skip(10, 'volumesAttached'), skip(11, 'config'), skip(12, 'runtimeHandlers'), skip(13, 'features'),
    list(str(14, 'declaredFeatures')),
  ],
  'core/v1.ObjectFieldSelector': [str(1, 'apiVersion'), str(2, 'fieldPath')],
  'core/v1.ObjectReference': [
    str(1, 'kind'), str(2, 'namespace'), str(3, 'name'), str(4, 'uid'), str(5, 'apiVersion'), str(6, 'resourceVersion'),
    str(7, 'fieldPath'),
  ],
  'core/v1.PersistentVolumeClaimVolumeSource': [str(1, 'claimName'), bool(2, 'readOnly')],
  'core/v1.Pod': [
    msg(1, 'metadata', 'meta/v1.ObjectMeta'), msg(2, 'spec', 'core/v1.PodSpec'), msg(3, 'status', 'core/v1.PodStatus'),
  ],
  'core/v1.PodAffinity': [
    list(msg(1, 'requiredDuringSchedulingIgnoredDuringExecution', 'core/v1.PodAffinityTerm')),
    list(msg(2, 'preferredDuringSchedulingIgnoredDuringExecution', 'core/v1.WeightedPodAffinityTerm')),
  ],
  'core/v1.PodAffinityTerm': [
    msg(1, 'labelSelector', 'meta/v1.LabelSelector'), list(str(2, 'namespaces')), str(3, 'topologyKey'),
    msg(4, 'namespaceSelector', 'meta/v1.LabelSelector'), list(str(5, 'matchLabelKeys')), list(str(6, 'mismatchLabelKeys')),
  ],
  'core/v1.PodAntiAffinity': [
    list(msg(1, 'requiredDuringSchedulingIgnoredDuringExecution', 'core/v1.PodAffinityTerm')),
    list(msg(2, 'preferredDuringSchedulingIgnoredDuringExecution', 'core/v1.WeightedPodAffinityTerm')),
  ],
  'core/v1.PodCondition': [
    str(1, 'type'), int64(7, 'observedGeneration'), str(2, 'status'), time(3, 'lastProbeTime'), time(4, 'lastTransitionTime'),
    str(5, 'reason'), str(6, 'message'),
  ],
  'core/v1.PodDNSConfig': [
    list(str(1, 'nameservers')), list(str(2, 'searches')), list(msg(3, 'options', 'core/v1.PodDNSConfigOption')),
  ],
  'core/v1.PodDNSConfigOption': [str(1, 'name'), ptr(str(2, 'value'))],
  'core/v1.PodIP': [str(1, 'ip')],
  'core/v1.PodOS': [str(1, 'name')],
  'core/v1.PodReadinessGate': [str(1, 'conditionType')],
  'core/v1.PodSchedulingGate': [str(1, 'name')],
  'core/v1.PodSecurityContext': [
    skip(1, 'seLinuxOptions'), skip(8, 'windowsOptions'), ptr(int64(2, 'runAsUser')), ptr(int64(6, 'runAsGroup')),
    ptr(bool(3, 'runAsNonRoot')), list(int64(4, 'supplementalGroups')), ptr(str(12, 'supplementalGroupsPolicy')),
    ptr(int64(5, 'fsGroup')), skip(7, 'sysctls'), ptr(str(9, 'fsGroupChangePolicy')),
    msg(10, 'seccompProfile', 'core/v1.SeccompProfile'), skip(11, 'appArmorProfile'), ptr(str(13, 'seLinuxChangePolicy')),
  ],
  'core/v1.PodSpec': [
    list(msg(1, 'volumes', 'core/v1.Volume')), list(msg(20, 'initContainers', 'core/v1.Container')),
    list(msg(2, 'containers', 'core/v1.Container')), skip(34, 'ephemeralContainers'), str(3, 'restartPolicy'),
    ptr(int64(4, 'terminationGracePeriodSeconds')), ptr(int64(5, 'activeDeadlineSeconds')), str(6, 'dnsPolicy'),
    map(7, 'nodeSelector', 'string'), str(8, 'serviceAccountName'), str(9, 'serviceAccount'),
    ptr(bool(21, 'automountServiceAccountToken')), str(10, 'nodeName'), bool(11, 'hostNetwork'), bool(12, 'hostPID'),
    bool(13, 'hostIPC'), ptr(bool(27, 'shareProcessNamespace')), msg(14, 'securityContext', 'core/v1.PodSecurityContext'),
    list(msg(15, 'imagePullSecrets', 'core/v1.LocalObjectReference')), str(16, 'hostname'), str(17, 'subdomain'),
    msg(18, 'affinity', 'core/v1.Affinity'), str(19, 'schedulerName'), list(msg(22, 'tolerations', 'core/v1.Toleration')),
    list(msg(23, 'hostAliases', 'core/v1.HostAlias')), str(24, 'priorityClassName'), ptr(int32(25, 'priority')),
    msg(26, 'dnsConfig', 'core/v1.PodDNSConfig'), list(msg(28, 'readinessGates', 'core/v1.PodReadinessGate')),
    ptr(str(29, 'runtimeClassName')), ptr(bool(30, 'enableServiceLinks')), ptr(str(31, 'preemptionPolicy')),
    map(32, 'overhead', 'quantity'), skip(33, 'topologySpreadConstraints'), ptr(bool(35, 'setHostnameAsFQDN')),
    msg(36, 'os', 'core/v1.PodOS'), ptr(bool(37, 'hostUsers')), list(msg(38, 'schedulingGates', 'core/v1.PodSchedulingGate')),
    skip(39, 'resourceClaims'), msg(40, 'resources', 'core/v1.ResourceRequirements'), ptr(str(41, 'hostnameOverride')),
    skip(43, 'schedulingGroup'), skip(44, 'evictionResponders'),
  ],
  'core/v1.PodStatus': [
    int64(17, 'observedGeneration'), str(1, 'phase'), list(msg(2, 'conditions', 'core/v1.PodCondition')), str(3, 'message'),
    str(4, 'reason'), str(11, 'nominatedNodeName'), str(5, 'hostIP'), list(msg(16, 'hostIPs', 'core/v1.HostIP')),
    str(6, 'podIP'), list(msg(12, 'podIPs', 'core/v1.PodIP')), ptr(time(7, 'startTime')), skip(10, 'initContainerStatuses'),
    skip(8, 'containerStatuses'), str(9, 'qosClass'), skip(13, 'ephemeralContainerStatuses'), str(14, 'resize'),
    skip(15, 'resourceClaimStatuses'), skip(18, 'extendedResourceClaimStatus'), map(19, 'allocatedResources', 'quantity'),
    msg(20, 'resources', 'core/v1.ResourceRequirements'), skip(21, 'nodeAllocatableResourceClaimStatuses'),
    skip(22, 'volumeHealth'),
  ],
  'core/v1.PodTemplateSpec': [msg(1, 'metadata', 'meta/v1.ObjectMeta'), msg(2, 'spec', 'core/v1.PodSpec')],
  'core/v1.PortStatus': [int32(1, 'port'), str(2, 'protocol'), ptr(str(3, 'error'))],
  'core/v1.PreferredSchedulingTerm': [int32(1, 'weight'), msg(2, 'preference', 'core/v1.NodeSelectorTerm')],
  'core/v1.Probe': [
    inline(1, 'core/v1.ProbeHandler'), int32(2, 'initialDelaySeconds'), int32(3, 'timeoutSeconds'), int32(4, 'periodSeconds'),
    int32(5, 'successThreshold'), int32(6, 'failureThreshold'), ptr(int64(7, 'terminationGracePeriodSeconds')),
  ],
  'core/v1.ProbeHandler': [
    msg(1, 'exec', 'core/v1.ExecAction'), msg(2, 'httpGet', 'core/v1.HTTPGetAction'),
    msg(3, 'tcpSocket', 'core/v1.TCPSocketAction'), msg(4, 'grpc', 'core/v1.GRPCAction'),
  ],
  'core/v1.ProjectedVolumeSource': [
    list(msg(1, 'sources', 'core/v1.VolumeProjection')), ptr(int32(2, 'defaultMode')), ptr(int64(3, 'defaultUser')),
  ],
  'core/v1.ResourceFieldSelector': [str(1, 'containerName'), str(2, 'resource'), quantity(3, 'divisor')],
  'core/v1.ResourceRequirements': [map(1, 'limits', 'quantity'), map(2, 'requests', 'quantity'), skip(3, 'claims')],
  'core/v1.SeccompProfile': [str(1, 'type'), ptr(str(2, 'localhostProfile'))],
  'core/v1.Secret': [
    msg(1, 'metadata', 'meta/v1.ObjectMeta'), ptr(bool(5, 'immutable')), map(2, 'data', 'bytes'), map(4, 'stringData', 'string'),
    str(3, 'type'),
  ],
  'core/v1.SecretEnvSource': [inline(1, 'core/v1.LocalObjectReference'), ptr(bool(2, 'optional'))],
  'core/v1.SecretKeySelector': [inline(1, 'core/v1.LocalObjectReference'), str(2, 'key'), ptr(bool(3, 'optional'))],
  'core/v1.SecretProjection': [
    inline(1, 'core/v1.LocalObjectReference'), list(msg(2, 'items', 'core/v1.KeyToPath')), ptr(bool(4, 'optional')),
  ],
  'core/v1.SecretVolumeSource': [
    str(1, 'secretName'), list(msg(2, 'items', 'core/v1.KeyToPath')), ptr(int32(3, 'defaultMode')), ptr(bool(4, 'optional')),
    ptr(int64(5, 'defaultUser')),
  ],
  'core/v1.SecurityContext': [
    msg(1, 'capabilities', 'core/v1.Capabilities'), ptr(bool(2, 'privileged')), skip(3, 'seLinuxOptions'),
    skip(10, 'windowsOptions'), ptr(int64(4, 'runAsUser')), ptr(int64(8, 'runAsGroup')), ptr(bool(5, 'runAsNonRoot')),
    ptr(bool(6, 'readOnlyRootFilesystem')), ptr(bool(7, 'allowPrivilegeEscalation')), ptr(str(9, 'procMount')),
    msg(11, 'seccompProfile', 'core/v1.SeccompProfile'), skip(12, 'appArmorProfile'),
  ],
  'core/v1.Service': [
    msg(1, 'metadata', 'meta/v1.ObjectMeta'), msg(2, 'spec', 'core/v1.ServiceSpec'), msg(3, 'status', 'core/v1.ServiceStatus'),
  ],
  'core/v1.ServiceAccount': [
    msg(1, 'metadata', 'meta/v1.ObjectMeta'), list(msg(2, 'secrets', 'core/v1.ObjectReference')),
    list(msg(3, 'imagePullSecrets', 'core/v1.LocalObjectReference')), ptr(bool(4, 'automountServiceAccountToken')),
  ],
  'core/v1.ServiceAccountTokenProjection': [
    str(1, 'audience'), ptr(int64(2, 'expirationSeconds')), str(3, 'path'), ptr(int64(4, 'user')),
  ],
  'core/v1.ServicePort': [
    str(1, 'name'), str(2, 'protocol'), ptr(str(6, 'appProtocol')), int32(3, 'port'), intOrString(4, 'targetPort'),
    int32(5, 'nodePort'),
  ],
  'core/v1.ServiceSpec': [
    list(msg(1, 'ports', 'core/v1.ServicePort')), map(2, 'selector', 'string'), str(3, 'clusterIP'), list(str(18, 'clusterIPs')),
    str(4, 'type'), list(str(5, 'externalIPs')), str(7, 'sessionAffinity'), str(8, 'loadBalancerIP'),
    list(str(9, 'loadBalancerSourceRanges')), str(10, 'externalName'), str(11, 'externalTrafficPolicy'),
    int32(12, 'healthCheckNodePort'), bool(13, 'publishNotReadyAddresses'),
    msg(14, 'sessionAffinityConfig', 'core/v1.SessionAffinityConfig'), list(str(19, 'ipFamilies')),
    ptr(str(17, 'ipFamilyPolicy')), ptr(bool(20, 'allocateLoadBalancerNodePorts')), ptr(str(21, 'loadBalancerClass')),
    ptr(str(22, 'internalTrafficPolicy')), ptr(str(23, 'trafficDistribution')),
  ],
  'core/v1.ServiceStatus': [
    msg(1, 'loadBalancer', 'core/v1.LoadBalancerStatus'), list(msg(2, 'conditions', 'meta/v1.Condition')),
  ],
  'core/v1.SessionAffinityConfig': [msg(1, 'clientIP', 'core/v1.ClientIPConfig')],
  'core/v1.SleepAction': [int64(1, 'seconds')],
  'core/v1.TCPSocketAction': [intOrString(1, 'port'), str(2, 'host')],
  'core/v1.Taint': [str(1, 'key'), str(2, 'value'), str(3, 'effect'), ptr(time(4, 'timeAdded'))],
  'core/v1.Toleration': [
    str(1, 'key'), str(2, 'operator'), str(3, 'value'), str(4, 'effect'), ptr(int64(5, 'tolerationSeconds')),
  ],
  'core/v1.Volume': [str(1, 'name'), inline(2, 'core/v1.VolumeSource')],
  'core/v1.VolumeDevice': [str(1, 'name'), str(2, 'devicePath')],
  'core/v1.VolumeMount': [
    str(1, 'name'), bool(2, 'readOnly'), ptr(str(7, 'recursiveReadOnly')), str(3, 'mountPath'), str(4, 'subPath'),
    ptr(str(5, 'mountPropagation')), str(6, 'subPathExpr'), list(str(8, 'bindMountOptions')),
  ],
  'core/v1.VolumeProjection': [
    msg(1, 'secret', 'core/v1.SecretProjection'), msg(2, 'downwardAPI', 'core/v1.DownwardAPIProjection'),
    msg(3, 'configMap', 'core/v1.ConfigMapProjection'), msg(4, 'serviceAccountToken', 'core/v1.ServiceAccountTokenProjection'),
    skip(5, 'clusterTrustBundle'), skip(6, 'podCertificate'),
  ],
  'core/v1.VolumeSource': [
    msg(1, 'hostPath', 'core/v1.HostPathVolumeSource'), msg(2, 'emptyDir', 'core/v1.EmptyDirVolumeSource'),
    skip(3, 'gcePersistentDisk'), skip(4, 'awsElasticBlockStore'), skip(5, 'gitRepo'),
    msg(6, 'secret', 'core/v1.SecretVolumeSource'), msg(7, 'nfs', 'core/v1.NFSVolumeSource'), skip(8, 'iscsi'),
    skip(9, 'glusterfs'), msg(10, 'persistentVolumeClaim', 'core/v1.PersistentVolumeClaimVolumeSource'), skip(11, 'rbd'),
    skip(12, 'flexVolume'), skip(13, 'cinder'), skip(14, 'cephfs'), skip(15, 'flocker'),
    msg(16, 'downwardAPI', 'core/v1.DownwardAPIVolumeSource'), skip(17, 'fc'), skip(18, 'azureFile'),
    msg(19, 'configMap', 'core/v1.ConfigMapVolumeSource'), skip(20, 'vsphereVolume'), skip(21, 'quobyte'), skip(22, 'azureDisk'),
    skip(23, 'photonPersistentDisk'), msg(26, 'projected', 'core/v1.ProjectedVolumeSource'), skip(24, 'portworxVolume'),
    skip(25, 'scaleIO'), skip(27, 'storageos'), skip(28, 'csi'), skip(29, 'ephemeral'), skip(30, 'image'),
  ],
  'core/v1.WeightedPodAffinityTerm': [int32(1, 'weight'), msg(2, 'podAffinityTerm', 'core/v1.PodAffinityTerm')],

  // ---- apps/v1 ----
  'apps/v1.Deployment': [
    msg(1, 'metadata', 'meta/v1.ObjectMeta'), msg(2, 'spec', 'apps/v1.DeploymentSpec'),
    msg(3, 'status', 'apps/v1.DeploymentStatus'),
  ],
  'apps/v1.DeploymentCondition': [
    str(1, 'type'), str(2, 'status'), time(6, 'lastUpdateTime'), time(7, 'lastTransitionTime'), str(4, 'reason'),
    str(5, 'message'),
  ],
  'apps/v1.DeploymentSpec': [
    ptr(int32(1, 'replicas')), msg(2, 'selector', 'meta/v1.LabelSelector'), msg(3, 'template', 'core/v1.PodTemplateSpec'),
    msg(4, 'strategy', 'apps/v1.DeploymentStrategy'), int32(5, 'minReadySeconds'), ptr(int32(6, 'revisionHistoryLimit')),
    bool(7, 'paused'), ptr(int32(9, 'progressDeadlineSeconds')),
  ],
  'apps/v1.DeploymentStatus': [
    int64(1, 'observedGeneration'), int32(2, 'replicas'), int32(3, 'updatedReplicas'), int32(7, 'readyReplicas'),
    int32(4, 'availableReplicas'), int32(5, 'unavailableReplicas'), ptr(int32(9, 'terminatingReplicas')),
    list(msg(6, 'conditions', 'apps/v1.DeploymentCondition')), ptr(int32(8, 'collisionCount')),
  ],
  'apps/v1.DeploymentStrategy': [str(1, 'type'), msg(2, 'rollingUpdate', 'apps/v1.RollingUpdateDeployment')],
  'apps/v1.ReplicaSet': [
    msg(1, 'metadata', 'meta/v1.ObjectMeta'), msg(2, 'spec', 'apps/v1.ReplicaSetSpec'),
    msg(3, 'status', 'apps/v1.ReplicaSetStatus'),
  ],
  'apps/v1.ReplicaSetCondition': [
    str(1, 'type'), str(2, 'status'), time(3, 'lastTransitionTime'), str(4, 'reason'), str(5, 'message'),
  ],
  'apps/v1.ReplicaSetSpec': [
    ptr(int32(1, 'replicas')), int32(4, 'minReadySeconds'), msg(2, 'selector', 'meta/v1.LabelSelector'),
    msg(3, 'template', 'core/v1.PodTemplateSpec'),
  ],
  'apps/v1.ReplicaSetStatus': [
    int32(1, 'replicas'), int32(2, 'fullyLabeledReplicas'), int32(4, 'readyReplicas'), int32(5, 'availableReplicas'),
    ptr(int32(7, 'terminatingReplicas')), int64(3, 'observedGeneration'),
    list(msg(6, 'conditions', 'apps/v1.ReplicaSetCondition')),
  ],
  'apps/v1.RollingUpdateDeployment': [ptr(intOrString(1, 'maxUnavailable')), ptr(intOrString(2, 'maxSurge'))],
  'apps/v1.RollingUpdateStatefulSetStrategy': [ptr(int32(1, 'partition')), ptr(intOrString(2, 'maxUnavailable'))],
  'apps/v1.StatefulSet': [
    msg(1, 'metadata', 'meta/v1.ObjectMeta'), msg(2, 'spec', 'apps/v1.StatefulSetSpec'),
    msg(3, 'status', 'apps/v1.StatefulSetStatus'),
  ],
  'apps/v1.StatefulSetCondition': [
    str(1, 'type'), str(2, 'status'), time(3, 'lastTransitionTime'), str(4, 'reason'), str(5, 'message'),
  ],
  'apps/v1.StatefulSetPersistentVolumeClaimRetentionPolicy': [str(1, 'whenDeleted'), str(2, 'whenScaled')],
  'apps/v1.StatefulSetSpec': [
    ptr(int32(1, 'replicas')), msg(2, 'selector', 'meta/v1.LabelSelector'), msg(3, 'template', 'core/v1.PodTemplateSpec'),
    skip(4, 'volumeClaimTemplates'), str(5, 'serviceName'), str(6, 'podManagementPolicy'),
    msg(7, 'updateStrategy', 'apps/v1.StatefulSetUpdateStrategy'), ptr(int32(8, 'revisionHistoryLimit')),
    int32(9, 'minReadySeconds'),
    msg(10, 'persistentVolumeClaimRetentionPolicy', 'apps/v1.StatefulSetPersistentVolumeClaimRetentionPolicy'),
    skip(11, 'ordinals'),
  ],
  'apps/v1.StatefulSetStatus': [
    int64(1, 'observedGeneration'), int32(2, 'replicas'), int32(3, 'readyReplicas'), int32(4, 'currentReplicas'),
    int32(5, 'updatedReplicas'), str(6, 'currentRevision'), str(7, 'updateRevision'), ptr(int32(9, 'collisionCount')),
    list(msg(10, 'conditions', 'apps/v1.StatefulSetCondition')), int32(11, 'availableReplicas'),
  ],
  'apps/v1.StatefulSetUpdateStrategy': [str(1, 'type'), msg(2, 'rollingUpdate', 'apps/v1.RollingUpdateStatefulSetStrategy')],

  // ---- discovery/v1 ----
  'discovery/v1.Endpoint': [
    list(str(1, 'addresses')), msg(2, 'conditions', 'discovery/v1.EndpointConditions'), ptr(str(3, 'hostname')),
    msg(4, 'targetRef', 'core/v1.ObjectReference'), map(5, 'deprecatedTopology', 'string'), ptr(str(6, 'nodeName')),
    ptr(str(7, 'zone')), msg(8, 'hints', 'discovery/v1.EndpointHints'),
  ],
  'discovery/v1.EndpointConditions': [ptr(bool(1, 'ready')), ptr(bool(2, 'serving')), ptr(bool(3, 'terminating'))],
  'discovery/v1.EndpointHints': [
    list(msg(1, 'forZones', 'discovery/v1.ForZone')), list(msg(2, 'forNodes', 'discovery/v1.ForNode')),
  ],
  'discovery/v1.EndpointPort': [ptr(str(1, 'name')), ptr(str(2, 'protocol')), ptr(int32(3, 'port')), ptr(str(4, 'appProtocol'))],
  'discovery/v1.EndpointSlice': [
    msg(1, 'metadata', 'meta/v1.ObjectMeta'), str(4, 'addressType'), list(msg(2, 'endpoints', 'discovery/v1.Endpoint')),
    list(msg(3, 'ports', 'discovery/v1.EndpointPort')),
  ],
  'discovery/v1.ForNode': [str(1, 'name')],
  'discovery/v1.ForZone': [str(1, 'name')],

  // ---- coordination/v1 ----
  'coordination/v1.Lease': [msg(1, 'metadata', 'meta/v1.ObjectMeta'), msg(2, 'spec', 'coordination/v1.LeaseSpec')],
  'coordination/v1.LeaseSpec': [
    ptr(str(1, 'holderIdentity')), ptr(int32(2, 'leaseDurationSeconds')), ptr(microTime(3, 'acquireTime')),
    ptr(microTime(4, 'renewTime')), ptr(int32(5, 'leaseTransitions')), ptr(str(6, 'strategy')), ptr(str(7, 'preferredHolder')),
  ],

  // ---- events/v1 ----
  'events/v1.Event': [
    msg(1, 'metadata', 'meta/v1.ObjectMeta'), microTime(2, 'eventTime'), msg(3, 'series', 'events/v1.EventSeries'),
    str(4, 'reportingController'), str(5, 'reportingInstance'), str(6, 'action'), str(7, 'reason'),
    msg(8, 'regarding', 'core/v1.ObjectReference'), msg(9, 'related', 'core/v1.ObjectReference'), str(10, 'note'),
    str(11, 'type'), msg(12, 'deprecatedSource', 'core/v1.EventSource'), time(13, 'deprecatedFirstTimestamp'),
    time(14, 'deprecatedLastTimestamp'), int32(15, 'deprecatedCount'),
  ],
  'events/v1.EventSeries': [int32(1, 'count'), microTime(2, 'lastObservedTime')],

  // ---- autoscaling/v1 ----
  'autoscaling/v1.Scale': [
    msg(1, 'metadata', 'meta/v1.ObjectMeta'), msg(2, 'spec', 'autoscaling/v1.ScaleSpec'),
    msg(3, 'status', 'autoscaling/v1.ScaleStatus'),
  ],
  'autoscaling/v1.ScaleSpec': [int32(1, 'replicas')],
  'autoscaling/v1.ScaleStatus': [int32(1, 'replicas'), str(2, 'selector')],
};

/**
 * The top-level message of each kind a client may send, by apiVersion and kind.
 * DeleteOptions is registered in every group version, so decode.ts accepts it
 * under any apiVersion.
 */
export const kinds: Readonly<Record<string, string>> = {
  'v1/Namespace': 'core/v1.Namespace',
  'v1/Service': 'core/v1.Service',
  'v1/Pod': 'core/v1.Pod',
  'v1/ConfigMap': 'core/v1.ConfigMap',
  'v1/Secret': 'core/v1.Secret',
  'v1/ServiceAccount': 'core/v1.ServiceAccount',
  'v1/Endpoints': 'core/v1.Endpoints',
  'v1/Node': 'core/v1.Node',
  'v1/Event': 'core/v1.Event',
  'v1/Binding': 'core/v1.Binding',
  'apps/v1/Deployment': 'apps/v1.Deployment',
  'apps/v1/ReplicaSet': 'apps/v1.ReplicaSet',
  'apps/v1/StatefulSet': 'apps/v1.StatefulSet',
  'discovery.k8s.io/v1/EndpointSlice': 'discovery/v1.EndpointSlice',
  'coordination.k8s.io/v1/Lease': 'coordination/v1.Lease',
  'events.k8s.io/v1/Event': 'events/v1.Event',
  'autoscaling/v1/Scale': 'autoscaling/v1.Scale',
  'meta.k8s.io/v1/DeleteOptions': 'meta/v1.DeleteOptions',
};
