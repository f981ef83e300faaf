/*
 * Fast-path columns (common/flow/fast-columns.ts is the canonical definition; this is its C
 * twin, held to it byte for byte by tests/unit/flow/fast-columns.test.ts): for an Ethernet frame
 * that common/packet/ipv4-fast-path.ts decodeFastIpv4 accepts (Ethernet, up to two VLAN tags,
 * IPv4 not a fragment, TCP or UDP with its ports readable), the flow table's canonical key words
 * and their hash; for anything else an entry of zeros (the writer then decodes the packet itself).
 *
 * Entry (COLUMN_WORDS native-endian 32-bit words): meta (bit 0 fast, bit 1 source is endpoint A,
 * bits 2-10 TCP flags with NS as bit 8, bits 16-23 protocol), VLAN word, endpoint A's address,
 * endpoint B's address, ports word (A's port high), hash. Reads only bytes [0, caplen).
 */
#ifndef TAPLINE_FAST_COLUMNS_H
#define TAPLINE_FAST_COLUMNS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define COLUMN_WORDS 6
#define COLUMN_BYTES (COLUMN_WORDS * 4)

static inline uint32_t fc_be16(const uint8_t *b, size_t o) { return ((uint32_t)b[o] << 8) | b[o + 1]; }

static inline uint32_t fc_be32(const uint8_t *b, size_t o) {
  return ((uint32_t)b[o] << 24) | ((uint32_t)b[o + 1] << 16) | ((uint32_t)b[o + 2] << 8) | b[o + 3];
}

/* FlowTable's hash of an IPv4 key (Math.imul is the low 32 bits of the product, as here). */
static inline uint32_t fc_hash4(uint32_t w0, uint32_t w1, uint32_t a, uint32_t b, uint32_t ports) {
  uint32_t h = (w0 ^ 0x811c9dc5u) * 0x01000193u;
  h = (h ^ (h >> 15) ^ w1) * 0x01000193u;
  h = (h ^ (h >> 15) ^ a) * 0x01000193u;
  h = (h ^ (h >> 15) ^ b) * 0x01000193u;
  h = (h ^ (h >> 15) ^ ports) * 0x01000193u;
  h = (h ^ (h >> 16)) * 0x85ebca6bu;
  return h ^ (h >> 13);
}

/* Fills col[0, COLUMN_WORDS) for the Ethernet frame buf[0, caplen) (decodeFastIpv4, step for step). */
static inline void fc_fill(const uint8_t *buf, size_t caplen, uint32_t col[COLUMN_WORDS]) {
  memset(col, 0, COLUMN_BYTES);
  if (caplen < 34) return; /* Ethernet + minimal IPv4 header */
  const size_t e = caplen;
  size_t off = 12;
  uint32_t type = fc_be16(buf, off);
  off += 2;
  int32_t vlan = -1, vlan_inner = -1;
  for (int tags = 0; type == 0x8100 || type == 0x88a8 || type == 0x9100; tags++) {
    if (tags == 2 || off + 4 > e) return;
    int32_t vid = (int32_t)(fc_be16(buf, off) & 0x0fff);
    if (tags == 0) vlan = vid;
    else vlan_inner = vid;
    type = fc_be16(buf, off + 2);
    off += 4;
  }
  if (type != 0x0800 || off + 20 > e) return;
  uint8_t vihl = buf[off];
  if ((vihl >> 4) != 4) return;
  size_t ihl = (size_t)(vihl & 15) << 2;
  if (ihl < 20) return;
  if ((buf[off + 6] & 0x3f) != 0 || buf[off + 7] != 0) return; /* a fragment */
  size_t total = fc_be16(buf, off + 2);
  size_t end;
  if (total == 0) end = e; /* segmentation offload: the capture bounds the datagram */
  else {
    if (total < ihl) return;
    end = off + total;
    if (end > e) end = e;
  }
  size_t p = off + ihl;
  if (p > end) return; /* no transport header at all (the TS's negative `avail`) */
  size_t avail = end - p;
  uint32_t proto = buf[off + 9];
  uint32_t flags;
  if (proto == 6) {
    if (avail < 20) return;
    flags = buf[p + 13] | ((uint32_t)(buf[p + 12] & 1) << 8);
  } else if (proto == 17) {
    if (avail < 8) return;
    flags = 0;
  } else return;
  uint32_t s0 = fc_be32(buf, off + 12), t0 = fc_be32(buf, off + 16);
  uint32_t sp = fc_be16(buf, p), dp = fc_be16(buf, p + 2);
  int src_is_a = s0 < t0 || (s0 == t0 && sp <= dp);
  uint32_t a = src_is_a ? s0 : t0;
  uint32_t b = src_is_a ? t0 : s0;
  uint32_t ports = src_is_a ? ((sp << 16) | dp) : ((dp << 16) | sp);
  uint32_t w1 = ((uint32_t)(vlan + 1) & 0xffff) | (((uint32_t)(vlan_inner + 1) & 0xffff) << 16);
  uint32_t w0 = (4u << 8) | (proto << 16) | (1u << 24);
  col[0] = 1u | (src_is_a ? 2u : 0u) | (flags << 2) | (proto << 16);
  col[1] = w1;
  col[2] = a;
  col[3] = b;
  col[4] = ports;
  col[5] = fc_hash4(w0, w1, a, b, ports);
}

#endif
