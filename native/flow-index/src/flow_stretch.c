/* flow_stretch.h: see there. Each step names the TypeScript it mirrors; tests hold the two equal. */
#include "flow_stretch.h"

#include <math.h>

#define RECORD_HEADER 16
/* FlowTable TcpState */
#define ST_SYN_SEEN 1
#define ST_FIN_FROM_A 2
#define ST_FIN_FROM_B 4
#define ST_RST 8
/* z above this is not exactly an integer double in every step: the TypeScript handles it */
#define MAX_EXACT 9007199254740992.0

static inline uint32_t rd32le(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24); }
static inline uint32_t rd16be(const uint8_t *p) { return ((uint32_t)p[0] << 8) | p[1]; }
static inline uint32_t rd32be(const uint8_t *p) { return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]; }

typedef struct {
  int32_t vlan, vlan_inner;
  uint32_t src, dst, proto, src_port, dst_port, tcp_flags;
} fast_ipv4;

/* decodeFastIpv4 on buf[s, e) */
static int decode_fast_ipv4(const uint8_t *buf, uint32_t s, uint32_t e, fast_ipv4 *out) {
  if (e < s || e - s < 34) return 0;
  uint32_t off = s + 12;
  uint32_t type = rd16be(buf + off);
  off += 2;
  int32_t vlan = -1, vlan_inner = -1;
  for (int tags = 0; type == 0x8100 || type == 0x88a8 || type == 0x9100; tags++) {
    if (tags == 2 || off + 4 > e) return 0;
    int32_t vid = (int32_t)(rd16be(buf + off) & 0x0fff);
    if (tags == 0) vlan = vid;
    else vlan_inner = vid;
    type = rd16be(buf + off + 2);
    off += 4;
  }
  if (type != 0x0800 || off + 20 > e) return 0;
  uint32_t vihl = buf[off];
  if (vihl >> 4 != 4) return 0;
  uint32_t ihl = (vihl & 15) << 2;
  if (ihl < 20) return 0;
  if ((buf[off + 6] & 0x3f) != 0 || buf[off + 7] != 0) return 0;
  uint32_t total_len = rd16be(buf + off + 2);
  uint32_t end;
  if (total_len == 0) end = e;
  else {
    if (total_len < ihl) return 0;
    end = off + total_len;
    if (end > e) end = e;
  }
  uint32_t p = off + ihl;
  uint32_t proto = buf[off + 9];
  /* avail = end - p, signed in the TypeScript (p may lie past end) */
  int64_t avail = (int64_t)end - (int64_t)p;
  if (proto == 6) {
    if (avail < 20) return 0;
    out->tcp_flags = buf[p + 13] | ((uint32_t)(buf[p + 12] & 1) << 8);
  } else if (proto == 17) {
    if (avail < 8) return 0;
    out->tcp_flags = 0;
  } else return 0;
  out->vlan = vlan;
  out->vlan_inner = vlan_inner;
  out->src = rd32be(buf + off + 12);
  out->dst = rd32be(buf + off + 16);
  out->proto = proto;
  out->src_port = rd16be(buf + p);
  out->dst_port = rd16be(buf + p + 2);
  return 1;
}

/* FlowTable.hash4 */
static inline uint32_t hash4(uint32_t w0, uint32_t w1, uint32_t a, uint32_t b, uint32_t ports) {
  uint32_t h = (w0 ^ 0x811c9dc5u) * 0x01000193u;
  h = (h ^ (h >> 15) ^ w1) * 0x01000193u;
  h = (h ^ (h >> 15) ^ a) * 0x01000193u;
  h = (h ^ (h >> 15) ^ b) * 0x01000193u;
  h = (h ^ (h >> 15) ^ ports) * 0x01000193u;
  h = (h ^ (h >> 16)) * 0x85ebca6bu;
  return h ^ (h >> 13);
}

/* FlowTable.lookup4: the flow, -1 when none, -2 when a slot names a flow past the columns (a stale binding) */
static int64_t lookup4(const fs_table *t, uint32_t w0, uint32_t w1, uint32_t a, uint32_t b, uint32_t ports) {
  uint32_t slot = hash4(w0, w1, a, b, ports) & t->slot_mask;
  for (;;) {
    int32_t v = t->slots[slot];
    if (v == 0) return -1;
    if (v < 0 || (uint32_t)(v - 1) >= t->capacity) return -2;
    const uint32_t *k = t->keys + (size_t)(v - 1) * FS_KEY_WORDS;
    if (k[2] == a && k[6] == b && k[10] == ports && k[0] == w0 && k[1] == w1) return v - 1;
    slot = (slot + 1) & t->slot_mask;
  }
}

/* FlowTable.idleExpired (the same double arithmetic) */
static inline int idle_expired(const fs_table *t, uint32_t f, double ts_sec, double ts_nsec, uint32_t proto) {
  double limit = proto == 6 ? t->tcp_idle : t->udp_idle;
  double sec_gap = ts_sec - t->last_sec[f];
  if (sec_gap < limit - 1) return 0;
  double gap = sec_gap + (ts_nsec - (double)t->last_nsec[f]) / 1e9;
  return gap > limit;
}

static inline uint32_t leb_bytes(uint64_t z) {
  uint32_t n = 1;
  while (z >= 0x80) {
    z >>= 7;
    n++;
  }
  return n;
}

static inline uint8_t *block_at(const fs_table *t, uint32_t block) { return t->pages[block >> FS_PAGE_SHIFT] + (size_t)(block & FS_PAGE_MASK) * FS_BLOCK_SIZE; }

uint32_t fs_run(fs_table *t, const uint8_t *batch, uint32_t at, uint32_t len, double *io) {
  const double base = io[FS_IO_BASE];
  const double limit = io[FS_IO_LIMIT];
  double next_block_d = io[FS_IO_NEXT_BLOCK];
  if (!(next_block_d >= 0 && next_block_d < 4294967296.0)) return at;
  uint32_t next_block = (uint32_t)next_block_d;
  double packets = 0, orig_bytes = 0, newest_raw = -1;
  double first_sec = INFINITY, first_nsec = 0, last_sec = -INFINITY, last_nsec = 0;
  /* a one-entry cache of this call's lookups (no flow is made during a call, so it stays true) */
  int64_t cache_f = -1;
  uint32_t c_w0 = 0, c_w1 = 0, c_a = 0, c_b = 0, c_ports = 0;
  fast_ipv4 p;
  while (at < len) {
    if ((uint64_t)at + RECORD_HEADER > len) break;
    const uint8_t *r = batch + at;
    uint32_t raw_sec = rd32le(r);
    uint32_t raw_nsec = rd32le(r + 4);
    uint32_t cap_len = rd32le(r + 8);
    uint32_t orig_len = rd32le(r + 12);
    uint64_t end64 = (uint64_t)at + RECORD_HEADER + cap_len;
    if (end64 > len) break;
    uint32_t end = (uint32_t)end64;
    /* live-writer.ts borrowRuns: the record would not fit the open segment */
    if (base + (double)end > limit) break;
    /* LiveWriter.indexRecord: nanoseconds past a second carried into the seconds */
    double ts_sec = raw_sec, ts_nsec = raw_nsec;
    if (raw_nsec >= 1000000000u) {
      uint32_t carry = raw_nsec / 1000000000u;
      ts_sec += carry;
      ts_nsec = raw_nsec - carry * 1000000000u;
    }
    if (!decode_fast_ipv4(batch, at + RECORD_HEADER, end, &p)) break;
    /* FlowTable.addFastIpv4 */
    uint32_t sp = p.src_port, dp = p.dst_port, s0 = p.src, t0 = p.dst;
    uint32_t w0 = 0u | (4u << 8) | (p.proto << 16) | (1u << 24);
    uint32_t w1 = ((uint32_t)(p.vlan + 1) & 0xffff) | (((uint32_t)(p.vlan_inner + 1) & 0xffff) << 16);
    int src_is_a = s0 < t0 || (s0 == t0 && sp <= dp);
    uint32_t a = src_is_a ? s0 : t0;
    uint32_t b = src_is_a ? t0 : s0;
    uint32_t ports = src_is_a ? ((sp << 16) | dp) : ((dp << 16) | sp);
    int64_t f64;
    if (cache_f >= 0 && a == c_a && b == c_b && ports == c_ports && w0 == c_w0 && w1 == c_w1) f64 = cache_f;
    else {
      f64 = lookup4(t, w0, w1, a, b, ports);
      if (f64 < 0) break;
      cache_f = f64;
      c_w0 = w0;
      c_w1 = w1;
      c_a = a;
      c_b = b;
      c_ports = ports;
    }
    uint32_t f = (uint32_t)f64;
    if (idle_expired(t, f, ts_sec, ts_nsec, p.proto)) break;
    uint32_t fl = p.tcp_flags;
    uint32_t st = t->tcp_state[f];
    if (p.proto == 6 && (fl & 0x12) == 0x02 && (st & (ST_FIN_FROM_A | ST_FIN_FROM_B | ST_RST)) != 0) break;
    /* appendOffset's needs, checked before anything changes: its blocks must lie in pages the arena has */
    double offset = base + (double)at;
    int32_t head = t->off_head[f];
    uint32_t block, pos;
    double delta;
    if (head < 0) {
      block = next_block;
      pos = 0;
      delta = offset;
    } else {
      block = (uint32_t)t->off_tail[f];
      pos = t->off_tail_pos[f];
      delta = offset - t->off_last[f];
      if ((block >> FS_PAGE_SHIFT) >= t->npages || pos > FS_PAYLOAD) break;
    }
    double zd = delta >= 0 ? delta * 2 : -delta * 2 - 1;
    if (!(zd < MAX_EXACT)) break;
    uint64_t z = (uint64_t)zd;
    uint32_t nbytes = leb_bytes(z);
    uint32_t blocks_needed = (head < 0 ? 1u : 0u) + (pos + nbytes > FS_PAYLOAD ? 1u : 0u);
    if (blocks_needed > 0 && (uint64_t)next_block + blocks_needed - 1 >= ((uint64_t)t->npages << FS_PAGE_SHIFT)) break;

    /* taken: from here on as addFastIpv4 after its checks */
    if (p.proto == 6) {
      uint32_t next = st;
      if (fl & 0x02) next |= ST_SYN_SEEN;
      if (fl & 0x01) next |= src_is_a ? ST_FIN_FROM_A : ST_FIN_FROM_B;
      if (fl & 0x04) next |= ST_RST;
      t->tcp_state[f] = (uint8_t)next;
      t->tcp_flags[f] = (uint16_t)(t->tcp_flags[f] | fl);
    }
    /* accountRaw */
    if (src_is_a) {
      t->pkts_a[f]++;
      t->bytes_a[f] += orig_len;
    } else {
      t->pkts_b[f]++;
      t->bytes_b[f] += orig_len;
    }
    double fl_last = t->last_sec[f];
    if (ts_sec > fl_last || (ts_sec == fl_last && ts_nsec > t->last_nsec[f])) {
      t->last_sec[f] = ts_sec;
      t->last_nsec[f] = (uint32_t)ts_nsec;
    } else if (ts_sec < t->first_sec[f] || (ts_sec == t->first_sec[f] && ts_nsec < t->first_nsec[f])) {
      t->first_sec[f] = ts_sec;
      t->first_nsec[f] = (uint32_t)ts_nsec;
    }
    /* appendOffset */
    if (head < 0) {
      next_block++;
      t->off_head[f] = (int32_t)block;
    } else if (delta < 0) t->off_unsorted[f] = 1;
    t->off_last[f] = offset;
    uint8_t *blk = block_at(t, block);
    uint8_t *w = blk + 4 + pos;
    for (uint32_t i = 0; i < nbytes; i++) {
      if (pos == FS_PAYLOAD) {
        /* arena.allocBlock + setNext (little-endian link) */
        uint32_t nb = next_block++;
        blk[0] = (uint8_t)nb;
        blk[1] = (uint8_t)(nb >> 8);
        blk[2] = (uint8_t)(nb >> 16);
        blk[3] = (uint8_t)(nb >> 24);
        block = nb;
        pos = 0;
        blk = block_at(t, block);
        w = blk + 4;
      }
      *w++ = (uint8_t)(i + 1 < nbytes ? ((z & 0x7f) | 0x80) : z);
      z >>= 7;
      pos++;
    }
    t->off_tail[f] = (int32_t)block;
    t->off_tail_pos[f] = (uint8_t)pos;
    t->off_bytes[f] += nbytes;

    /* CaptureIndexer.onPacket's counters and LiveWriter.borrowRuns' */
    packets++;
    orig_bytes += orig_len;
    if (raw_sec > newest_raw) newest_raw = raw_sec;
    if (ts_sec < first_sec || (ts_sec == first_sec && ts_nsec < first_nsec)) {
      first_sec = ts_sec;
      first_nsec = ts_nsec;
    }
    if (ts_sec > last_sec || (ts_sec == last_sec && ts_nsec > last_nsec)) {
      last_sec = ts_sec;
      last_nsec = ts_nsec;
    }
    at = end;
  }
  io[FS_IO_NEXT_BLOCK] = next_block;
  io[FS_IO_PACKETS] = packets;
  io[FS_IO_ORIG_BYTES] = orig_bytes;
  io[FS_IO_NEWEST_RAW_SEC] = newest_raw;
  io[FS_IO_FIRST_SEC] = first_sec;
  io[FS_IO_FIRST_NSEC] = first_nsec;
  io[FS_IO_LAST_SEC] = last_sec;
  io[FS_IO_LAST_NSEC] = last_nsec;
  return at;
}
