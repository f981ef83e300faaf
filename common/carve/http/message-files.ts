/**
 * What a carved HTTP file knows about itself: the file template built from a message head and
 * the request it answers (name, URL, types, codings, range), and the templates of multipart
 * parts. Environment-free.
 */
import type { ByteRange, CarvedKind, HttpContext } from '../carve-sink.js';
import type { Direction } from '../../reassembly/stream-types.js';
import { parseContentRange } from '../range-coverage.js';
import type { FileHandle, FileTemplate } from './file-emitter.js';
import { header, headerParam, mediaType, type HeaderField, type RequestHead, type ResponseHead } from './http-head.js';
import { dispositionFilename, nameFromTarget } from './names.js';

export interface PendingRequest {
  transaction: number;
  method: string | null;
  target: string | null;
  url: string | null;
  host: string | null;
  userAgent: string | null;
  /** Upload files of this request, to receive the response status. */
  uploads: FileHandle[];
  /** HTTP/0.9 simple request: the response is raw bytes up to the close, without a head. */
  http09: boolean;
}

export interface Where {
  direction: 'upload' | 'download';
  streamDir: Direction;
}

/** What a body file knows without its own headers. */
export function bodyTemplate(where: Where, req: PendingRequest | null, resp: ResponseHead | null): FileTemplate {
  return {
    kind: 'body',
    parentId: null,
    direction: where.direction,
    streamDir: where.streamDir,
    name: req?.target ? nameFromTarget(req.target) : null,
    declaredType: null,
    codings: [],
    declaredLength: null,
    range: null,
    http: httpContext(req, resp),
  };
}

/** A body's template from the head that carries it. */
export function headTemplate(where: Where, h: RequestHead | ResponseHead, codings: string[], req: PendingRequest | null, resp: ResponseHead | null, declaredLength: number | null): FileTemplate {
  const ct = header(h.headers, 'content-type');
  const base = bodyTemplate(where, req, resp);
  return {
    ...base,
    name: dispositionFilename(header(h.headers, 'content-disposition')) ?? base.name,
    declaredType: ct === null ? null : ct.slice(0, 200),
    codings,
    declaredLength,
    range: resp && resp.status === 206 ? parseContentRange(header(h.headers, 'content-range')) : null,
  };
}

export function httpContext(req: PendingRequest | null, resp: ResponseHead | null): HttpContext {
  return {
    method: req?.method ?? null,
    target: req?.target ?? null,
    url: req?.url ?? null,
    host: req?.host ?? null,
    userAgent: req?.userAgent ?? null,
    status: resp?.status ?? null,
    transaction: req?.transaction ?? null,
    etag: resp ? header(resp.headers, 'etag') : null,
    lastModified: resp ? header(resp.headers, 'last-modified') : null,
  };
}

/** Whether a body is split into parts: form-data uploads and 206 byteranges, unencoded, with a usable boundary. */
export function multipartOf(h: RequestHead | ResponseHead, codings: string[], resp: ResponseHead | null): { kind: CarvedKind; boundary: string } | { note: string } | null {
  const ct = header(h.headers, 'content-type');
  const type = mediaType(ct);
  const kind: CarvedKind | null = type === 'multipart/form-data' && !resp ? 'form-part' : type === 'multipart/byteranges' && resp?.status === 206 ? 'range-part' : null;
  if (!kind || ct === null) return null;
  const boundary = headerParam(ct, 'boundary');
  if (!boundary || boundary.length > 200) return { note: `${type} without a usable boundary: parts not split` };
  if (codings.length > 0) return { note: `${type} body is content-encoded (${codings.join(', ')}): parts not split` };
  return { kind, boundary };
}

/**
 * The template of one part, or null when the part is not a file: a byterange part needs a
 * Content-Range; a form part needs a filename parameter or a non-text type (plain form fields
 * stay inside the whole body).
 */
export function partTemplate(parent: FileHandle, kind: CarvedKind, fields: HeaderField[]): FileTemplate | null {
  const cd = header(fields, 'content-disposition');
  const ct = header(fields, 'content-type');
  const p = parent.template;
  let range: ByteRange | null = null;
  let name: string | null;
  if (kind === 'range-part') {
    range = parseContentRange(header(fields, 'content-range'));
    if (!range) return null;
    name = p.name;
  } else {
    const filename = cd === null ? null : headerParam(cd, 'filename');
    const typed = ct !== null && mediaType(ct) !== 'text/plain';
    if (filename === null && !typed) return null;
    name = dispositionFilename(cd);
  }
  return {
    kind,
    parentId: parent.started ? parent.id : null,
    direction: p.direction,
    streamDir: p.streamDir,
    name,
    declaredType: ct === null ? null : ct.slice(0, 200),
    codings: kind === 'range-part' ? p.codings : [],
    declaredLength: range ? range.end - range.start + 1 : null,
    range,
    http: { ...p.http },
  };
}
