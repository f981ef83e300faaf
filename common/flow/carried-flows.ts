/**
 * What one index part hands to the next (see FlowTable.nextPart): for every flow a later packet
 * could still continue, its key, the state the flow table decides continuation with (last packet
 * time, TCP close state) and the identity a continuation keeps (orientation, ICMP type), plus
 * where the flow lives (part and flow number). An import that splits a big capture into index
 * parts to bound its memory keeps, through this, exactly the flows one table would have built:
 * a packet of a carried key continues the carried flow under the same rules as inside a table
 * (idle timeout, a pure SYN after FIN or RST starts a new flow), and the new part records the
 * link. About 100 bytes per carried flow, against ~1 KB per flow in a table.
 */

/** Key words per flow (FlowTable's key layout). */
export const KEY_WORDS = 12;
const EMPTY = 0;

/**
 * The flow table's key hash (FlowTable uses it too, so both tables agree on keys), as a signed
 * 32-bit value: only its low bits are used (hash & mask), and an int32 always passes between
 * optimized functions as a small integer, where a uint32 above 2^31 was a heap number allocated
 * for every lookup.
 */
export function flowKeyHash(k: Uint32Array, at = 0): number {
  // multiply-xorshift: the words an IPv4 key uses first, then the IPv6/link words only when any is set
  let h = Math.imul(k[at] ^ 0x811c9dc5, 0x01000193);
  h = Math.imul(h ^ (h >>> 15) ^ k[at + 1], 0x01000193);
  h = Math.imul(h ^ (h >>> 15) ^ k[at + 2], 0x01000193);
  h = Math.imul(h ^ (h >>> 15) ^ k[at + 6], 0x01000193);
  h = Math.imul(h ^ (h >>> 15) ^ k[at + 10], 0x01000193);
  if ((k[at + 3] | k[at + 4] | k[at + 5] | k[at + 7] | k[at + 8] | k[at + 9] | k[at + 11]) !== 0) {
    h = Math.imul(h ^ (h >>> 15) ^ k[at + 3], 0x01000193);
    h = Math.imul(h ^ (h >>> 15) ^ k[at + 4], 0x01000193);
    h = Math.imul(h ^ (h >>> 15) ^ k[at + 5], 0x01000193);
    h = Math.imul(h ^ (h >>> 15) ^ k[at + 7], 0x01000193);
    h = Math.imul(h ^ (h >>> 15) ^ k[at + 8], 0x01000193);
    h = Math.imul(h ^ (h >>> 15) ^ k[at + 9], 0x01000193);
    h = Math.imul(h ^ (h >>> 15) ^ k[at + 11], 0x01000193);
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return h ^ (h >>> 13);
}

/**
 * The slot of key k in an open-addressing hash whose slots hold entry + 1 (0: empty) and whose
 * entries' keys are KEY_WORDS words each in `keys`: the slot holding k, else the empty slot that
 * ends its probe. FlowTable and CarriedFlows both keep their keys this way.
 */
export function keySlot(slots: Int32Array, mask: number, keys: Uint32Array, k: Uint32Array, hash: number): number {
  let slot = hash & mask;
  for (;;) {
    const v = slots[slot];
    if (v === EMPTY) return slot;
    const base = (v - 1) * KEY_WORDS;
    let i = 0;
    while (i < KEY_WORDS && keys[base + i] === k[i]) i++;
    if (i === KEY_WORDS) return slot;
    slot = (slot + 1) & mask;
  }
}

/** Bytes one carried flow costs (arrays below plus two hash slots). */
export const CARRIED_FLOW_BYTES = KEY_WORDS * 4 + 4 + 4 + 5 + 4 + 4 + 4 + 2 + 2 + 8 + 4 + 1 + 1 + 4 + 8;

/** The per-flow columns a carried flow shares with a flow table (FlowTable has them too). */
export interface FlowStateColumns {
  kind: Uint8Array;
  ipVersion: Uint8Array;
  proto: Uint8Array;
  hasPorts: Uint8Array;
  clientIsA: Uint8Array;
  vlan: Int32Array;
  vlanInner: Int32Array;
  l2Type: Uint32Array;
  icmpType: Int16Array;
  icmpCode: Int16Array;
  tcpState: Uint8Array;
  lastSec: Float64Array;
  lastNsec: Uint32Array;
}

/** Copies flow i's identity and TCP state (and with `times`, its last packet time) to flow j of `to`. */
export function copyFlowState(from: FlowStateColumns, i: number, to: FlowStateColumns, j: number, times: boolean): void {
  to.kind[j] = from.kind[i];
  to.ipVersion[j] = from.ipVersion[i];
  to.proto[j] = from.proto[i];
  to.hasPorts[j] = from.hasPorts[i];
  to.clientIsA[j] = from.clientIsA[i];
  to.vlan[j] = from.vlan[i];
  to.vlanInner[j] = from.vlanInner[i];
  to.l2Type[j] = from.l2Type[i];
  to.icmpType[j] = from.icmpType[i];
  to.icmpCode[j] = from.icmpCode[i];
  to.tcpState[j] = from.tcpState[i];
  if (times) {
    to.lastSec[j] = from.lastSec[i];
    to.lastNsec[j] = from.lastNsec[i];
  }
}

export class CarriedFlows implements FlowStateColumns {
  count = 0;
  readonly keys: Uint32Array;
  /** Where the flow lives: index part number and flow number within it. */
  readonly part: Uint32Array;
  readonly flow: Uint32Array;
  readonly kind: Uint8Array;
  readonly ipVersion: Uint8Array;
  readonly proto: Uint8Array;
  readonly hasPorts: Uint8Array;
  readonly clientIsA: Uint8Array;
  readonly vlan: Int32Array;
  readonly vlanInner: Int32Array;
  readonly l2Type: Uint32Array;
  readonly icmpType: Int16Array;
  readonly icmpCode: Int16Array;
  readonly lastSec: Float64Array;
  readonly lastNsec: Uint32Array;
  readonly tcpState: Uint8Array;
  /** Looked up once already (continued or superseded): no later packet may continue it. */
  readonly taken: Uint8Array;
  /** The flow of the current table that continues it (-1: none yet). */
  readonly continuedBy: Int32Array;
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(readonly capacity: number) {
    const n = Math.max(1, capacity);
    this.keys = new Uint32Array(n * KEY_WORDS);
    this.part = new Uint32Array(n);
    this.flow = new Uint32Array(n);
    this.kind = new Uint8Array(n);
    this.ipVersion = new Uint8Array(n);
    this.proto = new Uint8Array(n);
    this.hasPorts = new Uint8Array(n);
    this.clientIsA = new Uint8Array(n);
    this.vlan = new Int32Array(n);
    this.vlanInner = new Int32Array(n);
    this.l2Type = new Uint32Array(n);
    this.icmpType = new Int16Array(n);
    this.icmpCode = new Int16Array(n);
    this.lastSec = new Float64Array(n);
    this.lastNsec = new Uint32Array(n);
    this.tcpState = new Uint8Array(n);
    this.taken = new Uint8Array(n);
    this.continuedBy = new Int32Array(n).fill(-1);
    let size = 16;
    while (size < n * 2) size *= 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
  }

  /** Adds a flow whose key is at keys[at..]; returns its index. Keys must be distinct. */
  push(keys: Uint32Array, at: number): number {
    if (this.count >= this.capacity) throw new RangeError('carried flows: capacity exceeded');
    const c = this.count++;
    const to = c * KEY_WORDS;
    for (let i = 0; i < KEY_WORDS; i++) this.keys[to + i] = keys[at + i];
    // (keys are distinct: the probe ends at an empty slot)
    const k = this.keys.subarray(to, to + KEY_WORDS);
    this.slots[keySlot(this.slots, this.mask, this.keys, k, flowKeyHash(k))] = c + 1;
    return c;
  }

  /** The carried flow with key k not yet taken, or -1. */
  find(k: Uint32Array): number {
    const v = this.slots[keySlot(this.slots, this.mask, this.keys, k, flowKeyHash(k))];
    return v === EMPTY || this.taken[v - 1] ? -1 : v - 1;
  }

  get bytes(): number {
    return this.capacity * CARRIED_FLOW_BYTES;
  }
}
