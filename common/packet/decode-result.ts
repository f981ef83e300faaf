/**
 * Resetting a reused DecodedPacket and recording the non-IP outcomes. Shared by the link, IP
 * and transport decoders so each of them stays a straight-line parser. Address buffers are
 * cleared by clearStaleAddressBytes, which knows which bytes the previous decode wrote.
 */
import { DecodeStatus, FragmentKind } from './decoded-packet.js';
import type { DecodedPacket } from './decoded-packet.js';

// Module-level alias: V8 folds it into an immediate in the per-packet reset.
const FRAGMENT_NONE = FragmentKind.None;

/** Puts every field, including both address buffers, back to its "nothing decoded" value. */
export function resetDecodedPacket(out: DecodedPacket): void {
  resetScalars(out);
  zeroAddressBytes(out, 0, 16);
}

/**
 * Resets every field except the address buffers (resetDecodedPacket clears those too). The
 * per-packet path does not use it: decodePacketAt resets only what the decode may leave
 * unwritten (see there).
 */
export function resetScalars(out: DecodedPacket): void {
  out.status = DecodeStatus.Malformed;
  out.reason = '';
  out.etherType = 0;
  out.vlan = -1;
  out.vlanInner = -1;
  out.ipVersion = 0;
  out.proto = 0;
  out.hasPorts = false;
  out.srcPort = 0;
  out.dstPort = 0;
  out.icmpType = -1;
  out.icmpCode = -1;
  out.tcpFlags = 0;
  out.tcpSeq = 0;
  out.tcpAck = 0;
  out.fragment = FragmentKind.None;
  out.fragId = 0;
  out.fragOffset = 0;
  out.moreFragments = false;
  out.l3Offset = -1;
  out.l4Offset = -1;
  out.payloadOffset = -1;
  out.payloadLength = 0;
  out.truncated = false;
}

/**
 * Per-decode reset: every field except status and ipVersion, which every decode outcome writes
 * (the link layer sets ipVersion or marks a failure; the IP decoders set status), and except the
 * address buffers (see clearStaleAddressBytes).
 */
export function resetForDecode(out: DecodedPacket): void {
  out.reason = '';
  out.etherType = 0;
  out.vlan = -1;
  out.vlanInner = -1;
  out.proto = 0;
  out.hasPorts = false;
  out.srcPort = 0;
  out.dstPort = 0;
  out.icmpType = -1;
  out.icmpCode = -1;
  out.tcpFlags = 0;
  out.tcpSeq = 0;
  out.tcpAck = 0;
  out.fragment = FRAGMENT_NONE;
  out.fragId = 0;
  out.fragOffset = 0;
  out.moreFragments = false;
  out.l3Offset = -1;
  out.l4Offset = -1;
  out.payloadOffset = -1;
  out.payloadLength = 0;
  out.truncated = false;
}

/**
 * Address bytes not holding the current address must be zero. Only the bytes the previous
 * decode (of version `previousVersion`) wrote can be dirty, so only those are cleared; that
 * relies on `out` being written only by the decoder and resetDecodedPacket.
 */
export function clearStaleAddressBytes(out: DecodedPacket, previousVersion: number): void {
  const version = out.ipVersion;
  if (version === 4) {
    if (previousVersion === 6) zeroAddressBytes(out, 4, 16);
  } else if (version === 0 && previousVersion !== 0) {
    zeroAddressBytes(out, 0, previousVersion === 4 ? 4 : 16);
  }
}

/** Zeroes bytes [from, to) of both address buffers. */
export function zeroAddressBytes(out: DecodedPacket, from: number, to: number): void {
  const s = out.src;
  const d = out.dst;
  for (let i = from; i < to; i++) {
    s[i] = 0;
    d[i] = 0;
  }
}

/** Malformed: `reason` must be a constant string (no per-packet allocation). Returns -1. */
export function markMalformed(out: DecodedPacket, reason: string): -1 {
  out.status = DecodeStatus.Malformed;
  out.reason = reason;
  out.ipVersion = 0;
  return -1;
}

/** A decoded link layer that carries something other than IP. Returns -1. */
export function markNonIp(out: DecodedPacket, etherType: number, reason: string): -1 {
  out.status = DecodeStatus.NonIp;
  out.reason = reason;
  out.etherType = etherType;
  out.ipVersion = 0;
  return -1;
}

/** A link type the decoder does not handle. Returns -1. */
export function markUnsupportedLink(out: DecodedPacket, reason: string): -1 {
  out.status = DecodeStatus.UnsupportedLink;
  out.reason = reason;
  out.ipVersion = 0;
  return -1;
}
