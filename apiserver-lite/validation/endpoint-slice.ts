// discovery.k8s.io/v1 EndpointSlice validation: a known addressType (fixed
// once created), at most 1000 endpoints of 1-100 addresses valid for that
// type, and at most 100 uniquely named ports.

import { FieldError, FieldReader, duplicate, index, invalid, isObject, notSupported, required, tooMany, validateImmutableField } from './field-errors.js';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isFullyQualifiedDomainName,
  isQualifiedName,
  isValidPortNum,
  nameIsDNSSubdomain,
  nonSpecialIPProblems,
  parseIP,
} from './names.js';
import { validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';

const addressTypes = ['FQDN', 'IPv4', 'IPv6'];
const protocols = ['SCTP', 'TCP', 'UDP'];
const maxEndpoints = 1000;
const maxAddresses = 100;
const maxPorts = 100;
const maxTopologyLabels = 16;

function validateAddress(addressType: string, address: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (addressType === 'IPv4' || addressType === 'IPv6') {
    const ip = parseIP(address);
    const want = addressType === 'IPv4' ? 4 : 6;
    if (ip === undefined || ip.family !== want) errs.push(invalid(path, address, `must be a valid ${addressType} address`));
    for (const msg of nonSpecialIPProblems(address)) errs.push(invalid(path, address, msg));
  } else if (addressType === 'FQDN') {
    if (address === '') {
      errs.push(required(path));
    } else {
      const r = isFullyQualifiedDomainName(address);
      for (const msg of r.errs) errs.push(invalid(path, r.value, msg));
    }
  }
  return errs;
}

export function validateEndpointSlice(obj: unknown): FieldError[] {
  const errs = validateObjectMeta(obj, { namespaced: true, nameRule: nameIsDNSSubdomain });
  const root = FieldReader.of(isObject(obj) ? obj : {}, '', errs);

  const addressType = root.string('addressType') ?? '';
  if (addressType === '') errs.push(required('addressType'));
  else if (!addressTypes.includes(addressType)) errs.push(notSupported('addressType', addressType, addressTypes));

  const endpointsRaw = root.array('endpoints') ?? [];
  if (endpointsRaw.length > maxEndpoints) {
    errs.push(tooMany('endpoints', endpointsRaw.length, maxEndpoints));
  } else {
    for (const ep of root.objects('endpoints')) {
      const addrPath = ep.at('addresses');
      const addresses = ep.strings('addresses') ?? [];
      if (addresses.length === 0) errs.push(required(addrPath, 'must contain at least 1 address'));
      else if (addresses.length > maxAddresses) errs.push(tooMany(addrPath, addresses.length, maxAddresses));
      addresses.forEach((a, i) => errs.push(...validateAddress(addressType, a, index(addrPath, i))));

      const topology = ep.stringMap('deprecatedTopology');
      if (topology !== undefined && Object.keys(topology).length > maxTopologyLabels) {
        errs.push(tooMany(ep.at('deprecatedTopology'), Object.keys(topology).length, maxTopologyLabels));
      }
      errs.push(...validateLabels(topology, ep.at('deprecatedTopology')));
      const hostname = ep.string('hostname');
      if (hostname !== undefined) for (const msg of isDNS1123Label(hostname)) errs.push(invalid(ep.at('hostname'), hostname, msg));
      const nodeName = ep.string('nodeName');
      if (nodeName !== undefined) for (const msg of isDNS1123Subdomain(nodeName)) errs.push(invalid(ep.at('nodeName'), nodeName, msg));
      const conditions = ep.object('conditions');
      for (const c of ['ready', 'serving', 'terminating']) conditions?.bool(c);
      ep.string('zone');
    }
  }

  const portsRaw = root.array('ports') ?? [];
  if (portsRaw.length > maxPorts) {
    errs.push(tooMany('ports', portsRaw.length, maxPorts));
  } else {
    const names = new Set<string>();
    for (const p of root.objects('ports')) {
      const name = p.string('name') ?? '';
      if (name !== '') for (const msg of isDNS1123Label(name)) errs.push(invalid(p.at('name'), name, msg));
      if (names.has(name)) errs.push(duplicate(p.at('name'), name));
      else names.add(name);
      const port = p.int('port');
      if (port !== undefined) for (const msg of isValidPortNum(port)) errs.push(invalid(p.at('port'), port, msg));
      const protocol = p.string('protocol') || 'TCP';
      if (!protocols.includes(protocol)) errs.push(notSupported(p.at('protocol'), protocol, protocols));
      const appProtocol = p.string('appProtocol');
      if (appProtocol !== undefined) for (const msg of isQualifiedName(appProtocol)) errs.push(invalid(p.at('appProtocol'), appProtocol, msg));
    }
  }
  return errs;
}

export function validateEndpointSliceUpdate(newObj: unknown, oldObj: unknown): FieldError[] {
  const errs = validateObjectMetaUpdate(newObj, oldObj);
  errs.push(...validateEndpointSlice(newObj));
  const now = isObject(newObj) ? newObj['addressType'] : undefined;
  const before = isObject(oldObj) ? oldObj['addressType'] : undefined;
  errs.push(...validateImmutableField(now, before, 'addressType'));
  return errs;
}
