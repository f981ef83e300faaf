/** Builders for SMB2 messages in NetBIOS framing (MS-SMB2 layouts), for carving tests. */
export const CREATE = 5;
export const CLOSE = 6;
export const READ = 8;
export const WRITE = 9;
export const TREE_CONNECT = 3;

export function header(command: number, messageId: number, o: { response?: boolean; treeId?: number; status?: number; related?: boolean } = {}): Buffer {
  const h = Buffer.alloc(64);
  h.set([0xfe, 0x53, 0x4d, 0x42]);
  h.writeUInt16LE(64, 4);
  h.writeUInt32LE(o.status ?? 0, 8);
  h.writeUInt16LE(command, 12);
  h.writeUInt32LE((o.response ? 1 : 0) | (o.related ? 4 : 0), 16);
  h.writeUInt32LE(messageId, 24);
  h.writeUInt32LE(o.treeId ?? 0, 36);
  return h;
}
export const utf16 = (t: string): Buffer => Buffer.from(t, 'utf16le');
export const nb = (...msgs: Buffer[]): Buffer => {
  const m = Buffer.concat(msgs);
  return Buffer.concat([Buffer.from([0, (m.length >> 16) & 0xff, (m.length >> 8) & 0xff, m.length & 0xff]), m]);
};
/** Compound: each message but the last padded to 8 bytes and its NextCommand set. */
export function compound(...msgs: Buffer[]): Buffer {
  const out: Buffer[] = [];
  msgs.forEach((m, i) => {
    if (i === msgs.length - 1) return out.push(m);
    const padded = Buffer.concat([m, Buffer.alloc((8 - (m.length % 8)) % 8)]);
    padded.writeUInt32LE(padded.length, 20);
    out.push(padded);
  });
  return nb(...out);
}
export const fid = (n: number): Buffer => Buffer.concat([Buffer.alloc(8, n), Buffer.alloc(8, n + 100)]);

export function treeConnect(id: number, path: string): [Buffer, Buffer] {
  const p = utf16(path);
  const b = Buffer.alloc(8);
  b.writeUInt16LE(9, 0);
  b.writeUInt16LE(72, 4);
  b.writeUInt16LE(p.length, 6);
  const r = Buffer.alloc(16);
  r.writeUInt16LE(16, 0);
  r[2] = 1; // ShareType: disk
  return [nb(header(TREE_CONNECT, id), b, p), nb(header(TREE_CONNECT, id, { response: true, treeId: 7 }), r)];
}
export function createReq(id: number, name: string): Buffer {
  const n = utf16(name);
  const b = Buffer.alloc(56);
  b.writeUInt16LE(57, 0);
  b.writeUInt16LE(120, 44);
  b.writeUInt16LE(n.length, 46);
  return Buffer.concat([header(CREATE, id, { treeId: 7 }), b, n]);
}
export function createResp(id: number, file: Buffer, size: number): Buffer {
  const b = Buffer.alloc(88);
  b.writeUInt16LE(89, 0);
  b.writeBigUInt64LE(BigInt(size), 48);
  b.set(file, 64);
  return Buffer.concat([header(CREATE, id, { response: true, treeId: 7 }), b]);
}
export function readReq(id: number, file: Buffer, offset: number, length: number): Buffer {
  const b = Buffer.alloc(49);
  b.writeUInt16LE(49, 0);
  b.writeUInt32LE(length, 4);
  b.writeBigUInt64LE(BigInt(offset), 8);
  b.set(file, 16);
  return nb(header(READ, id, { treeId: 7 }), b);
}
export function readResp(id: number, data: Buffer): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(17, 0);
  b[2] = 80;
  b.writeUInt32LE(data.length, 4);
  return nb(header(READ, id, { response: true, treeId: 7 }), b, data);
}
export function writeReq(id: number, file: Buffer, offset: number, data: Buffer, related = false): Buffer {
  const b = Buffer.alloc(48);
  b.writeUInt16LE(49, 0);
  b.writeUInt16LE(112, 2);
  b.writeUInt32LE(data.length, 4);
  b.writeBigUInt64LE(BigInt(offset), 8);
  b.set(file, 16);
  return Buffer.concat([header(WRITE, id, { treeId: 7, related }), b, data]);
}
export function closeReq(id: number, file: Buffer): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt16LE(24, 0);
  b.set(file, 8);
  return nb(header(CLOSE, id, { treeId: 7 }), b);
}
export const content = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * seed + (i >> 8)) & 0xff));

