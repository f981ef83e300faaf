/**
 * The MIME tree of a whole message held in memory, walked the way Python's email package walks it
 * (the corpus oracle's imf_mime_parts): depth-first, the root is part 0, containers (multipart/*,
 * message/rfc822) count, the line break before a boundary belongs to the boundary. Each node
 * keeps the byte range of its body in the message, so a leaf's payload is decoded from the exact
 * bytes sent (postal-mime normalizes text and cannot give them). Bounded: at most MAX_PARTS
 * nodes, MAX_DEPTH levels. Environment-free.
 */
import { decodeBase64, decodeQuotedPrintable, field, lineBounds, parseParameterized, readHeaderBlock, decodeEncodedWords, type HeaderField } from './mime-headers.js';

export const MAX_PARTS = 10_000;
export const MAX_DEPTH = 32;

export type MimeNodeKind = 'multipart' | 'message' | 'leaf';

export interface MimeNode {
  /** Position in the depth-first walk (0 = the message itself). */
  index: number;
  depth: number;
  kind: MimeNodeKind;
  /** Lowercase type/subtype (text/plain when not declared). */
  contentType: string;
  /** Content-Type as sent (null when absent). */
  declaredType: string | null;
  /** Decoded file name (Content-Disposition filename, else Content-Type name); null when none. */
  filename: string | null;
  /** Lowercase disposition type (attachment, inline) or null. */
  disposition: string | null;
  /** Lowercase Content-Transfer-Encoding or null. */
  transferEncoding: string | null;
  /** Range of the whole part (headers + body) and of its body, in the message bytes. */
  start: number;
  end: number;
  bodyStart: number;
  bodyEnd: number;
  fields: HeaderField[];
}

export interface MimeTree {
  nodes: MimeNode[];
  /** Parsing limits hit and structural problems, in words (bounded). */
  notes: string[];
}

export function walkMime(data: Uint8Array, start = 0, end = data.length): MimeTree {
  const nodes: MimeNode[] = [];
  const notes: string[] = [];
  const note = (n: string): void => {
    if (notes.length < 16 && !notes.includes(n)) notes.push(n);
  };
  const visit = (s: number, e: number, depth: number): void => {
    if (nodes.length >= MAX_PARTS) return note(`more than ${MAX_PARTS} MIME parts: the rest is not split`);
    const h = readHeaderBlock(data, s, e);
    const ctRaw = field(h.fields, 'content-type');
    const ct = parseParameterized(ctRaw ?? '');
    const contentType = /^[\x21-\x7e]+\/[\x21-\x7e]+$/.test(ct.value) ? ct.value : 'text/plain';
    const cd = field(h.fields, 'content-disposition');
    const disp = cd === null ? null : parseParameterized(cd);
    const rawName = disp?.params.get('filename') ?? ct.params.get('name') ?? null;
    const cte = field(h.fields, 'content-transfer-encoding');
    const node: MimeNode = {
      index: nodes.length,
      depth,
      kind: 'leaf',
      contentType,
      declaredType: ctRaw,
      filename: rawName === null ? null : decodeEncodedWords(rawName),
      disposition: disp && disp.value ? disp.value : null,
      transferEncoding: cte === null ? null : cte.toLowerCase(),
      start: s,
      end: e,
      bodyStart: h.bodyStart,
      bodyEnd: e,
      fields: h.fields,
    };
    nodes.push(node);
    if (depth >= MAX_DEPTH) {
      if (contentType.startsWith('multipart/') || contentType === 'message/rfc822') note(`MIME nesting deeper than ${MAX_DEPTH}: inner parts not split`);
      return;
    }
    const boundary = ct.params.get('boundary');
    if (contentType.startsWith('multipart/') && boundary) {
      node.kind = 'multipart';
      for (const [ps, pe] of splitMultipart(data, h.bodyStart, e, boundary, note)) visit(ps, pe, depth + 1);
    } else if (contentType === 'message/rfc822') {
      node.kind = 'message';
      visit(h.bodyStart, e, depth + 1);
    }
  };
  visit(start, end, 0);
  return { nodes, notes };
}

/** Ranges of the body parts between `--boundary` delimiter lines (the line break before a delimiter excluded). */
export function splitMultipart(data: Uint8Array, s: number, e: number, boundary: string, note: (n: string) => void = () => undefined): [number, number][] {
  const delim = new Uint8Array(boundary.length + 2);
  delim[0] = delim[1] = 0x2d;
  for (let i = 0; i < boundary.length; i++) delim[i + 2] = boundary.charCodeAt(i) & 0xff;
  const parts: [number, number][] = [];
  let partStart = -1;
  let at = s;
  let closed = false;
  let prevLineEnd = s;
  while (at < e) {
    const [lineEnd, next] = lineBounds(data, at, e);
    const kind = delimiterKind(data, at, lineEnd, delim);
    if (kind !== 0) {
      // the line break ending the previous line belongs to the delimiter
      if (partStart >= 0) parts.push([partStart, Math.max(partStart, at === s ? at : prevLineEnd)]);
      if (kind === 2) {
        closed = true;
        break;
      }
      partStart = next;
    }
    prevLineEnd = lineEnd;
    at = next;
  }
  if (!closed) {
    if (partStart >= 0) parts.push([partStart, e]);
    note(partStart >= 0 ? 'a multipart body has no closing boundary' : 'a multipart body has no boundary line');
  }
  return parts;
}

/** 0: not a delimiter; 1: `--b`; 2: `--b--` (trailing blanks allowed, as Python's parser does). */
function delimiterKind(data: Uint8Array, at: number, lineEnd: number, delim: Uint8Array): 0 | 1 | 2 {
  if (lineEnd - at < delim.length) return 0;
  for (let i = 0; i < delim.length; i++) if (data[at + i] !== delim[i]) return 0;
  let i = at + delim.length;
  let kind: 1 | 2 = 1;
  if (i + 1 < lineEnd + 1 && data[i] === 0x2d && data[i + 1] === 0x2d && i + 2 <= lineEnd) {
    kind = 2;
    i += 2;
  }
  for (; i < lineEnd; i++) if (data[i] !== 0x20 && data[i] !== 0x09) return 0;
  return kind;
}

/** A leaf's payload decoded from its transfer encoding (base64, quoted-printable; anything else as sent). */
export function decodeLeaf(data: Uint8Array, node: MimeNode): { bytes: Uint8Array; decoded: boolean } {
  const te = node.transferEncoding?.trim();
  if (te === 'base64') return { bytes: decodeBase64(data, node.bodyStart, node.bodyEnd), decoded: true };
  if (te === 'quoted-printable') return { bytes: decodeQuotedPrintable(data, node.bodyStart, node.bodyEnd), decoded: true };
  return { bytes: data.subarray(node.bodyStart, node.bodyEnd), decoded: false };
}
