/**
 * The MIME parts of a carved mail message, each stored as its own file: every leaf decoded from
 * its transfer encoding (base64, quoted-printable; others as sent) and every attached
 * message/rfc822 as a message of its own, linked to the message they came from. The message is
 * read back from the store whole, so messages above MAX_SPLIT bytes are kept but not split
 * (said in a note).
 */
import { readFile } from 'node:fs/promises';
import type { CarvedFileRecord } from '../../common/carve/carved-record.js';
import { emailFields } from '../../common/carve/mime/message-emitter.js';
import { decodeLeaf, walkMime, type MimeNode } from '../../common/carve/mime/mime-walker.js';
import { sanitizeFileName } from '../../common/carve/sanitize-name.js';
import { detectTypeOf } from './detect-type.js';
import type { FinalizeContext, PendingRecord } from './finalize-file.js';
import type { PlacedFile } from './file-store.js';

export const MAX_SPLIT = 64 * 1024 * 1024;

export async function mimePartRecords(ctx: FinalizeContext, message: CarvedFileRecord, placed: PlacedFile): Promise<PendingRecord[]> {
  if (placed.size > MAX_SPLIT) {
    message.notes.push(`message larger than ${MAX_SPLIT} bytes: MIME parts not split`);
    return [];
  }
  const data = new Uint8Array(await readFile(placed.path));
  const tree = walkMime(data);
  for (const n of tree.notes) if (message.notes.length < 64) message.notes.push(n);
  const out: PendingRecord[] = [];
  // the record each node's leaves hang from: the innermost enclosing message
  const owner: CarvedFileRecord[] = [];
  owner[0] = message;
  const parentOf = (n: MimeNode): CarvedFileRecord => {
    for (let d = n.depth - 1; d >= 0; d--) if (owner[d]) return owner[d];
    return message;
  };
  for (const n of tree.nodes) {
    owner.length = n.depth + 1;
    // the message itself is stored already; its body is a part of its own only when it is a leaf (not multipart)
    if (n.kind === 'multipart' || (n.index === 0 && n.kind !== 'leaf')) continue;
    if (n.kind === 'message') {
      // an attached message: its body is a message of its own (what tshark exports as another .eml)
      const bytes = data.subarray(n.bodyStart, n.bodyEnd);
      const email = emailFields(bytes, null);
      const rec = await partRecord(ctx, message, parentOf(n), n, bytes, 'message', 'identity', null);
      rec.email = email;
      rec.name = sanitizeFileName(n.filename ?? `${email.subject ?? 'message'}.eml`);
      out.push({ record: rec, fileId: null, parentFileId: null });
      // the nested message node (depth + 1) and its leaves hang from this record
      owner[n.depth + 1] = rec;
      continue;
    }
    // a leaf directly under an attached message is that message's body: it hangs from it
    const { bytes, decoded } = decodeLeaf(data, n);
    const rec = await partRecord(ctx, message, parentOf(n), n, bytes, 'mime-part', decoded ? 'decoded' : 'identity', n.transferEncoding);
    out.push({ record: rec, fileId: null, parentFileId: null });
  }
  return out;
}

async function partRecord(
  ctx: FinalizeContext,
  message: CarvedFileRecord,
  parent: CarvedFileRecord,
  n: MimeNode,
  bytes: Uint8Array,
  kind: 'message' | 'mime-part',
  content: 'decoded' | 'identity',
  coding: string | null,
): Promise<CarvedFileRecord> {
  const spool = ctx.store.newSpool();
  let placed: PlacedFile;
  try {
    spool.write(bytes);
    placed = await ctx.store.place(spool.finish());
  } catch (e) {
    spool.discard();
    throw e;
  }
  const t = await detectTypeOf(placed.head, placed.size);
  const codings = coding === null || content === 'identity' ? [] : [coding.slice(0, 64)];
  return {
    ...message,
    id: ctx.nextId(),
    kind,
    content,
    sha256: placed.sha256,
    md5: placed.md5,
    sha1: placed.sha1,
    size: placed.size,
    mime: t.mime,
    ext: t.ext,
    mimeSource: t.source,
    declaredType: n.declaredType === null ? n.contentType : n.declaredType.slice(0, 200),
    name: sanitizeFileName(n.filename),
    encoding: { codings, status: content === 'decoded' ? 'decoded' : 'identity', note: `MIME part ${n.index}${n.disposition ? ` (${n.disposition})` : ''}` },
    parentId: parent.id,
    originalId: null,
    decodedId: null,
    sourceIds: [],
    notes: [],
  };
}
