// Errors the API returns, in Kubernetes' own shape: every failure becomes a
// meta/v1 Status with a reason, an HTTP code and (for Invalid) field causes.
import type { Status, StatusCause, StatusReason } from '../kube/api/meta.js';

export interface ResourceRef {
  /** API group ("" for core). */
  group: string;
  /** Plural resource name, e.g. "services". */
  resource: string;
  kind?: string;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: Status['details'],
  ) {
    super(message);
  }

  toStatus(): Status {
    const status: Status = {
      apiVersion: 'v1',
      kind: 'Status',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) status.details = this.details;
    return status;
  }
}

/** "services" or "deployments.apps", as Kubernetes names a resource in messages. */
export function qualifiedResource(ref: ResourceRef): string {
  return ref.group ? `${ref.resource}.${ref.group}` : ref.resource;
}

export function notFound(ref: ResourceRef, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualifiedResource(ref)} "${name}" not found`, {
    name,
    group: ref.group,
    kind: ref.resource,
  });
}

export function alreadyExists(ref: ResourceRef, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualifiedResource(ref)} "${name}" already exists`, {
    name,
    group: ref.group,
    kind: ref.resource,
  });
}

export function conflict(ref: ResourceRef, name: string, why: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(ref)} "${name}": ${why}`,
    { name, group: ref.group, kind: ref.resource },
  );
}

export function invalid(kind: string, group: string, name: string, causes: StatusCause[], message: string): ApiError {
  return new ApiError(422, 'Invalid', message, { name, group, kind, causes });
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}

export function forbidden(message: string, ref?: ResourceRef, name?: string): ApiError {
  const details: Status['details'] = {};
  if (name) details.name = name;
  if (ref) {
    details.group = ref.group;
    details.kind = ref.resource;
  }
  return new ApiError(403, 'Forbidden', message, details);
}

export function expired(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

export function methodNotAllowed(message: string): ApiError {
  return new ApiError(405, 'MethodNotAllowed', message);
}

export function unsupportedMediaType(contentType: string, message?: string): ApiError {
  return new ApiError(415, 'UnsupportedMediaType', message ?? `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`, {
    causes: [{ reason: 'UnsupportedMediaType', message: contentType }],
  });
}

export function tooLarge(limitBytes: number): ApiError {
  return new ApiError(413, 'RequestEntityTooLarge', `the server has received a request that is too large: limit is ${limitBytes} bytes`);
}

export function notAcceptable(message: string): ApiError {
  return new ApiError(406, 'NotAcceptable', message);
}

export function internalError(message: string): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`);
}

export function serviceUnavailable(message: string): ApiError {
  return new ApiError(503, 'ServiceUnavailable', message);
}
