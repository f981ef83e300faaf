/* line_pack.h: a whole parsed batch in C (see there). Offsets are bounds-checked against the batch and the results. */
#include "line_pack.h"
#include "le_words.h"
#include "log_fast_path.h"

#include <math.h>
#include <string.h>

#define RECORD_HEADER 16
#define HEADER_BYTES (LFP_HEADER_WORDS * 4)
/* `,"sender_ip":"` and `","sender_port":` (log-journal-line.ts senderText) */
static const char SENDER_IP[] = ",\"sender_ip\":\"";
static const char SENDER_PORT[] = "\",\"sender_port\":";
#define SENDER_IP_LEN ((uint32_t)sizeof SENDER_IP - 1)
#define SENDER_PORT_LEN ((uint32_t)sizeof SENDER_PORT - 1)
/* a packed batch stays well inside what a transferred ArrayBuffer and uint32 offsets hold */
#define LPK_MAX_TOTAL (1u << 30)

static uint32_t ndigits(uint64_t v) {
  uint32_t n = 1;
  while (v >= 10) {
    v /= 10;
    n++;
  }
  return n;
}

/* v in decimal, n digits (ndigits(v), or more: zero-padded), at p; returns the end */
static uint8_t *put_dec(uint8_t *p, uint64_t v, uint32_t n) {
  for (uint32_t i = n; i > 0; i--) {
    p[i - 1] = (uint8_t)('0' + v % 10);
    v /= 10;
  }
  return p + n;
}

static int32_t geti(const uint8_t *p) { return (int32_t)get_u32(p); }

/* the line's length (LF included) without its tail: writeCompactLineStart's bytes */
static uint64_t start_len(const lpk_texts *t, uint64_t id, uint32_t sec, uint32_t iplen, uint32_t port) {
  return (uint64_t)t->prefix_len + ndigits(id) + t->origin_len + 2 + ndigits(sec) + 1 + 9 + SENDER_IP_LEN + iplen + SENDER_PORT_LEN + ndigits(port) + 1;
}

int lpk_size(const uint8_t *data, uint32_t used, uint32_t count, const uint8_t *pre, uint32_t pre_len, const lpk_ip *ips, uint32_t nips, const lpk_texts *t, uint64_t first_id, uint32_t *lines,
             uint32_t *total) {
  if (count == 0 || (uint64_t)count * 4 > pre_len || first_id + count > (1ull << 53)) return 0;
  uint64_t n = 0;
  uint32_t at = 0;
  for (uint32_t i = 0; i < count; i++) {
    if ((uint64_t)at + RECORD_HEADER > used) return 0;
    const uint8_t *r = data + at;
    uint32_t len = get_u32(r);
    uint32_t port = r[4] | ((uint32_t)r[5] << 8);
    uint32_t k = r[6] | ((uint32_t)r[7] << 8);
    uint32_t nsec = get_u32(r + 12);
    if ((uint64_t)at + RECORD_HEADER + len > used || k >= nips || nsec >= 1000000000u) return 0;
    int32_t off = geti(pre + 4 * i);
    if (off < 0 || (uint64_t)off + HEADER_BYTES > pre_len) return 0;
    int32_t tail = geti(pre + off);
    if (tail < 0 || (uint64_t)off + HEADER_BYTES + (uint32_t)tail > pre_len) return 0;
    n += start_len(t, first_id + i, get_u32(r + 8), ips[k].len, port) + (uint32_t)tail;
    at += RECORD_HEADER + len;
  }
  uint64_t facts_at = (n + 7) & ~7ull;
  uint64_t all = facts_at + (uint64_t)count * LPK_FACT_STRIDE * 8 + (uint64_t)count * 8;
  if (all > LPK_MAX_TOTAL) return 0;
  *lines = (uint32_t)n;
  *total = (uint32_t)all;
  return 1;
}

static void put_f64(uint8_t *p, double v) { memcpy(p, &v, 8); }

void lpk_write(const uint8_t *data, uint32_t count, const uint8_t *pre, const lpk_ip *ips, const lpk_texts *t, uint64_t first_id, uint32_t lines, uint8_t *out) {
  uint32_t facts_at = (lines + 7) & ~7u;
  uint32_t ends_at = facts_at + count * LPK_FACT_STRIDE * 8;
  memset(out + lines, 0, facts_at - lines);
  uint8_t *w = out;
  uint64_t chars = 0;
  uint32_t at = 0;
  for (uint32_t i = 0; i < count; i++) {
    const uint8_t *r = data + at;
    uint32_t len = get_u32(r);
    uint32_t port = r[4] | ((uint32_t)r[5] << 8);
    uint32_t k = r[6] | ((uint32_t)r[7] << 8);
    uint32_t sec = get_u32(r + 8);
    uint32_t nsec = get_u32(r + 12);
    at += RECORD_HEADER + len;
    const uint8_t *h = pre + geti(pre + 4 * i);
    uint32_t tail = (uint32_t)geti(h);
    uint8_t *line = w;
    /* writeCompactLineStart: the id prefix's text, the id, the origin's text, received_ts, the sender */
    memcpy(w, t->prefix, t->prefix_len);
    w += t->prefix_len;
    uint64_t id = first_id + i;
    w = put_dec(w, id, ndigits(id));
    memcpy(w, t->origin, t->origin_len);
    w += t->origin_len;
    *w++ = '"';
    w = put_dec(w, sec, ndigits(sec));
    *w++ = '.';
    w = put_dec(w, nsec, 9);
    *w++ = '"';
    memcpy(w, SENDER_IP, SENDER_IP_LEN);
    w += SENDER_IP_LEN;
    memcpy(w, ips[k].text, ips[k].len);
    w += ips[k].len;
    memcpy(w, SENDER_PORT, SENDER_PORT_LEN);
    w += SENDER_PORT_LEN;
    w = put_dec(w, port, ndigits(port));
    int64_t base = w - out;
    memcpy(w, h + HEADER_BYTES, tail);
    w += tail;
    *w++ = '\n';
    /* the prefix's and origin's UTF-16 lengths can differ from their bytes; the rest is ASCII */
    chars += (uint64_t)(w - line) - t->prefix_len - t->origin_len + t->prefix_chars + t->origin_chars;
    uint32_t e[2] = {(uint32_t)(w - out), (uint32_t)chars};
    memcpy(out + ends_at + 8 * i, e, 8);
    /* writeFactsCoded: the marks (relative to the tail in the result, -1 null, -2 from the event) made absolute */
    double m[6];
    for (int j = 0; j < 6; j++) {
      int32_t v = geti(h + 4 * (9 + j));
      m[j] = v < 0 ? (double)v : (double)(base + v);
    }
    int stated = geti(h + 20) == 1;
    int64_t tsec = stated ? (int64_t)geti(h + 28) * 4294967296ll + (int64_t)get_u32(h + 24) : (int64_t)sec;
    int64_t tnsec = stated ? (int64_t)geti(h + 32) : (int64_t)nsec;
    /* exactTime: otherwise the time is read from the event (NaN) */
    int exact = tsec >= 0 && tsec <= 99999999999ll && tnsec >= 0 && tnsec < 1000000000ll;
    uint8_t *f = out + facts_at + (uint64_t)i * LPK_FACT_STRIDE * 8;
    put_f64(f + 0, (double)geti(h + 4));
    put_f64(f + 8, m[0]);
    put_f64(f + 16, m[1]);
    put_f64(f + 24, m[2]);
    put_f64(f + 32, m[3]);
    put_f64(f + 40, (double)geti(h + 8));
    put_f64(f + 48, (double)geti(h + 12));
    put_f64(f + 56, (double)geti(h + 16));
    put_f64(f + 64, exact ? (double)tsec : NAN);
    put_f64(f + 72, exact ? (double)tnsec : NAN);
    put_f64(f + 80, m[4]);
    put_f64(f + 88, m[5]);
    put_f64(f + 96, 0);
  }
}
