/** A growable little-endian byte buffer with LEB128 varints, for building index sections. */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initial = 4096) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.length));
    this.buf = b;
    this.view = new DataView(b.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** Unsigned LEB128 for non-negative integers up to 2^53. */
  varint(v: number): void {
    this.ensure(8);
    while (v >= 0x80) {
      this.buf[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.length++] = v;
  }

  align(n: number): void {
    while (this.length % n !== 0) this.u8(0);
  }

  /** Reserves n bytes and returns their offset, for fixed-size records filled in place. */
  reserve(n: number): number {
    this.ensure(n);
    const at = this.length;
    this.buf.fill(0, at, at + n);
    this.length += n;
    return at;
  }

  get dataView(): DataView {
    return this.view;
  }

  get raw(): Uint8Array {
    return this.buf;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  /**
   * The bytes written, without the copy finish() makes (an index's offsets section is megabytes):
   * a view of the writer's buffer, so write nothing more once it is taken.
   */
  take(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  /** reserve() without zeroing, for bytes the caller overwrites at once; returns their offset. */
  reserveForCopy(n: number): number {
    this.ensure(n);
    const at = this.length;
    this.length += n;
    return at;
  }
}

/** Reads an unsigned LEB128 varint at pos; returns the value and stores the next position in cursor[0]. */
export function readVarint(b: Uint8Array, cursor: Int32Array | number[]): number {
  let pos = cursor[0];
  let v = 0;
  let mul = 1;
  for (;;) {
    if (pos >= b.length) throw new RangeError('varint runs past the end of its section');
    const byte = b[pos++];
    v += (byte & 0x7f) * mul;
    if (byte < 0x80) break;
    mul *= 0x80;
    if (mul > 2 ** 56) throw new RangeError('varint too long');
  }
  cursor[0] = pos;
  return v;
}
