// Service validation with Kubernetes' rules and messages. The object seen
// here is final: defaulting has run and the allocators have filled in
// clusterIP(s) and node ports, so what is checked is what will be stored.
// Fields Kubernetes defaults (type, protocol, sessionAffinity, traffic
// policies) are accepted when absent.

import {
  FieldError,
  FieldReader,
  GoValue,
  duplicate,
  forbidden,
  goQuote,
  index,
  invalid,
  isObject,
  notSupported,
  required,
} from './field-errors.js';
import type { ValidationContext } from './index.js';
import {
  cidrContains,
  cidrLast,
  invalidCIDRMessage,
  invalidIPMessage,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidPortName,
  isValidPortNum,
  nameIsDNS1035Label,
  nonSpecialIPProblems,
  parseCIDR,
  parseIP,
} from './names.js';
import { validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';

const serviceTypes = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const protocols = ['SCTP', 'TCP', 'UDP'];
const sessionAffinities = ['ClientIP', 'None'];
const trafficPolicies = ['Cluster', 'Local'];
const ipFamilies = ['IPv4', 'IPv6'];
const ipFamilyPolicies = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
const trafficDistributions = ['PreferClose', 'PreferSameNode', 'PreferSameZone'];
const maxClientIPAffinitySeconds = 86400;
const lbSourceRangesAnnotation = 'service.beta.kubernetes.io/load-balancer-source-ranges';

/** The fields several rules (and the update rules) look at, read leniently. */
interface ServiceCore {
  type: string;
  /** clusterIPs as Kubernetes normalises them: [clusterIP] when only clusterIP is set. */
  clusterIPs: string[];
  headless: boolean;
  ipFamilies: string[];
  ipFamilyPolicy: string | undefined;
  loadBalancerClass: string | undefined;
  externalTrafficPolicy: string;
  healthCheckNodePort: number;
  externalIPs: string[];
}

function readCore(spec: FieldReader): ServiceCore {
  const type = spec.string('type') || 'ClusterIP';
  const clusterIP = spec.string('clusterIP') ?? '';
  const listed = spec.strings('clusterIPs') ?? [];
  const clusterIPs = clusterIP !== '' && listed.length === 0 ? [clusterIP] : listed;
  return {
    type,
    clusterIPs,
    headless: clusterIPs.length === 1 && clusterIPs[0] === 'None',
    ipFamilies: spec.strings('ipFamilies') ?? [],
    ipFamilyPolicy: spec.string('ipFamilyPolicy'),
    loadBalancerClass: spec.string('loadBalancerClass'),
    externalTrafficPolicy: spec.string('externalTrafficPolicy') ?? '',
    healthCheckNodePort: spec.int('healthCheckNodePort') ?? 0,
    externalIPs: spec.strings('externalIPs') ?? [],
  };
}

function specOf(obj: unknown, errs: FieldError[]): FieldReader {
  return FieldReader.of(isObject(obj) ? obj['spec'] : undefined, 'spec', errs);
}

function externallyAccessible(s: ServiceCore): boolean {
  return s.type === 'LoadBalancer' || s.type === 'NodePort' || (s.type === 'ClusterIP' && s.externalIPs.length > 0);
}

function needsHealthCheck(s: ServiceCore): boolean {
  return s.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local';
}

function nodePortRangeText(ctx: ValidationContext): string {
  return `${ctx.nodePortRange.base}-${ctx.nodePortRange.base + ctx.nodePortRange.size - 1}`;
}

function inNodePortRange(port: number, ctx: ValidationContext): boolean {
  return port >= ctx.nodePortRange.base && port < ctx.nodePortRange.base + ctx.nodePortRange.size;
}

/** Go prints the (protocol, port) key of a duplicate port as this core.ServicePort literal. */
function servicePortKey(protocol: string, port: number): GoValue {
  return new GoValue(
    `core.ServicePort{Name:"", Protocol:${goQuote(protocol)}, AppProtocol:(*string)(nil), Port:${port}, ` +
      `TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`,
  );
}

function validatePorts(spec: FieldReader, core: ServiceCore, ctx: ValidationContext): FieldError[] {
  const errs: FieldError[] = [];
  const portsPath = spec.at('ports');
  const ports = spec.objects('ports');
  const names = new Set<string>();
  const seenPorts = new Set<string>();
  const seenNodePorts = new Set<string>();
  ports.forEach((p, i) => {
    const path = index(portsPath, i);
    const name = p.string('name') ?? '';
    if (ports.length > 1 && name === '') {
      errs.push(required(`${path}.name`));
    } else if (name !== '') {
      for (const msg of isDNS1123Label(name)) errs.push(invalid(`${path}.name`, name, msg));
      if (names.has(name)) errs.push(duplicate(`${path}.name`, name));
      else names.add(name);
    }

    const port = p.int('port') ?? 0;
    for (const msg of isValidPortNum(port)) errs.push(invalid(`${path}.port`, port, msg));

    const protocol = p.string('protocol') || 'TCP';
    if (!protocols.includes(protocol)) errs.push(notSupported(`${path}.protocol`, protocol, protocols));

    // targetPort 0 or "" means "same as port" (it is defaulted), anything else must be valid.
    const target = p.intOrString('targetPort');
    if (typeof target === 'number' && target !== 0) {
      for (const msg of isValidPortNum(target)) errs.push(invalid(`${path}.targetPort`, target, msg));
    } else if (typeof target === 'string' && target !== '') {
      for (const msg of isValidPortName(target)) errs.push(invalid(`${path}.targetPort`, target, msg));
    }

    const appProtocol = p.string('appProtocol');
    if (appProtocol !== undefined) {
      for (const msg of isQualifiedName(appProtocol)) errs.push(invalid(`${path}.appProtocol`, appProtocol, msg));
    }

    const nodePort = p.int('nodePort') ?? 0;
    if (nodePort !== 0) {
      if (core.type === 'ClusterIP' || core.type === 'ExternalName') {
        errs.push(forbidden(`${path}.nodePort`, `may not be used when \`type\` is '${core.type}'`));
      } else if (!inNodePortRange(nodePort, ctx)) {
        errs.push(
          invalid(
            `${path}.nodePort`,
            nodePort,
            `provided port is not in the valid range. The range of valid ports is ${nodePortRangeText(ctx)}`,
          ),
        );
      }
      const npKey = `${protocol}/${nodePort}`;
      if (seenNodePorts.has(npKey)) errs.push(duplicate(`${path}.nodePort`, nodePort));
      seenNodePorts.add(npKey);
    }

    const portKey = `${protocol}/${port}`;
    if (seenPorts.has(portKey)) errs.push(duplicate(path, servicePortKey(protocol, port)));
    seenPorts.add(portKey);
  });
  return errs;
}

/** clusterIP(s), ipFamilies and ipFamilyPolicy, and the range the cluster hands ClusterIPs out of. */
function validateClusterIPs(spec: FieldReader, core: ServiceCore, ctx: ValidationContext): FieldError[] {
  if (core.type === 'ExternalName') return [];
  const errs: FieldError[] = [];
  const ipsPath = spec.at('clusterIPs');
  const familiesPath = spec.at('ipFamilies');

  const clusterIP = spec.string('clusterIP') ?? '';
  const listed = spec.strings('clusterIPs') ?? [];
  if (clusterIP !== '' && listed.length > 0 && listed[0] !== clusterIP) {
    errs.push(invalid(ipsPath, listed, 'first value must match `clusterIP`'));
  }

  const seenFamilies = new Set<string>();
  core.ipFamilies.forEach((f, i) => {
    if (!ipFamilies.includes(f)) errs.push(notSupported(index(familiesPath, i), f, ipFamilies));
    if (seenFamilies.has(f)) errs.push(duplicate(index(familiesPath, i), f));
    seenFamilies.add(f);
  });
  if (core.ipFamilyPolicy !== undefined && !ipFamilyPolicies.includes(core.ipFamilyPolicy)) {
    errs.push(notSupported(spec.at('ipFamilyPolicy'), core.ipFamilyPolicy, ipFamilyPolicies));
  }

  const ips = core.clusterIPs;
  let hasInvalid = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (ips.length > 1) {
        hasInvalid = true;
        errs.push(invalid(ipsPath, ips, "'None' must be the first and only value"));
      }
      return;
    }
    if (parseIP(ip) === undefined) {
      hasInvalid = true;
      errs.push(invalid(index(ipsPath, i), ip, invalidIPMessage));
    }
  });
  if (ips.length > 2) errs.push(invalid(ipsPath, ips, 'may only hold up to 2 values'));
  // Further checks would only restate the bad addresses already reported.
  if (hasInvalid) return errs;

  const parsed = core.headless ? [] : ips.map((ip) => parseIP(ip)).filter((p) => p !== undefined);
  if (parsed.length > 1 && (parsed.length !== 2 || parsed[0]?.family === parsed[1]?.family)) {
    errs.push(invalid(ipsPath, ips, 'may specify no more than one IP for each IP family'));
  }
  parsed.forEach((ip, i) => {
    const family = core.ipFamilies[i];
    if (family === 'IPv4' && ip.family === 6) {
      errs.push(invalid(index(ipsPath, i), ips[i], `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
    }
    if (family === 'IPv6' && ip.family === 4) {
      errs.push(invalid(index(ipsPath, i), ips[i], `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
    }
  });

  // The allocator ran before validation, so a ClusterIP outside the service range is a user's request it could not honour.
  const ranges = ctx.serviceCIDR
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  parsed.forEach((ip, i) => {
    const text = ips[i] ?? '';
    const sameFamily = ranges.filter((r) => parseCIDR(r)?.family === ip.family);
    const inside = sameFamily.some((r) => {
      const cidr = parseCIDR(r);
      if (cidr === undefined || !cidrContains(cidr, ip)) return false;
      // The network address (and the IPv4 broadcast address) are never handed out.
      if (ip.value === cidr.network) return false;
      return !(cidr.family === 4 && ip.value === cidrLast(cidr));
    });
    if (!inside) {
      const range = sameFamily.length > 0 ? sameFamily.join(',') : ctx.serviceCIDR;
      errs.push(
        invalid(
          ipsPath,
          ips,
          `failed to allocate IP ${text}: the provided IP (${text}) is not in the valid range. The range of valid IPs is ${range}`,
        ),
      );
    }
  });
  return errs;
}

function validateTypeRules(spec: FieldReader, core: ServiceCore): FieldError[] {
  const errs: FieldError[] = [];
  const ipsPath = spec.at('clusterIPs');
  if ((core.type === 'LoadBalancer' || core.type === 'NodePort') && core.headless) {
    errs.push(invalid(index(ipsPath, 0), 'None', `may not be set to 'None' for ${core.type} services`));
  }
  if (core.type === 'ExternalName') {
    if (core.clusterIPs.length > 0) errs.push(forbidden(ipsPath, 'may not be set for ExternalName services'));
    if (core.ipFamilies.length > 0) errs.push(forbidden(spec.at('ipFamilies'), 'may not be set for ExternalName services'));
    if (core.ipFamilyPolicy !== undefined) {
      errs.push(forbidden(spec.at('ipFamilyPolicy'), 'may not be set for ExternalName services'));
    }
    // A CNAME may carry the trailing dot of a fully qualified name.
    const raw = spec.string('externalName') ?? '';
    const cname = raw.endsWith('.') ? raw.slice(0, -1) : raw;
    if (cname === '') errs.push(required(spec.at('externalName')));
    else for (const msg of isDNS1123Subdomain(cname)) errs.push(invalid(spec.at('externalName'), cname, msg));
  }
  return errs;
}

function validateSessionAffinity(spec: FieldReader): FieldError[] {
  const errs: FieldError[] = [];
  const affinity = spec.string('sessionAffinity') || 'None';
  if (!sessionAffinities.includes(affinity)) {
    errs.push(notSupported(spec.at('sessionAffinity'), affinity, sessionAffinities));
  }
  const config = spec.object('sessionAffinityConfig');
  if (affinity === 'ClientIP' && config !== undefined) {
    // Absent parts are defaulted (timeoutSeconds 10800); present ones must be in range.
    const timeout = config.object('clientIP')?.int('timeoutSeconds');
    if (timeout !== undefined && (timeout <= 0 || timeout > maxClientIPAffinitySeconds)) {
      errs.push(
        invalid(
          `${config.path}.clientIP.timeoutSeconds`,
          timeout,
          `must be greater than 0 and less than ${maxClientIPAffinitySeconds}`,
        ),
      );
    }
  } else if (affinity === 'None' && config !== undefined) {
    errs.push(forbidden(spec.at('sessionAffinityConfig'), 'must not be set when session affinity is None'));
  }
  return errs;
}

function validateExternalIPs(spec: FieldReader, core: ServiceCore): FieldError[] {
  const errs: FieldError[] = [];
  core.externalIPs.forEach((ip, i) => {
    const path = index(spec.at('externalIPs'), i);
    if (parseIP(ip) === undefined) errs.push(invalid(path, ip, invalidIPMessage));
    else for (const msg of nonSpecialIPProblems(ip)) errs.push(invalid(path, ip, msg));
  });
  return errs;
}

function validateLoadBalancerFields(obj: unknown, spec: FieldReader, core: ServiceCore): FieldError[] {
  const errs: FieldError[] = [];
  const isLB = core.type === 'LoadBalancer';
  const onlyLB = "may only be used when `type` is 'LoadBalancer'";
  const ranges = spec.strings('loadBalancerSourceRanges') ?? [];
  if (ranges.length > 0) {
    // Kubernetes reports this field with a capital L; kept so messages match.
    const path = 'spec.LoadBalancerSourceRanges';
    if (!isLB) errs.push(forbidden(path, onlyLB));
    ranges.forEach((r, i) => {
      // Space padding is tolerated, a leftover of the annotation this field replaced.
      const v = r.trim();
      if (parseCIDR(v) === undefined) errs.push(invalid(index(path, i), v, invalidCIDRMessage));
    });
  } else {
    const annotations = isObject(obj) && isObject(obj['metadata']) ? obj['metadata']['annotations'] : undefined;
    const val = isObject(annotations) ? annotations[lbSourceRangesAnnotation] : undefined;
    if (typeof val === 'string') {
      const path = `metadata.annotations[${lbSourceRangesAnnotation}]`;
      if (!isLB) errs.push(forbidden(path, onlyLB));
      const trimmed = val.trim();
      if (trimmed !== '') {
        for (const part of trimmed.split(',')) {
          const v = part.trim();
          if (parseCIDR(v) === undefined) errs.push(invalid(path, v, invalidCIDRMessage));
        }
      }
    }
  }
  if (spec.has('allocateLoadBalancerNodePorts')) {
    spec.bool('allocateLoadBalancerNodePorts');
    if (!isLB) errs.push(forbidden(spec.at('allocateLoadBalancerNodePorts'), onlyLB));
  }
  if (core.loadBalancerClass !== undefined) {
    if (isLB) {
      for (const msg of isQualifiedName(core.loadBalancerClass)) {
        errs.push(invalid(spec.at('loadBalancerClass'), core.loadBalancerClass, msg));
      }
    } else {
      errs.push(forbidden(spec.at('loadBalancerClass'), onlyLB));
    }
  }
  return errs;
}

function validateTrafficPolicies(spec: FieldReader, core: ServiceCore, ctx: ValidationContext): FieldError[] {
  const errs: FieldError[] = [];
  const etp = core.externalTrafficPolicy;
  if (!externallyAccessible(core)) {
    if (etp !== '') {
      errs.push(invalid(spec.at('externalTrafficPolicy'), etp, 'may only be set for externally-accessible services'));
    }
  } else if (etp !== '' && !trafficPolicies.includes(etp)) {
    errs.push(notSupported(spec.at('externalTrafficPolicy'), etp, trafficPolicies));
  }

  const hc = core.healthCheckNodePort;
  const hcPath = spec.at('healthCheckNodePort');
  if (!needsHealthCheck(core)) {
    if (hc !== 0) {
      errs.push(invalid(hcPath, hc, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
    }
  } else if (hc !== 0) {
    const portErrs = isValidPortNum(hc);
    for (const msg of portErrs) errs.push(invalid(hcPath, hc, msg));
    if (portErrs.length === 0 && !inNodePortRange(hc, ctx)) {
      errs.push(
        invalid(
          hcPath,
          hc,
          `failed to allocate requested HealthCheck NodePort ${hc}: provided port is not in the valid range. ` +
            `The range of valid ports is ${nodePortRangeText(ctx)}`,
        ),
      );
    }
  }

  const itp = spec.string('internalTrafficPolicy');
  if (itp !== undefined && itp !== '' && !trafficPolicies.includes(itp)) {
    errs.push(notSupported(spec.at('internalTrafficPolicy'), itp, trafficPolicies));
  }
  const td = spec.string('trafficDistribution');
  if (td !== undefined && !trafficDistributions.includes(td)) {
    errs.push(notSupported(spec.at('trafficDistribution'), td, trafficDistributions));
  }
  return errs;
}

export function validateService(obj: unknown, ctx: ValidationContext): FieldError[] {
  const errs = validateObjectMeta(obj, { namespaced: true, nameRule: nameIsDNS1035Label });
  const spec = specOf(obj, errs);
  const core = readCore(spec);

  const portsRaw = spec.raw('ports');
  const portsMistyped = portsRaw !== undefined && portsRaw !== null && !Array.isArray(portsRaw);
  const portCount = Array.isArray(portsRaw) ? portsRaw.length : 0;
  if (portCount === 0 && !portsMistyped && !core.headless && core.type !== 'ExternalName') {
    errs.push(required(spec.at('ports')));
  }
  errs.push(...validateTypeRules(spec, core));
  errs.push(...validatePorts(spec, core, ctx));
  errs.push(...validateLabels(spec.stringMap('selector'), spec.at('selector')));
  errs.push(...validateSessionAffinity(spec));
  errs.push(...validateClusterIPs(spec, core, ctx));
  errs.push(...validateExternalIPs(spec, core));
  if (!serviceTypes.includes(core.type)) errs.push(notSupported(spec.at('type'), core.type, serviceTypes));
  errs.push(...validateLoadBalancerFields(obj, spec, core));
  errs.push(...validateTrafficPolicies(spec, core, ctx));
  return errs;
}

/**
 * Update rules on top of validateService: the primary ClusterIP and IP family
 * never change (a secondary may be added or, with SingleStack, released),
 * loadBalancerClass is fixed while the Service stays a LoadBalancer, and so is
 * healthCheckNodePort while one is needed. Changing `type` itself is allowed;
 * dropping the fields the new type cannot have (clusterIPs when becoming
 * ExternalName, node ports when becoming ClusterIP) is the caller's strategy
 * step, as in Kubernetes, and what remains is validated here.
 */
export function validateServiceUpdate(newObj: unknown, oldObj: unknown, ctx: ValidationContext): FieldError[] {
  const errs = validateObjectMetaUpdate(newObj, oldObj);
  const scratch: FieldError[] = [];
  const now = readCore(specOf(newObj, scratch));
  const before = readCore(specOf(oldObj, scratch));
  errs.push(...validateClusterIPsUpdate(now, before));
  errs.push(...validateIPFamiliesUpdate(now, before));
  if (now.type === 'LoadBalancer' && before.type === 'LoadBalancer' && now.loadBalancerClass !== before.loadBalancerClass) {
    errs.push(invalid('spec.loadBalancerClass', now.loadBalancerClass ?? null, 'may not change once set'));
  }
  if (needsHealthCheck(now) && needsHealthCheck(before) && now.healthCheckNodePort !== before.healthCheckNodePort) {
    errs.push(forbidden('spec.healthCheckNodePort', 'field is immutable'));
  }
  errs.push(...validateService(newObj, ctx));
  return errs;
}

function validateClusterIPsUpdate(now: ServiceCore, before: ServiceCore): FieldError[] {
  if (now.type === 'ExternalName' || before.type === 'ExternalName') return [];
  if (now.headless && before.headless) return [];
  const errs: FieldError[] = [];
  const newIPs = now.clusterIPs;
  const oldIPs = before.clusterIPs;
  const path0 = 'spec.clusterIPs[0]';
  if (newIPs.length === oldIPs.length) {
    oldIPs.forEach((ip, i) => {
      if (ip !== newIPs[i]) errs.push(invalid(`spec.clusterIPs[${i}]`, newIPs, 'may not change once set'));
    });
  } else if (oldIPs.length > newIPs.length) {
    if (newIPs.length === 0) errs.push(invalid(path0, newIPs, 'primary clusterIP can not be unset'));
    if (oldIPs.length > 0 && newIPs.length > 0 && newIPs[0] !== oldIPs[0]) {
      errs.push(invalid(path0, newIPs, 'may not change once set'));
    }
    if (newIPs.length === 1 && now.ipFamilyPolicy !== 'SingleStack') {
      errs.push(
        invalid('spec.ipFamilyPolicy', now.ipFamilyPolicy ?? null, "must be set to 'SingleStack' when releasing the secondary clusterIP"),
      );
    }
  } else if (oldIPs.length > 0 && newIPs[0] !== oldIPs[0]) {
    errs.push(invalid(path0, newIPs, 'may not change once set'));
  }
  return errs;
}

function validateIPFamiliesUpdate(now: ServiceCore, before: ServiceCore): FieldError[] {
  if (now.type === 'ExternalName' || before.type === 'ExternalName') return [];
  // Headless Services may change families, and so may a change to or from headless.
  if (now.headless || before.headless) return [];
  const errs: FieldError[] = [];
  const path0 = 'spec.ipFamilies[0]';
  const newF = now.ipFamilies;
  const oldF = before.ipFamilies;
  // An unset list on either side has not been defaulted yet; there is nothing to compare.
  if (newF.length === 0 || oldF.length === 0) return errs;
  if (newF.length === oldF.length) {
    if (oldF.some((f, i) => f !== newF[i])) errs.push(invalid(path0, newF, 'may not change once set'));
  } else {
    if (newF[0] !== oldF[0]) errs.push(invalid(path0, newF, 'may not change once set'));
    if (newF.length < oldF.length && newF.length === 1 && now.ipFamilyPolicy !== 'SingleStack') {
      errs.push(
        invalid('spec.ipFamilyPolicy', now.ipFamilyPolicy ?? null, "must be set to 'SingleStack' when releasing the secondary ipFamily"),
      );
    }
  }
  return errs;
}
