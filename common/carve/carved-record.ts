/**
 * The metadata record of one carved file, as stored next to the content (one JSON line each) and
 * as `tapline carve --json` and the API will print it. One zod schema is both the type and the
 * check applied when records are read back from disk. Environment-free.
 */
import { z } from 'zod';

const hex = (n: number) => z.string().regex(new RegExp(`^[0-9a-f]{${n}}$`));

export const CARVED_KINDS = ['body', 'form-part', 'range-part', 'range-assembled', 'message', 'mime-part', 'transfer'] as const;

/** The protocol a file was carved from (ftp-data: the data connection, named by its control channel). */
export const CARVE_PROTOCOLS = ['http', 'smtp', 'pop3', 'imap', 'ftp-data', 'tftp'] as const;
export type CarveProtocol = (typeof CARVE_PROTOCOLS)[number];

/** Who sent a mail to whom: the message headers (decoded) and, for SMTP, the envelope. */
export const emailFieldsSchema = z.object({
  from: z.string().max(2048).nullable(),
  to: z.array(z.string().max(2048)).max(1000),
  cc: z.array(z.string().max(2048)).max(1000),
  subject: z.string().max(4096).nullable(),
  messageId: z.string().max(1024).nullable(),
  date: z.string().max(256).nullable(),
  /** SMTP MAIL FROM and RCPT TO (null/empty for POP3, IMAP and nested messages). */
  envelopeFrom: z.string().max(2048).nullable(),
  envelopeTo: z.array(z.string().max(2048)).max(1000),
});
export type EmailFields = z.infer<typeof emailFieldsSchema>;

export const carvedFileRecordSchema = z.object({
  v: z.literal(1),
  /** `<flow id>/<n>`: unique within the store; n counts this flow's records in carving order. */
  id: z.string().max(80),
  flowId: z.string().max(64),
  protocol: z.enum(CARVE_PROTOCOLS),
  /**
   * body: a whole message body; form-part: a multipart/form-data file; range-part: one 206 range;
   * range-assembled: rebuilt from ranges; message: a whole mail (.eml, or an attached
   * message/rfc822); mime-part: a decoded MIME leaf of a message; transfer: an FTP or TFTP file.
   */
  kind: z.enum(CARVED_KINDS),
  /**
   * identity: sent without a content coding; decoded: the body after undoing its codings;
   * encoded: the bytes as sent for a body that had codings (kept next to its decoded version).
   */
  content: z.enum(['identity', 'decoded', 'encoded']),
  sha256: hex(64),
  md5: hex(32),
  sha1: hex(40),
  size: z.number().int().nonnegative(),
  /** From magic bytes (file-type), else a text heuristic; null when neither recognizes it. */
  mime: z.string().max(200).nullable(),
  ext: z.string().max(20).nullable(),
  mimeSource: z.enum(['magic', 'text', 'none']),
  /** Content-Type as declared by the sender. */
  declaredType: z.string().max(200).nullable(),
  /** Original name, sanitized (no path, no controls, ≤ 200 bytes, extension kept); null when none was sent. */
  name: z.string().max(400).nullable(),
  direction: z.enum(['download', 'upload']),
  url: z.string().max(16384).nullable(),
  host: z.string().max(255).nullable(),
  userAgent: z.string().max(2048).nullable(),
  method: z.string().max(32).nullable(),
  status: z.number().int().nullable(),
  transaction: z.number().int().nullable(),
  /** Mail headers of the message a message or mime-part file belongs to (absent in records written before mail carving: null). */
  email: emailFieldsSchema.nullable().default(null),
  range: z.object({ start: z.number().int(), end: z.number().int(), total: z.number().int().nullable() }).nullable(),
  encoding: z.object({
    codings: z.array(z.string().max(64)).max(16),
    status: z.enum(['identity', 'decoded', 'failed', 'capped', 'unsupported', 'not-decoded']),
    note: z.string().max(500).nullable(),
  }),
  /** Related records: the part's whole body, the decoded/encoded twin, the assembled file's pieces. */
  parentId: z.string().max(80).nullable(),
  originalId: z.string().max(80).nullable(),
  decodedId: z.string().max(80).nullable(),
  sourceIds: z.array(z.string().max(80)).max(100000),
  /** Times ("sec.nnnnnnnnn") and 0-based flow packet indexes of the first and last packets carrying the bytes. */
  firstTs: z.string().max(32),
  lastTs: z.string().max(32),
  firstPacket: z.number().int().nonnegative(),
  lastPacket: z.number().int().nonnegative(),
  incomplete: z.boolean(),
  /** Bytes known to be missing (a lower bound when the end was not seen). */
  missingBytes: z.number().int().nonnegative(),
  notes: z.array(z.string().max(1000)).max(64),
  /**
   * Set when the file is knowingly not the whole object, whatever the capture held: a POP3 TOP
   * answer (headers and the first lines), an IMAP partial fetch (BODY[]<origin>), headers or
   * text only, or one MIME section (BODY[1]). `command` is what was asked as the server echoed
   * it; `what` says in words what the file is. Null for whole objects (records written before
   * this field: null).
   */
  partial: z.object({ command: z.string().max(300), what: z.string().max(500) }).nullable().default(null),
});

export type PartialInfo = NonNullable<z.infer<typeof carvedFileRecordSchema>['partial']>;

export type CarvedFileRecord = z.infer<typeof carvedFileRecordSchema>;
