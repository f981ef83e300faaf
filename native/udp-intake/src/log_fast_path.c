/*
 * A C fast path for the UDP parse thread's per-message work (log_fast_path.h): a port of
 * common/logs/log-facts.ts's extractLogFacts, rule for rule, for a strict subset of it, and of
 * the message-dependent part of log-journal-line.ts's writeCompactLogLineFromFacts.
 *
 * Subset (everything else is "not handled" and goes to the TypeScript path, which is complete):
 * what extractLogFacts reads — a PRI, then RFC 5424 (ISO time, structured data, CEF inside) or
 * RFC 3164 (BSD or ISO time, Cisco year/zone/mnemonic, host, tag; CEF, key=value pairs, Cisco ASA
 * `iface:ip/port` and sshd `from IP port N` prose) — except: OSSEC/Wazuh (an ossec app name or an
 * "Alert Level: "/"** Alert " message), the seed's export format (a `{` where parseLog looks for
 * it), and any address candidate with colons (IPv6 text is checked by the store's parser in
 * TypeScript). Every place extractLogFacts answers "not sure" is "not handled" here too.
 *
 * Each function names the TypeScript function it mirrors; a change there must change this file
 * (tests/unit/logs/log-fast-path.test.ts compares both byte for byte and fails otherwise).
 * Offsets are into the message's bytes b[0, e); nothing is read outside them.
 */
#include "log_fast_path.h"
#include "le_words.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* LOG_FORMATS indexes (common/logs/parsed-log.ts) */
#define FORMAT_RFC3164 0
#define FORMAT_RFC5424 1
#define FORMAT_CEF 2

typedef struct {
  int format;
  int kept;
  int64_t tsec;
  int64_t tnsec;
  int zoned;
  int32_t srcS, srcE, dstS, dstE;
  int32_t srcPort, dstPort, proto;
  int32_t msgS, msgE;
} facts_t;

struct lfp_ctx {
  int32_t quoteAt[LFP_MAX_BYTES];
  int32_t eqAt[LFP_MAX_BYTES];
  int32_t slashAt[LFP_MAX_BYTES];
  int quotes, eqCount, slashCount;
  int hasArrow, hasBrace;
  int unsure; /* a rule this port does not decide was reached: the message is not handled */
  int32_t pairKs[LFP_MAX_PAIRS], pairKe[LFP_MAX_PAIRS], pairVs[LFP_MAX_PAIRS], pairVe[LFP_MAX_PAIRS];
  int32_t cefVal[2 * 19];
  int64_t tSec, tNsec;
  int isoZoned;
  int32_t tagEnd, tagNameEnd, ciscoEnd, ciscoAppEnd, quadEnd, quadPortEnd;
  /* bsdTimeAt's day cache (log-facts.ts dayMo…dayStart): the last BSD date's start of day for its reference second */
  int dayMo, dayD;
  int64_t dayYear, dayRef, dayStart;
};

#define DAY_NONE (-1)       /* no time on that day (the calendar rejects it) */
#define DAY_DEPENDS INT64_MIN /* the inferred year changes within the day: computed per time */

static void byte_class_init(void);
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

lfp_ctx *lfp_new(void) {
  /* the tables are the same for every context (receivers in several workers, tests): filled once */
  pthread_once(&tables_once, byte_class_init);
  lfp_ctx *c = calloc(1, sizeof(lfp_ctx));
  if (c) c->dayMo = -1;
  return c;
}
void lfp_free(lfp_ctx *c) { free(c); }

/* ---- character classes (log-facts.ts CHAR_CLASS: one table load instead of a chain of range checks) ---- */
#define CC_ALPHA 1
#define CC_WORD 2          /* \w */
#define CC_WORD_DOT_DASH 4 /* [\w.-] */
#define CC_CEF_KEY 8       /* cef.ts isKeyChar: [\w.\-[\]] */
#define CC_KV_SEP 16       /* [\s,;] on printable ASCII */
#define CC_DIGIT 32
static uint8_t CHAR_CLASS[256];

static void char_class_init(void) {
  for (int c = 0; c < 128; c++) {
    int alpha = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
    int digit = c >= 0x30 && c <= 0x39;
    int word = alpha || digit || c == 0x5f;
    int wdd = word || c == 0x2e || c == 0x2d;
    CHAR_CLASS[c] = (uint8_t)((alpha ? CC_ALPHA : 0) | (word ? CC_WORD : 0) | (wdd ? CC_WORD_DOT_DASH : 0) | (wdd || c == 0x5b || c == 0x5d ? CC_CEF_KEY : 0) |
                              (c == 0x20 || c == 0x2c || c == 0x3b ? CC_KV_SEP : 0) | (digit ? CC_DIGIT : 0));
  }
}
static inline int is_digit(int c) { return c >= 0x30 && c <= 0x39; }
static inline int is_alpha(int c) { return (CHAR_CLASS[c & 0xff] & CC_ALPHA) != 0; }
static inline int is_word(int c) { return (CHAR_CLASS[c & 0xff] & CC_WORD) != 0; }
static inline int is_wdd(int c) { return (CHAR_CLASS[c & 0xff] & CC_WORD_DOT_DASH) != 0; }
static inline int is_cef_key(int c) { return (CHAR_CLASS[c & 0xff] & CC_CEF_KEY) != 0; }
static inline int is_kv_sep(int c) { return (CHAR_CLASS[c & 0xff] & CC_KV_SEP) != 0; }

static int64_t digits(const uint8_t *b, int32_t s, int32_t e) {
  int64_t v = 0;
  for (int32_t i = s; i < e; i++) v = v * 10 + (b[i] - 48);
  return v;
}
static int32_t digit_run(const uint8_t *b, int32_t s, int32_t e) {
  while (s < e && is_digit(b[s])) s++;
  return s;
}
static inline int starts_with_n(const uint8_t *b, int32_t s, int32_t e, const char *lit, int32_t n) {
  if (e - s < n) return 0;
  for (int32_t i = 0; i < n; i++)
    if (b[s + i] != (uint8_t)lit[i]) return 0;
  return 1;
}
/* a string literal's length at compile time */
#define starts_with(b, s, e, lit) starts_with_n(b, s, e, lit, (int32_t)(sizeof(lit) - 1))
/* equalsLower: letters of b compared case-insensitively (lit lower-case) */
static int equals_lower(const uint8_t *b, int32_t s, int32_t e, const char *lit) {
  int32_t n = e - s;
  /* lit is NUL-terminated: equal lengths when it ends exactly at n */
  for (int32_t i = 0; i < n; i++)
    if (lit[i] == 0) return 0;
  if (lit[n] != 0) return 0;
  for (int32_t i = 0; i < n; i++) {
    int c = b[s + i];
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c != (uint8_t)lit[i]) return 0;
  }
  return 1;
}
static int same_bytes(const uint8_t *b, int32_t s1, int32_t e1, int32_t s2, int32_t e2) {
  if (e1 - s1 != e2 - s2) return 0;
  /* keys: a few bytes, a loop is cheaper than a call */
  for (int32_t i = 0; i < e1 - s1; i++)
    if (b[s1 + i] != b[s2 + i]) return 0;
  return 1;
}

/* isIpv4Bytes */
static int is_ipv4(const uint8_t *b, int32_t s, int32_t e) {
  int32_t n = e - s;
  if (n < 7 || n > 15) return 0;
  int part = 0, val = 0, nd = 0, first = 0;
  for (int32_t i = s; i <= e; i++) {
    int c = i < e ? b[i] : 0x2e;
    if (c == 0x2e) {
      if (nd == 0 || part > 3 || val > 255 || (nd > 1 && first == 0x30)) return 0;
      part++;
      val = 0;
      nd = 0;
    } else if (is_digit(c)) {
      if (nd == 0) first = c;
      if (++nd > 3) return 0;
      val = val * 10 + (c - 0x30);
    } else
      return 0;
  }
  return part == 4;
}

/* isIpBytes: IPv6 text (two colons or more, at most 45 bytes) is not decided here */
static int is_ip(lfp_ctx *c, const uint8_t *b, int32_t s, int32_t e) {
  int colons = 0;
  for (int32_t i = s; i < e; i++)
    if (b[i] == 0x3a) colons++;
  if (colons == 0) return is_ipv4(b, s, e);
  if (colons == 1 || e - s > 45) return 0;
  c->unsure = 1;
  return 0;
}

/* portOf */
static int32_t port_of(const uint8_t *b, int32_t s, int32_t e) {
  int32_t n = e - s;
  if (n < 1 || n > 5) return -1;
  for (int32_t i = s; i < e; i++)
    if (!is_digit(b[i])) return -1;
  int64_t v = digits(b, s, e);
  return v <= 65535 ? (int32_t)v : -1;
}

static int32_t trim_start(const uint8_t *b, int32_t s, int32_t e) {
  while (s < e && b[s] == 0x20) s++;
  return s;
}
static int32_t trim_end(const uint8_t *b, int32_t s, int32_t e) {
  while (e > s && b[e - 1] == 0x20) e--;
  return e;
}

/* parsed-log.ts PROTO_NUMBERS */
static const char *const PROTO_NAMES[] = {"icmp", "igmp", "tcp", "udp", "gre", "esp", "ah", "icmpv6", "ipv6-icmp", "sctp"};
static const int PROTO_NUMS[] = {1, 2, 6, 17, 47, 50, 51, 58, 58, 132};

/* protoOf */
static int32_t proto_of(const uint8_t *b, int32_t s, int32_t e) {
  s = trim_start(b, s, e);
  e = trim_end(b, s, e);
  int32_t n = e - s;
  if (n >= 1 && n <= 3 && digit_run(b, s, e) == e) {
    int64_t v = digits(b, s, e);
    return v <= 255 ? (int32_t)v : -1;
  }
  for (int k = 0; k < 10; k++)
    if (equals_lower(b, s, e, PROTO_NAMES[k])) return PROTO_NUMS[k];
  return -1;
}

/* ---- calendar (syslog-time.ts) ---- */
static int64_t fdiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}
static const int DAYS_IN_MONTH[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
static int is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
static int valid_date(int64_t y, int mo, int d) { return mo >= 0 && mo <= 11 && d >= 1 && d <= (mo == 1 && is_leap(y) ? 29 : DAYS_IN_MONTH[mo]); }
static int64_t days_from_civil(int64_t y, int m, int d) {
  int64_t yy = m <= 2 ? y - 1 : y;
  int64_t era = fdiv(yy, 400);
  int64_t yoe = yy - era * 400;
  int64_t doy = fdiv(153 * (m > 2 ? m - 3 : m + 9) + 2, 5) + d - 1;
  int64_t doe = yoe * 365 + fdiv(yoe, 4) - fdiv(yoe, 100) + doy;
  return era * 146097 + doe - 719468;
}
static int64_t year_of(int64_t sec) {
  int64_t z = fdiv(sec, 86400) + 719468;
  int64_t era = fdiv(z, 146097);
  int64_t doe = z - era * 146097;
  int64_t yoe = fdiv(doe - fdiv(doe, 1460) + fdiv(doe, 36524) - fdiv(doe, 146096), 365);
  int64_t doy = doe - (365 * yoe + fdiv(yoe, 4) - fdiv(yoe, 100));
  int64_t mp = fdiv(5 * doy + 2, 153);
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return yoe + era * 400 + (m <= 2 ? 1 : 0);
}
static int64_t epoch_of(int64_t y, int mo, int d, int h, int mi, int s) { return days_from_civil(y, mo + 1, d) * 86400 + h * 3600 + mi * 60 + s; }

/* inferYear; 0: none (null), 1: *y set */
static int infer_year(int mo, int d, int h, int mi, int s, int64_t ref, int64_t *y) {
  int64_t ry = year_of(ref);
  for (int64_t k = ry + 1; k >= ry - 8; k--) {
    if (!valid_date(k, mo, d)) continue;
    if (epoch_of(k, mo, d, h, mi, s) <= ref + 2 * 86400) {
      *y = k;
      return 1;
    }
  }
  return 0;
}

/* bsdTimeSec (year -1: none given); 0: null */
static int bsd_time_sec(int mo, int d, int64_t year, int h, int mi, int s, int64_t ref, int64_t *out) {
  int s59 = s < 59 ? s : 59;
  int64_t y = year;
  if (year < 0 && !infer_year(mo, d, h, mi, s59, ref, &y)) return 0;
  if (!valid_date(y, mo, d)) return 0;
  *out = epoch_of(y, mo, d, h, mi, s59);
  return 1;
}

static const char MONTHS[12][4] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};

static int month_of(const uint8_t *b, int32_t s) {
  int a = b[s] | 0x20, c1 = b[s + 1] | 0x20, c2 = b[s + 2] | 0x20;
  for (int m = 0; m < 12; m++)
    if (a == MONTHS[m][0] && c1 == MONTHS[m][1] && c2 == MONTHS[m][2]) return m;
  return -1;
}

/* bsdTimeAt: the match's end, -1 no time, -2 the pattern matched and the calendar gave no time */
static int32_t bsd_time_at(lfp_ctx *c, const uint8_t *b, int32_t s, int32_t e, int64_t ref) {
  if (e - s < 14 || !is_alpha(b[s]) || !is_alpha(b[s + 1]) || !is_alpha(b[s + 2]) || b[s + 3] != 0x20) return -1;
  int32_t p = s + 4;
  if (b[p] == 0x20) p++;
  int32_t dEnd = digit_run(b, p, e);
  if (dEnd == p || dEnd - p > 2) return -1;
  int d = (int)digits(b, p, dEnd);
  p = dEnd;
  int64_t year = -1;
  if (p + 5 < e && b[p] == 0x20 && digit_run(b, p + 1, e) == p + 5 && b[p + 5] == 0x20) {
    year = digits(b, p + 1, p + 5);
    p += 5;
  }
  if (p + 9 > e || b[p] != 0x20 || !is_digit(b[p + 1]) || !is_digit(b[p + 2]) || b[p + 3] != 0x3a || !is_digit(b[p + 4]) || !is_digit(b[p + 5]) || b[p + 6] != 0x3a || !is_digit(b[p + 7]) || !is_digit(b[p + 8])) return -1;
  int h = (int)digits(b, p + 1, p + 3);
  int mi = (int)digits(b, p + 4, p + 6);
  int sec = (int)digits(b, p + 7, p + 9);
  p += 9;
  int64_t nsec = 0;
  if (p < e && b[p] == 0x2e && p + 1 < e && is_digit(b[p + 1])) {
    int32_t fEnd = digit_run(b, p + 1, e);
    if (fEnd - (p + 1) > 9) fEnd = p + 10;
    int64_t f = digits(b, p + 1, fEnd);
    for (int32_t k = fEnd - (p + 1); k < 9; k++) f *= 10;
    nsec = f;
    p = fEnd;
  }
  int mo = month_of(b, s);
  if (mo < 0 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return -1;
  if (mo != c->dayMo || d != c->dayD || year != c->dayYear || ref != c->dayRef) {
    /* the year is the same at 00:00:00 and 23:59:59 only when it is the same all day */
    int64_t t0 = 0, t1 = 0;
    int ok0 = bsd_time_sec(mo, d, year, 0, 0, 0, ref, &t0);
    int ok1 = ok0 && bsd_time_sec(mo, d, year, 23, 59, 59, ref, &t1);
    c->dayStart = !ok0 ? DAY_NONE : ok1 && t1 - t0 == 86399 ? t0 : DAY_DEPENDS;
    c->dayMo = mo;
    c->dayD = d;
    c->dayYear = year;
    c->dayRef = ref;
  }
  int64_t t;
  if (c->dayStart == DAY_NONE) return -2;
  if (c->dayStart != DAY_DEPENDS)
    t = c->dayStart + h * 3600 + mi * 60 + (sec < 59 ? sec : 59);
  else if (!bsd_time_sec(mo, d, year, h, mi, sec, ref, &t))
    return -2;
  c->tSec = t;
  c->tNsec = nsec;
  return p;
}

/* isoPrefixAt: the match's end, -1 no match, -2 matched without a time */
static int32_t iso_prefix_at(lfp_ctx *c, const uint8_t *b, int32_t s, int32_t e) {
  static const char SHAPE[] = "dddd-dd-ddTdd:dd:dd";
  if (e - s < 19) return -1;
  for (int i = 0; i < 19; i++) {
    int ch = b[s + i];
    int want = SHAPE[i];
    if (want == 'd' ? !is_digit(ch) : want == 'T' ? ch != 0x54 && ch != 0x20 : ch != want) return -1;
  }
  int64_t y = digits(b, s, s + 4);
  int mo = (int)digits(b, s + 5, s + 7) - 1;
  int d = (int)digits(b, s + 8, s + 10);
  int h = (int)digits(b, s + 11, s + 13);
  int mi = (int)digits(b, s + 14, s + 16);
  int sec = (int)digits(b, s + 17, s + 19);
  int32_t p = s + 19;
  int64_t nsec = 0;
  if (p + 1 < e && (b[p] == 0x2e || b[p] == 0x2c) && is_digit(b[p + 1])) {
    int32_t fEnd = digit_run(b, p + 1, e);
    int32_t cut = fEnd < p + 10 ? fEnd : p + 10;
    int64_t f = digits(b, p + 1, cut);
    for (int32_t k = cut - (p + 1); k < 9; k++) f *= 10;
    nsec = f;
    p = fEnd;
  }
  int64_t offset = 0;
  int zoned = 0, badZone = 0;
  if (p < e && (b[p] == 0x5a || b[p] == 0x7a)) {
    zoned = 1;
    p++;
  } else if (p + 3 <= e && (b[p] == 0x2b || b[p] == 0x2d) && is_digit(b[p + 1]) && is_digit(b[p + 2])) {
    int32_t q = p + 3 < e && b[p + 3] == 0x3a ? p + 4 : p + 3;
    if (q + 2 <= e && is_digit(b[q]) && is_digit(b[q + 1])) {
      int64_t zh = digits(b, p + 1, p + 3);
      int64_t zm = digits(b, q, q + 2);
      badZone = zh > 23 || zm > 59;
      offset = (b[p] == 0x2d ? -1 : 1) * (zh * 3600 + zm * 60);
      zoned = 1;
      p = q + 2;
    }
  }
  if (h > 23 || mi > 59 || sec > 60 || badZone) return -2;
  if (mo < 0 || mo > 11 || !valid_date(y, mo, d)) return -2;
  c->tSec = epoch_of(y, mo, d, h, mi, sec < 59 ? sec : 59) - offset;
  c->tNsec = nsec;
  c->isoZoned = zoned;
  return p;
}

static int32_t token_end(const uint8_t *b, int32_t s, int32_t e) {
  while (s < e && b[s] != 0x20) s++;
  return s;
}

/* setTime (keptTime: a safe integer in [0, 99999999999]) */
static void set_time(facts_t *f, int64_t sec, int64_t nsec, int zoned) {
  f->kept = sec >= 0 && sec <= 99999999999LL;
  f->tsec = sec;
  f->tnsec = nsec;
  f->zoned = zoned;
}

/* ossec.ts OSSEC_APP_NAMES */
static const char *const OSSEC_APPS[] = {"ossec", "wazuh", "ossec-alert", "ossec-csyslogd"};
static int is_ossec_app(const uint8_t *b, int32_t s, int32_t e) {
  if (s < 0) return 0;
  for (int k = 0; k < 4; k++)
    if (equals_lower(b, s, e, OSSEC_APPS[k])) return 1;
  return 0;
}
static int ossec_message(const uint8_t *b, int32_t s, int32_t e) { return starts_with(b, s, e, "Alert Level: ") || starts_with(b, s, e, "** Alert "); }

/* tagAt: 0 no match, 1 without brackets, 2 with */
static int tag_at(lfp_ctx *c, const uint8_t *b, int32_t s, int32_t e) {
  int32_t q = s;
  while (q < e) {
    int ch = b[q];
    if (ch == 0x20 || ch == 0x3a || ch == 0x5b || ch == 0x5d) break;
    q++;
  }
  if (q == s || q - s > 64) return 0;
  c->tagNameEnd = q;
  int kind = 1;
  if (q < e && b[q] == 0x5b) {
    int32_t r = q + 1;
    while (r < e && b[r] != 0x5d && b[r] != 0x20) r++;
    if (r < e && b[r] == 0x5d && r - (q + 1) <= 32 && r + 1 < e && b[r + 1] == 0x3a) {
      q = r + 1;
      kind = 2;
    } else
      return 0;
  }
  if (q >= e || b[q] != 0x3a) return 0;
  q++;
  if (q < e && b[q] == 0x20) q++;
  c->tagEnd = q;
  return kind;
}

/* ciscoAt */
static int cisco_at(lfp_ctx *c, const uint8_t *b, int32_t s, int32_t e) {
  int32_t r = s + 1;
  while (r < e) {
    int ch = b[r];
    if ((ch >= 0x41 && ch <= 0x5a) || is_digit(ch) || ch == 0x5f || ch == 0x2d)
      r++;
    else
      break;
  }
  if (r >= e || b[r] != 0x3a) return 0;
  for (int32_t k = r - 4; k >= s + 2; k--) {
    if (b[k] == 0x2d && is_digit(b[k + 1]) && b[k + 2] == 0x2d) {
      int32_t g1 = k - (s + 1);
      int32_t g3 = r - (k + 3);
      if (g1 >= 1 && g1 <= 32 && g3 >= 1 && g3 <= 48) {
        c->ciscoAppEnd = k;
        c->ciscoEnd = r + 1 < e && b[r + 1] == 0x20 ? r + 2 : r + 1;
        return 1;
      }
    }
  }
  return 0;
}

/* log-facts.ts CEF_KEYS (cef.ts SRC_KEYS, DST_KEYS, then ports, protocol, times) */
static const char *const CEF_KEYS[19] = {"src", "sourceAddress", "c6a2", "sourceIPv6Address", "dst", "destinationAddress", "c6a3", "destinationIPv6Address", "spt", "sourcePort",
                                         "dpt", "destinationPort", "proto", "transportProtocol", "rt", "receiptTime", "start", "startTime", "end"};
static const int32_t CEF_KEY_LEN[19] = {3, 13, 4, 17, 3, 18, 4, 22, 3, 10, 3, 15, 5, 17, 2, 11, 5, 9, 3};
#define K_DST_FIRST 4
#define K_SPT 8
#define K_SOURCE_PORT 9
#define K_DPT 10
#define K_DESTINATION_PORT 11
#define K_PROTO 12
#define K_TRANSPORT_PROTOCOL 13
#define K_TIME_FIRST 14
#define N_CEF_KEYS 19

static int cef_key_index(const uint8_t *b, int32_t s, int32_t e) {
  int32_t n = e - s;
  if (n < 2 || n > 22) return -1;
  for (int k = 0; k < N_CEF_KEYS; k++)
    if (CEF_KEY_LEN[k] == n && memcmp(b + s, CEF_KEYS[k], (size_t)n) == 0) return k;
  return -1;
}

/* cefFirstIp */
static void cef_first_ip(lfp_ctx *c, const uint8_t *b, int k0, int k1, facts_t *f, int src) {
  for (int k = k0; k < k1; k++) {
    if (c->cefVal[2 * k] < 0) continue;
    int32_t s = trim_start(b, c->cefVal[2 * k], c->cefVal[2 * k + 1]);
    int32_t e = trim_end(b, s, c->cefVal[2 * k + 1]);
    if (e > s && is_ip(c, b, s, e)) {
      if (src) {
        f->srcS = s;
        f->srcE = e;
      } else {
        f->dstS = s;
        f->dstE = e;
      }
      return;
    }
    if (c->unsure) return;
  }
}

/* cefFacts: 0 when parseLog would not take it as CEF or not sure */
static int cef_facts(lfp_ctx *c, const uint8_t *b, int32_t s, int32_t e, facts_t *f) {
  int bars = 0;
  int32_t nameStart = 0, nameEnd = 0, verEnd = 0;
  int32_t i = s + 4;
  for (; i < e && bars < 7; i++) {
    if (b[i] != 0x7c) continue;
    bars++;
    if (bars == 1)
      verEnd = i;
    else if (bars == 5)
      nameStart = i + 1;
    else if (bars == 6)
      nameEnd = i;
  }
  if (bars < 7) return 0;
  int32_t vn = verEnd - (s + 4);
  if (vn < 1 || vn > 3 || digit_run(b, s + 4, verEnd) != verEnd) return 0;
  f->msgS = nameStart;
  f->msgE = nameEnd;
  for (int k = 0; k < 2 * N_CEF_KEYS; k++) c->cefVal[k] = -1;
  int32_t x = i;
  int32_t prevKey = -1, prevEq = -1;
  int xi = 0;
  while (xi < c->eqCount && c->eqAt[xi] < x) xi++;
  for (;; xi++) {
    int last = xi >= c->eqCount || c->eqAt[xi] >= e;
    int32_t j = last ? e : c->eqAt[xi];
    int32_t ks = -1;
    if (!last) {
      ks = j;
      while (ks > x && is_cef_key(b[ks - 1])) ks--;
      if (ks == j || (ks > x && b[ks - 1] != 0x20)) continue;
    }
    if (prevKey >= 0) {
      int32_t ve = j < e ? ks : e;
      if (j < e)
        while (ve > prevEq + 1 && b[ve - 1] == 0x20) ve--;
      int k = cef_key_index(b, prevKey, prevEq);
      if (k >= 0) {
        c->cefVal[2 * k] = prevEq + 1;
        c->cefVal[2 * k + 1] = ve;
      }
    }
    if (last) break;
    prevKey = ks;
    prevEq = j;
  }
  cef_first_ip(c, b, 0, K_DST_FIRST, f, 1);
  if (c->unsure) return 0;
  cef_first_ip(c, b, K_DST_FIRST, K_SPT, f, 0);
  if (c->unsure) return 0;
  int spt = c->cefVal[2 * K_SPT] >= 0 ? K_SPT : K_SOURCE_PORT;
  if (c->cefVal[2 * spt] >= 0) f->srcPort = port_of(b, c->cefVal[2 * spt], c->cefVal[2 * spt + 1]);
  int dpt = c->cefVal[2 * K_DPT] >= 0 ? K_DPT : K_DESTINATION_PORT;
  if (c->cefVal[2 * dpt] >= 0) f->dstPort = port_of(b, c->cefVal[2 * dpt], c->cefVal[2 * dpt + 1]);
  int pk = c->cefVal[2 * K_PROTO] >= 0 ? K_PROTO : K_TRANSPORT_PROTOCOL;
  if (c->cefVal[2 * pk] >= 0) f->proto = proto_of(b, c->cefVal[2 * pk], c->cefVal[2 * pk + 1]);
  for (int k = K_TIME_FIRST; k < N_CEF_KEYS; k++) {
    if (c->cefVal[2 * k] < 0) continue;
    int32_t ts = trim_start(b, c->cefVal[2 * k], c->cefVal[2 * k + 1]);
    int32_t te = trim_end(b, ts, c->cefVal[2 * k + 1]);
    if (te == ts) break;
    int32_t n = te - ts;
    if (n < 10 || n > 15 || digit_run(b, ts, te) != te) return 0;
    int64_t ms = digits(b, ts, te);
    set_time(f, ms / 1000, (ms % 1000) * 1000000, 1);
    break;
  }
  return 1;
}

/* message-endpoints.ts ROLE_NAMES (lower case) and their roles: source, destination address, ports, protocol */
typedef struct {
  const char *name;
  int32_t len;
  int role;
} role_name_t;
#define RN(s, r) {s, (int32_t)(sizeof(s) - 1), r}
static const role_name_t ROLE_NAMES[] = {
    RN("src", 0),  RN("srcip", 0),   RN("src_ip", 0),   RN("source", 0),   RN("sourceip", 0),    RN("source_ip", 0),   RN("saddr", 0),        RN("ip.src", 0),
    RN("dst", 1),  RN("dstip", 1),   RN("dst_ip", 1),   RN("destination", 1), RN("destip", 1),   RN("dest_ip", 1),     RN("daddr", 1),        RN("ip.dst", 1),
    RN("spt", 2),  RN("srcport", 2), RN("src_port", 2), RN("sport", 2),    RN("sourceport", 2),  RN("source_port", 2),
    RN("dpt", 3),  RN("dstport", 3), RN("dst_port", 3), RN("dport", 3),    RN("destport", 3),    RN("dest_port", 3),   RN("destination_port", 3),
    RN("proto", 4), RN("protocol", 4), RN("ip.proto", 4),
};
#define N_ROLE_NAMES ((int)(sizeof ROLE_NAMES / sizeof ROLE_NAMES[0]))

/* roleOf */
static int role_of(const uint8_t *b, int32_t s, int32_t e) {
  int32_t n = e - s;
  if (n < 3 || n > 16) return -1;
  int ch = b[s] | 0x20;
  if (ch != 0x73 && ch != 0x64 && ch != 0x70 && ch != 0x69) return -1;
  for (int k = 0; k < N_ROLE_NAMES; k++)
    if (ROLE_NAMES[k].len == n && equals_lower(b, s, e, ROLE_NAMES[k].name)) return ROLE_NAMES[k].role;
  return -1;
}

static int last_pair(lfp_ctx *c, const uint8_t *b, int j, int n) {
  int at = j;
  for (int k = j + 1; k < n; k++)
    if (same_bytes(b, c->pairKs[j], c->pairKe[j], c->pairKs[k], c->pairKe[k])) at = k;
  return at;
}

/* kvFacts: 1 endpoints named, 0 go on to the prose, -1 not sure */
static int kv_facts(lfp_ctx *c, const uint8_t *b, int32_t s, int32_t e, facts_t *f) {
  int n = 0;
  for (int x = 0; x < c->eqCount; x++) {
    int32_t q = c->eqAt[x];
    if (q < s) continue;
    if (q >= e) break;
    int32_t k = q;
    while (k > s && is_wdd(b[k - 1])) k--;
    if (k == q || q - k > 64 || !(is_alpha(b[k]) || b[k] == 0x5f) || (k > s && !is_kv_sep(b[k - 1]))) continue;
    int32_t v = q + 1;
    while (v < e && !is_kv_sep(b[v])) v++;
    c->pairKs[n] = k;
    c->pairKe[n] = q;
    c->pairVs[n] = q + 1;
    c->pairVe[n] = v;
    if (++n >= LFP_MAX_PAIRS) return -1;
  }
  if (n == 0) return 0;
  int sv = -1, dv = -1, sptv = -1, dptv = -1, pv = -1;
  for (int j = 0; j < n; j++) {
    int r = role_of(b, c->pairKs[j], c->pairKe[j]);
    if (r < 0) continue;
    if (r == 0 && sv < 0)
      sv = j;
    else if (r == 1 && dv < 0)
      dv = j;
    else if (r == 2 && sptv < 0)
      sptv = j;
    else if (r == 3 && dptv < 0)
      dptv = j;
    else if (r == 4 && pv < 0)
      pv = j;
  }
  int32_t srcS = -1, srcE = -1, dstS = -1, dstE = -1;
  if (sv >= 0) {
    int j = last_pair(c, b, sv, n);
    if (c->pairVe[j] > c->pairVs[j] && is_ip(c, b, c->pairVs[j], c->pairVe[j])) {
      srcS = c->pairVs[j];
      srcE = c->pairVe[j];
    }
    if (c->unsure) return -1;
  }
  if (dv >= 0) {
    int j = last_pair(c, b, dv, n);
    if (c->pairVe[j] > c->pairVs[j] && is_ip(c, b, c->pairVs[j], c->pairVe[j])) {
      dstS = c->pairVs[j];
      dstE = c->pairVe[j];
    }
    if (c->unsure) return -1;
  }
  if (srcS < 0 && dstS < 0) return 0;
  f->srcS = srcS;
  f->srcE = srcE;
  f->dstS = dstS;
  f->dstE = dstE;
  if (sptv >= 0) {
    int j = last_pair(c, b, sptv, n);
    f->srcPort = port_of(b, c->pairVs[j], c->pairVe[j]);
  }
  if (dptv >= 0) {
    int j = last_pair(c, b, dptv, n);
    f->dstPort = port_of(b, c->pairVs[j], c->pairVe[j]);
  }
  if (pv >= 0) {
    int j = last_pair(c, b, pv, n);
    f->proto = proto_of(b, c->pairVs[j], c->pairVe[j]);
  }
  return 1;
}

/* quadPortAt */
static int quad_port_at(lfp_ctx *c, const uint8_t *b, int32_t q, int32_t e) {
  int32_t p = q;
  for (int part = 0; part < 4; part++) {
    int32_t d = digit_run(b, p, e);
    if (d == p || d - p > 3) return 0;
    p = d;
    if (part < 3) {
      if (p >= e || b[p] != 0x2e) return 0;
      p++;
    }
  }
  if (p >= e || b[p] != 0x2f) return 0;
  int32_t d = digit_run(b, p + 1, e);
  if (d == p + 1 || d - (p + 1) > 5) return 0;
  if (d < e && is_word(b[d])) return 0;
  c->quadEnd = p;
  c->quadPortEnd = d;
  return 1;
}

/* asaRestAt */
static int32_t asa_rest_at(lfp_ctx *c, const uint8_t *b, int32_t k, int32_t e) {
  int32_t r = k;
  while (r < e && is_wdd(b[r])) r++;
  if (r > k && r - k <= 64 && r < e && b[r] == 0x3a && quad_port_at(c, b, r + 1, e)) return r + 1;
  if (quad_port_at(c, b, k, e)) return k;
  return -1;
}

static int word_start(const uint8_t *b, int32_t s, int32_t i) { return i == s || !is_word(b[i - 1]); }

/* sshdFrom */
static void sshd_from(lfp_ctx *c, const uint8_t *b, int32_t s, int32_t e, facts_t *f) {
  for (int32_t i = s; i + 5 <= e; i++) {
    if (b[i] != 0x66 || !starts_with(b, i, e, "from ") || !word_start(b, s, i)) continue;
    int32_t ts = i + 5;
    int32_t te = token_end(b, ts, e);
    int32_t n = te - ts;
    if (n < 2 || n > 45 || !starts_with(b, te, e, " port ")) continue;
    int32_t ps = te + 6;
    int32_t pe = digit_run(b, ps, e);
    if (pe == ps || pe - ps > 5 || (pe < e && is_word(b[pe]))) continue;
    if (is_ip(c, b, ts, te)) {
      f->srcS = ts;
      f->srcE = te;
      f->srcPort = port_of(b, ps, pe);
    }
    return;
  }
}

/* PROTO_WORD's alternatives: TCP|UDP|ICMP|SCTP|GRE, upper or lower case (the first letter's case is the word's) */
static const char *proto_word(int ch, int *num) {
  switch (ch) {
    case 'T': *num = 6; return "TCP";
    case 't': *num = 6; return "tcp";
    case 'U': *num = 17; return "UDP";
    case 'u': *num = 17; return "udp";
    case 'I': *num = 1; return "ICMP";
    case 'i': *num = 1; return "icmp";
    case 'S': *num = 132; return "SCTP";
    case 's': *num = 132; return "sctp";
    case 'G': *num = 47; return "GRE";
    case 'g': *num = 47; return "gre";
    default: return NULL;
  }
}

/* proseFacts: 0 not sure */
static int prose_facts(lfp_ctx *c, const uint8_t *b, int32_t s, int32_t e, facts_t *f) {
  if (c->hasArrow) return 0;
  int pairs = 0;
  for (int x = 0; x < c->slashCount && pairs < 2; x++) {
    int32_t q = c->slashAt[x];
    if (q < s) continue;
    if (q >= e) break;
    int32_t t = q;
    while (t > s && (is_wdd(b[t - 1]) || b[t - 1] == 0x3a)) t--;
    int paren = 0;
    if (t > s) {
      int ch = b[t - 1];
      if (ch != 0x20 && ch != 0x28) continue;
      paren = ch == 0x28;
    }
    int32_t at = asa_rest_at(c, b, t, e);
    if (at < 0) continue;
    int32_t ipEnd = c->quadEnd, portEnd = c->quadPortEnd;
    if (!is_ipv4(b, at, ipEnd) || paren) continue;
    if (pairs == 0) {
      f->srcS = at;
      f->srcE = ipEnd;
      f->srcPort = port_of(b, ipEnd + 1, portEnd);
    } else {
      f->dstS = at;
      f->dstE = ipEnd;
      f->dstPort = port_of(b, ipEnd + 1, portEnd);
    }
    pairs++;
  }
  if (pairs == 0) {
    sshd_from(c, b, s, e, f);
    if (c->unsure) return 0;
  }
  if (f->srcS >= 0 || f->dstS >= 0) {
    for (int32_t i = s; i < e; i++) {
      int num = 0;
      const char *w = proto_word(b[i], &num);
      if (w == NULL || !word_start(b, s, i)) continue;
      int32_t wl = (int32_t)strlen(w);
      int32_t we = i + wl;
      if (we > e || (we < e && is_word(b[we]))) continue;
      if (memcmp(b + i, w, (size_t)wl) == 0) {
        f->proto = num;
        return 1;
      }
    }
  }
  return 1;
}

static int plain_facts(lfp_ctx *c, const uint8_t *b, int32_t s, int32_t e, facts_t *f) {
  int kv = kv_facts(c, b, s, e, f);
  if (kv < 0) return 0;
  if (kv > 0) return 1;
  return prose_facts(c, b, s, e, f);
}

/* sdNameEnd */
static int32_t sd_name_end(const uint8_t *b, int32_t s, int32_t e) {
  int32_t q = s;
  while (q < e) {
    int ch = b[q];
    if (ch == 0x20 || ch == 0x3d || ch == 0x5d || ch == 0x22) break;
    q++;
  }
  return q == s || q - s > 32 ? -1 : q;
}

/* sdEnd */
static int32_t sd_end(const uint8_t *b, int32_t pos, int32_t e) {
  while (pos < e && b[pos] == 0x5b) {
    pos = sd_name_end(b, pos + 1, e);
    if (pos < 0) return -1;
    for (;;) {
      if (pos >= e) return -1;
      if (b[pos] == 0x5d) {
        pos++;
        break;
      }
      if (b[pos] != 0x20) return -1;
      pos = sd_name_end(b, pos + 1, e);
      if (pos < 0 || pos + 1 >= e || b[pos] != 0x3d || b[pos + 1] != 0x22) return -1;
      pos += 2;
      while (pos < e && b[pos] != 0x22) pos++;
      if (pos >= e) return -1;
      pos++;
    }
  }
  return pos;
}

/* rfc5424Facts */
static int rfc5424_facts(lfp_ctx *c, const uint8_t *b, int32_t p, int32_t e, facts_t *f) {
  if (p >= e) return 0;
  int32_t tsEnd = token_end(b, p, e);
  if (!(tsEnd - p == 1 && b[p] == 0x2d)) {
    if (iso_prefix_at(c, b, p, tsEnd) != tsEnd) return 0;
    set_time(f, c->tSec, c->tNsec, c->isoZoned);
  }
  if (tsEnd >= e) return 0;
  int32_t pos = tsEnd + 1;
  int32_t appS = 0, appE = 0;
  for (int k = 0; k < 4; k++) {
    if (pos >= e) return 0;
    int32_t te = token_end(b, pos, e);
    if (k == 1) {
      appS = pos;
      appE = te;
    }
    pos = te < e ? te + 1 : e;
  }
  if (pos < e) {
    if (b[pos] == 0x2d)
      pos++;
    else if (b[pos] == 0x5b) {
      pos = sd_end(b, pos, e);
      if (pos < 0) return 0;
    } else
      return 0;
  }
  if (pos < e && b[pos] == 0x20) pos++;
  f->msgS = pos;
  f->msgE = e;
  if (starts_with(b, pos, e, "CEF:")) {
    f->format = FORMAT_CEF;
    return cef_facts(c, b, pos, e, f);
  }
  for (int32_t i = pos; i < e; i++)
    if (b[i] == 0x22) return 0;
  /* OSSEC: not handled here */
  if (is_ossec_app(b, appS, appE) || ossec_message(b, pos, e)) return 0;
  f->format = FORMAT_RFC5424;
  return plain_facts(c, b, pos, e, f);
}

static int has_space_brace(const uint8_t *b, int32_t s, int32_t e) {
  for (int32_t i = s; i + 1 < e; i++)
    if (b[i] == 0x20 && b[i + 1] == 0x7b) return 1;
  return 0;
}

/* rfc3164Facts */
static int rfc3164_facts(lfp_ctx *c, const uint8_t *b, int32_t p, int32_t e, int64_t ref, facts_t *f) {
  if (p < e && (b[p] == 0x2a || b[p] == 0x2e)) return 0;
  int32_t pos = p;
  int32_t hostStart = -1;
  int32_t t = bsd_time_at(c, b, p, e, ref);
  int zoned = 0;
  if (t == -1) {
    t = iso_prefix_at(c, b, p, e);
    zoned = c->isoZoned;
  }
  if (t == -2) return 0;
  if (t >= 0) {
    set_time(f, c->tSec, c->tNsec, zoned);
    pos = t;
    if (pos + 1 < e && b[pos] == 0x20) {
      int32_t z = pos + 1;
      while (z < e && b[z] >= 0x41 && b[z] <= 0x5a && z - (pos + 1) < 6) z++;
      int32_t zl = z - (pos + 1);
      if (zl >= 2 && zl <= 5 && z < e && (b[z] == 0x3a || b[z] == 0x20) && !starts_with(b, pos + 1, e, "CEF:")) pos = z;
    }
    if (pos < e && b[pos] == 0x3a) pos++;
    if (pos < e && b[pos] == 0x20) pos++;
    int32_t he = token_end(b, pos, e);
    int32_t hl = he - pos;
    if (hl >= 1 && hl <= 255 && he < e && b[he - 1] != 0x3a && b[pos] != 0x25 && !starts_with(b, pos, e, "CEF:") && b[pos] != 0x7b && tag_at(c, b, pos, e) != 2) {
      hostStart = pos;
      pos = he + 1;
    }
  }
  int32_t afterHost = pos;
  int32_t msg = afterHost;
  int32_t appS = -1, appE = -1;
  if (afterHost < e && b[afterHost] == 0x25 && cisco_at(c, b, afterHost, e)) {
    appS = afterHost + 1;
    appE = c->ciscoAppEnd;
    msg = c->ciscoEnd;
  } else if (!starts_with(b, afterHost, e, "CEF:")) {
    if (tag_at(c, b, afterHost, e) != 0) {
      appS = afterHost;
      appE = c->tagNameEnd;
      msg = c->tagEnd;
    }
  }
  f->msgS = msg;
  f->msgE = e;
  if (starts_with(b, afterHost, e, "CEF:")) {
    f->format = FORMAT_CEF;
    return cef_facts(c, b, afterHost, e, f);
  }
  if (starts_with(b, msg, e, "CEF:")) {
    f->format = FORMAT_CEF;
    return cef_facts(c, b, msg, e, f);
  }
  /* the seed's format: not handled here */
  if (c->hasBrace && ((hostStart >= 0 && afterHost < e && b[afterHost] == 0x7b) || has_space_brace(b, afterHost, e))) return 0;
  /* OSSEC: not handled here */
  if (is_ossec_app(b, appS, appE) || ossec_message(b, msg, e)) return 0;
  f->format = FORMAT_RFC3164;
  return plain_facts(c, b, msg, e, f);
}

/* extractLogFacts's first pass: one table load per byte (0: nothing to note) */
enum { C_PLAIN = 0, C_REJECT, C_QUOTE, C_SLASH, C_DASH, C_BRACE, C_EQ };
static uint8_t BYTE_CLASS[256];

static void byte_class_init(void) {
  for (int ch = 0; ch < 256; ch++) BYTE_CLASS[ch] = ch >= 0x20 && ch <= 0x7e ? C_PLAIN : C_REJECT;
  BYTE_CLASS[0x5c] = C_REJECT;
  BYTE_CLASS[0x22] = C_QUOTE;
  BYTE_CLASS[0x2f] = C_SLASH;
  BYTE_CLASS[0x2d] = C_DASH;
  BYTE_CLASS[0x7b] = C_BRACE;
  BYTE_CLASS[0x3d] = C_EQ;
  char_class_init();
}

/* extractLogFacts on b[0, n) received at ref: 1 handled (f filled), 0 not */
static int extract(lfp_ctx *c, const uint8_t *b, int32_t n, int64_t ref, facts_t *f) {
  if (n < 4 || n > LFP_MAX_BYTES) return 0;
  int quotes = 0, slashes = 0, eqs = 0, arrow = 0, brace = 0;
  int32_t i = 0;
#if defined(__SSE2__)
  /*
   * 16 bytes a step: the bytes of any class but plain found by comparisons (signed: < 0x20 also
   * catches 0x80-0xff), then only those looked up, in order.
   */
  const __m128i lo = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f), bsl = _mm_set1_epi8(0x5c), quo = _mm_set1_epi8(0x22), sla = _mm_set1_epi8(0x2f), das = _mm_set1_epi8(0x2d),
                bra = _mm_set1_epi8(0x7b), equ = _mm_set1_epi8(0x3d);
  for (; i + 16 <= n; i += 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(b + i));
    __m128i m = _mm_or_si128(_mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(v, lo), _mm_cmpeq_epi8(v, del)), _mm_or_si128(_mm_cmpeq_epi8(v, bsl), _mm_cmpeq_epi8(v, quo))),
                             _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, sla), _mm_cmpeq_epi8(v, das)), _mm_or_si128(_mm_cmpeq_epi8(v, bra), _mm_cmpeq_epi8(v, equ))));
    unsigned mask = (unsigned)_mm_movemask_epi8(m);
    while (mask) {
      int32_t j = i + __builtin_ctz(mask);
      mask &= mask - 1;
      int k = BYTE_CLASS[b[j]];
      if (k == C_EQ)
        c->eqAt[eqs++] = j;
      else if (k == C_REJECT)
        return 0;
      else if (k == C_QUOTE)
        c->quoteAt[quotes++] = j;
      else if (k == C_SLASH)
        c->slashAt[slashes++] = j;
      else if (k == C_BRACE)
        brace = 1;
      else if (k == C_DASH && j + 1 < n && b[j + 1] == 0x3e)
        arrow = 1;
    }
  }
#endif
  for (; i < n; i++) {
    int k = BYTE_CLASS[b[i]];
    if (k == C_PLAIN) continue;
    if (k == C_EQ)
      c->eqAt[eqs++] = i;
    else if (k == C_REJECT)
      return 0;
    else if (k == C_QUOTE)
      c->quoteAt[quotes++] = i;
    else if (k == C_SLASH)
      c->slashAt[slashes++] = i;
    else if (k == C_BRACE)
      brace = 1;
    else if (i + 1 < n && b[i + 1] == 0x3e)
      arrow = 1;
  }
  c->eqCount = eqs;
  c->slashCount = slashes;
  c->quotes = quotes;
  c->hasArrow = arrow;
  c->hasBrace = brace;
  c->unsure = 0;
  f->kept = 0;
  f->tsec = 0;
  f->tnsec = 0;
  f->zoned = 0;
  f->srcS = f->srcE = f->dstS = f->dstE = -1;
  f->srcPort = f->dstPort = f->proto = -1;
  int32_t e = n;
  if (b[0] != 0x3c) return 0;
  int32_t dEnd = digit_run(b, 1, e);
  int32_t nd = dEnd - 1;
  if (nd < 1 || nd > 3 || dEnd >= e || b[dEnd] != 0x3e) return 0;
  if (digits(b, 1, dEnd) > 191 || (nd > 1 && b[1] == 0x30)) return 0;
  int32_t p = dEnd + 1;
  if (p < e && is_digit(b[p])) {
    if (b[p] == 0x31 && p + 1 < e && b[p + 1] == 0x20) return rfc5424_facts(c, b, p + 2, e, f) && !c->unsure;
    if ((p + 1 < e && b[p + 1] == 0x20) || (p + 2 < e && is_digit(b[p + 1]) && b[p + 2] == 0x20)) return 0;
    int32_t r = digit_run(b, p, e);
    if (r - p <= 10 && r + 1 < e && b[r] == 0x3a && b[r + 1] == 0x20) return 0;
  }
  if (quotes > 0) return 0;
  return rfc3164_facts(c, b, p, e, ref, f) && !c->unsure;
}

/* ---- the tail of the compact line (writeCompactLogLineFromFacts from `,"ts":`) ---- */

static uint8_t *put_lit_n(uint8_t *o, const char *s, size_t n) {
  memcpy(o, s, n);
  return o + n;
}
#define put_lit(o, lit) put_lit_n(o, lit, sizeof(lit) - 1)

/* writeUint: decimal, no leading zeros */
static uint8_t *put_uint(uint8_t *o, uint64_t v) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) *o++ = (uint8_t)tmp[--n];
  return o;
}

static uint8_t *put_digits9(uint8_t *o, uint32_t v) {
  for (int i = 8; i >= 0; i--) {
    o[i] = (uint8_t)('0' + v % 10);
    v /= 10;
  }
  return o + 9;
}

static int same_range(const uint8_t *b, int32_t a, int32_t c, int32_t n) {
  if (a == c) return 1;
  return memcmp(b + a, b + c, (size_t)n) == 0;
}

/*
 * One message: the header and tail at out (room: LFP_HEADER_WORDS * 4 + 200 + n + quotes bytes,
 * the caller checked); returns the bytes written (4-aligned), 0 when not handled.
 */
static uint32_t one(lfp_ctx *c, const uint8_t *b, int32_t n, int64_t ref, uint8_t *out) {
  facts_t f;
  memset(&f, 0, sizeof f);
  if (!extract(c, b, n, ref, &f)) return 0;
  int32_t h[LFP_HEADER_WORDS];
  uint8_t *t0 = out + LFP_HEADER_WORDS * 4;
  uint8_t *o = t0;
  if (f.kept) {
    o = put_lit(o, ",\"ts\":\"");
    o = put_uint(o, (uint64_t)f.tsec);
    *o++ = '.';
    o = put_digits9(o, (uint32_t)f.tnsec);
    *o++ = '"';
  }
  if (f.srcS >= 0) {
    o = put_lit(o, ",\"src_ip\":");
    h[9] = (int32_t)(o - t0);
    *o++ = '"';
    memcpy(o, b + f.srcS, (size_t)(f.srcE - f.srcS));
    o += f.srcE - f.srcS;
    *o++ = '"';
    h[10] = (int32_t)(o - t0);
  } else {
    h[9] = h[10] = -1;
  }
  if (f.dstS >= 0) {
    o = put_lit(o, ",\"dst_ip\":");
    h[11] = (int32_t)(o - t0);
    *o++ = '"';
    memcpy(o, b + f.dstS, (size_t)(f.dstE - f.dstS));
    o += f.dstE - f.dstS;
    *o++ = '"';
    h[12] = (int32_t)(o - t0);
  } else {
    h[11] = h[12] = -1;
  }
  o = put_lit(o, ",\"raw\":");
  int32_t rawAt = (int32_t)(o - t0);
  *o++ = '"';
  int32_t p = 0;
  for (int k = 0; k <= c->quotes; k++) {
    int32_t q = k < c->quotes ? c->quoteAt[k] : n;
    memcpy(o, b + p, (size_t)(q - p));
    o += q - p;
    if (k < c->quotes) {
      *o++ = '\\';
      *o++ = '"';
    }
    p = q + 1;
  }
  *o++ = '"';
  /* markMessageInRaw on bytes (the raw value is its bytes when nothing was escaped) */
  int32_t at = -1;
  int32_t len = f.msgE - f.msgS;
  if (c->quotes == 0) {
    if (len == 0 || same_range(b, n - len, f.msgS, len))
      at = n - len;
    else
      for (int32_t i = 0; i + len <= n; i++)
        if (b[i] == b[f.msgS] && same_range(b, i, f.msgS, len)) {
          at = i;
          break;
        }
  }
  if (at < 0) {
    h[13] = h[14] = -2;
  } else {
    h[13] = rawAt + 1 + at;
    h[14] = rawAt + 1 + at + len;
  }
  *o++ = '}';
  int32_t tail = (int32_t)(o - t0);
  h[0] = tail;
  h[1] = f.format;
  h[2] = f.srcPort;
  h[3] = f.dstPort;
  h[4] = f.proto;
  int stated = f.kept && f.zoned;
  h[5] = stated;
  h[6] = (int32_t)(uint32_t)((uint64_t)f.tsec & 0xffffffffu);
  h[7] = (int32_t)(f.tsec >> 32);
  h[8] = (int32_t)f.tnsec;
  for (int k = 0; k < LFP_HEADER_WORDS; k++) {
    uint32_t v = (uint32_t)h[k];
    uint8_t *q = out + 4 * k;
    q[0] = (uint8_t)v;
    q[1] = (uint8_t)(v >> 8);
    q[2] = (uint8_t)(v >> 16);
    q[3] = (uint8_t)(v >> 24);
  }
  uint32_t total = (uint32_t)(LFP_HEADER_WORDS * 4 + tail);
  while (total & 3) out[total++] = 0;
  return total;
}

uint32_t lfp_record(lfp_ctx *c, const uint8_t *msg, uint32_t len, uint32_t sec, uint32_t nsec, uint8_t *out, uint32_t room) {
  /* room for the worst case: every byte a quote escaped, the time, both addresses */
  if (len > LFP_MAX_BYTES || nsec >= 1000000000u || (uint64_t)LFP_HEADER_WORDS * 4 + 2 * (uint64_t)len + 200 > room) return 0;
  return one(c, msg, (int32_t)len, (int64_t)sec, out);
}

uint32_t lfp_batch(lfp_ctx *c, const uint8_t *data, uint32_t used, uint32_t count, uint8_t *pre, uint32_t cap) {
  if ((uint64_t)count * 4 > cap) return 0;
  uint32_t o = count * 4;
  uint32_t at = 0;
  for (uint32_t i = 0; i < count; i++) {
    int32_t off = -1;
    if ((uint64_t)at + 16 <= used) {
      uint32_t len = get_u32(data + at);
      uint32_t sec = get_u32(data + at + 8);
      uint32_t nsec = get_u32(data + at + 12);
      uint32_t start = at + 16;
      if ((uint64_t)start + len > used) {
        /* a record that does not fit: the reader stops there too; the rest stay unhandled */
        for (; i < count; i++) put_i32(pre + 4 * i, -1);
        break;
      }
      uint32_t w = lfp_record(c, data + start, len, sec, nsec, pre + o, cap - o);
      if (w > 0) {
        off = (int32_t)o;
        o += w;
      }
      at = start + len;
    }
    put_i32(pre + 4 * i, off);
  }
  return o;
}
