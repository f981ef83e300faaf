/**
 * What a protocol carver (HTTP now; SMTP, FTP later) hands to whoever stores files: each file as
 * a start, its bytes in order, the gaps in it, and an end. Bodies stream through this interface
 * so no carver ever holds a whole file. Environment-free.
 */
import type { Direction } from '../reassembly/stream-types.js';
import type { CarveProtocol, EmailFields, PartialInfo } from './carved-record.js';

/** The packet a byte arrived in: its time and 0-based index within the flow. */
export interface PacketMark {
  sec: number;
  nsec: number;
  packet: number;
}

/** Byte range of a partial representation (HTTP Content-Range), inclusive end. */
export interface ByteRange {
  start: number;
  end: number;
  /** Full length of the representation; null when the sender said "*". */
  total: number | null;
}

/** The HTTP exchange a file belongs to (request side fields are null when the request was not seen). */
export interface HttpContext {
  method: string | null;
  /** Request target as sent (origin-form, absolute-form, ...). */
  target: string | null;
  /** scheme://host/path?query when the host is known, else the target. */
  url: string | null;
  host: string | null;
  userAgent: string | null;
  status: number | null;
  /** 0-based position of the request within the connection (null when unpaired). */
  transaction: number | null;
  /** Validators that identify one representation across 206 responses. */
  etag: string | null;
  lastModified: string | null;
}

export type CarvedKind = 'body' | 'form-part' | 'range-part' | 'message' | 'mime-part' | 'transfer';

/** The HTTP context of a file that did not come from HTTP. */
export const NO_HTTP: HttpContext = { method: null, target: null, url: null, host: null, userAgent: null, status: null, transaction: null, etag: null, lastModified: null };

export interface FileStart {
  /** Unique within one carver, increasing. */
  id: number;
  kind: CarvedKind;
  /** The body a part was cut from (null for bodies). */
  parentId: number | null;
  /** Payload direction: from the client = upload, from the server = download. */
  direction: 'download' | 'upload';
  streamDir: Direction;
  /** Unsanitized name candidate (Content-Disposition filename, else the URL's last segment). */
  name: string | null;
  declaredType: string | null;
  /** Codings applied by the sender, in order of application (lowercase, identity removed). */
  codings: string[];
  /** Declared length of the bytes that follow (null when unknown: chunked or close-delimited). */
  declaredLength: number | null;
  range: ByteRange | null;
  http: HttpContext;
  /** Carved from (default http). */
  protocol?: CarveProtocol;
  /** Mail fields of a message. */
  email?: EmailFields | null;
  /** The file is knowingly a part of its object (POP3 TOP, IMAP partial fetch or section). */
  partial?: PartialInfo | null;
  first: PacketMark;
}

export interface FileEnd {
  /** Bytes delivered through onFileData. */
  size: number;
  /** Bytes known to be missing (gaps inside the file, or the unreceived rest of a declared length). */
  missingBytes: number;
  /** True when bytes are missing, the end was not seen (missingBytes may then be a lower bound), or the file is partial by design (FileStart.partial). */
  incomplete: boolean;
  /** Parse errors and notes for this file, in words (bounded). */
  notes: string[];
  last: PacketMark;
}

export interface CarveFileSink {
  onFileStart(f: FileStart): void;
  /** data is a view valid only during the call: copy what you keep. */
  onFileData(id: number, data: Uint8Array): void;
  /** `missing` bytes are absent at the current position of the file (never invented). */
  onFileGap(id: number, missing: number): void;
  onFileEnd(id: number, end: FileEnd): void;
  /** Information learned after the file started (an upload's response status); may come after onFileEnd. */
  onFileInfo?(id: number, info: { status: number }): void;
}
