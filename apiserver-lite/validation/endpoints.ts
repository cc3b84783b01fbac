// core/v1 Endpoints validation: every subset has addresses, every address is
// a usable IP, ports are named when there are several.

import { FieldError, FieldReader, index, invalid, isObject, notSupported, required } from './field-errors.js';
import {
  invalidIPMessage,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidPortNum,
  nameIsDNSSubdomain,
  nonSpecialIPProblems,
  parseIP,
} from './names.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';

const protocols = ['SCTP', 'TCP', 'UDP'];

function validateAddress(addr: FieldReader): FieldError[] {
  const errs: FieldError[] = [];
  const ip = addr.string('ip') ?? '';
  if (parseIP(ip) === undefined) errs.push(invalid(addr.at('ip'), ip, invalidIPMessage));
  const hostname = addr.string('hostname') ?? '';
  if (hostname !== '') for (const msg of isDNS1123Label(hostname)) errs.push(invalid(addr.at('hostname'), hostname, msg));
  const nodeName = addr.string('nodeName');
  if (nodeName !== undefined) for (const msg of isDNS1123Subdomain(nodeName)) errs.push(invalid(addr.at('nodeName'), nodeName, msg));
  for (const msg of nonSpecialIPProblems(ip)) errs.push(invalid(addr.at('ip'), ip, msg));
  return errs;
}

function validateSubsets(obj: unknown, errs: FieldError[]): void {
  const root = FieldReader.of(isObject(obj) ? obj : {}, '', errs);
  for (const ss of root.objects('subsets')) {
    const addresses = ss.objects('addresses');
    const notReady = ss.objects('notReadyAddresses');
    if (addresses.length === 0 && notReady.length === 0) {
      errs.push(required(ss.path, 'must specify `addresses` or `notReadyAddresses`'));
    }
    for (const a of [...addresses, ...notReady]) errs.push(...validateAddress(a));
    const ports = ss.objects('ports');
    ports.forEach((p, i) => {
      const path = index(ss.at('ports'), i);
      const name = p.string('name') ?? '';
      if (ports.length > 1 && name === '') errs.push(required(`${path}.name`));
      else if (name !== '') for (const msg of isDNS1123Label(name)) errs.push(invalid(`${path}.name`, name, msg));
      const port = p.int('port') ?? 0;
      for (const msg of isValidPortNum(port)) errs.push(invalid(`${path}.port`, port, msg));
      const protocol = p.string('protocol') || 'TCP';
      if (!protocols.includes(protocol)) errs.push(notSupported(`${path}.protocol`, protocol, protocols));
      const appProtocol = p.string('appProtocol');
      if (appProtocol !== undefined) for (const msg of isQualifiedName(appProtocol)) errs.push(invalid(`${path}.appProtocol`, appProtocol, msg));
    });
  }
}

export function validateEndpoints(obj: unknown): FieldError[] {
  const errs = validateObjectMeta(obj, { namespaced: true, nameRule: nameIsDNSSubdomain });
  validateSubsets(obj, errs);
  return errs;
}

export function validateEndpointsUpdate(newObj: unknown, oldObj: unknown): FieldError[] {
  return [...validateObjectMetaUpdate(newObj, oldObj), ...validateEndpoints(newObj)];
}
