/*
 * MD5 of many files at once (multi-buffer MD5), for the carver's md5 spool stage.
 *
 * Why: MD5 is one long dependency chain per message, so one file hashes at ~0.45-0.5 GB/s
 * whatever the code (OpenSSL's assembly included), and it was the largest single cost of a carve
 * (~0.54 s of CPU per 256 MB). A carve spools many files; eight of them hashed side by side in
 * the eight 32-bit lanes of an AVX2 register cost about what one costs alone. The stage hands
 * over every file's pending ring entries at once (a "chain" per file), and the lanes take the
 * chains one after another, each lane carrying its file's state.
 *
 * Contexts live in a pool of SLOT_BYTES slots owned by JavaScript:
 *   u32 state[4] | u32 carry_len | u32 unused | u64 total bytes | u8 carry[64]
 * `carry` holds a file's bytes that did not fill a 64-byte block yet.
 *
 * Without AVX2 (other CPUs, arm64) the same lane manager runs the portable one-block function,
 * one file at a time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "md5_lanes.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MD5_X86 1
#endif

static const uint32_t K[64] = {
  0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
  0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
  0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
  0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
  0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
  0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
  0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
  0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

static inline uint32_t load_le32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint32_t rotl(uint32_t x, int s) { return (x << s) | (x >> (32 - s)); }

/* One 64-byte block into one state (RFC 1321). */
static void md5_block(uint32_t st[4], const uint8_t *p) {
  uint32_t m[16];
  for (int i = 0; i < 16; i++) m[i] = load_le32(p + 4 * i);
  uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
/* a + K + m first: it does not wait for b, so a step's chain is f, one add, the rotation, one add */
#define S1(a, b, c, d, i, s) a = b + rotl((d ^ (b & (c ^ d))) + (a + K[i] + m[i]), s)
#define S2(a, b, c, d, i, s) a = b + rotl(((b & d) | (c & ~d)) + (a + K[i] + m[(5 * (i) + 1) & 15]), s)
#define S3(a, b, c, d, i, s) a = b + rotl((b ^ (c ^ d)) + (a + K[i] + m[(3 * (i) + 5) & 15]), s)
#define S4(a, b, c, d, i, s) a = b + rotl((c ^ (b | ~d)) + (a + K[i] + m[(7 * (i)) & 15]), s)
  for (int i = 0; i < 16; i += 4) {
    S1(a, b, c, d, i, 7); S1(d, a, b, c, i + 1, 12); S1(c, d, a, b, i + 2, 17); S1(b, c, d, a, i + 3, 22);
  }
  for (int i = 16; i < 32; i += 4) {
    S2(a, b, c, d, i, 5); S2(d, a, b, c, i + 1, 9); S2(c, d, a, b, i + 2, 14); S2(b, c, d, a, i + 3, 20);
  }
  for (int i = 32; i < 48; i += 4) {
    S3(a, b, c, d, i, 4); S3(d, a, b, c, i + 1, 11); S3(c, d, a, b, i + 2, 16); S3(b, c, d, a, i + 3, 23);
  }
  for (int i = 48; i < 64; i += 4) {
    S4(a, b, c, d, i, 6); S4(d, a, b, c, i + 1, 10); S4(c, d, a, b, i + 2, 15); S4(b, c, d, a, i + 3, 21);
  }
#undef S1
#undef S2
#undef S3
#undef S4
  st[0] += a; st[1] += b; st[2] += c; st[3] += d;
}

#ifdef MD5_X86
/*
 * One block for each of eight lanes: st[w][lane] is word w of a lane's state, p[lane] its block
 * (the arrays have room for sixteen lanes, as the AVX-512 kernel's).
 * The blocks' words are transposed so that register m[i] holds word i of every lane.
 */
__attribute__((target("avx2"))) static void md5_x8(uint32_t st[4][16], const uint8_t *const p[16]) {
  __m256i m[16];
  for (int half = 0; half < 2; half++) {
    __m256i r[8];
    for (int l = 0; l < 8; l++) r[l] = _mm256_loadu_si256((const __m256i *)(p[l] + 32 * half));
    __m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]), t1 = _mm256_unpackhi_epi32(r[0], r[1]);
    __m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]), t3 = _mm256_unpackhi_epi32(r[2], r[3]);
    __m256i t4 = _mm256_unpacklo_epi32(r[4], r[5]), t5 = _mm256_unpackhi_epi32(r[4], r[5]);
    __m256i t6 = _mm256_unpacklo_epi32(r[6], r[7]), t7 = _mm256_unpackhi_epi32(r[6], r[7]);
    __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
    __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
    __m256i u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
    __m256i u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);
    __m256i *o = m + 8 * half;
    o[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
    o[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
    o[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
    o[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
    o[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
    o[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
    o[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
    o[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
  }
  const __m256i a0 = _mm256_loadu_si256((const __m256i *)st[0]);
  const __m256i b0 = _mm256_loadu_si256((const __m256i *)st[1]);
  const __m256i c0 = _mm256_loadu_si256((const __m256i *)st[2]);
  const __m256i d0 = _mm256_loadu_si256((const __m256i *)st[3]);
  __m256i a = a0, b = b0, c = c0, d = d0;
  const __m256i ones = _mm256_set1_epi32(-1);
#define ADD _mm256_add_epi32
#define XOR _mm256_xor_si256
#define AND _mm256_and_si256
#define OR _mm256_or_si256
#define ROT(x, s) OR(_mm256_slli_epi32(x, s), _mm256_srli_epi32(x, 32 - (s)))
/* a + m + K does not wait for b: only f, one add, the rotation and the last add do */
#define STEP(f, a, b, c, d, i, g, s) \
  a = ADD(b, ROT(ADD(f, ADD(a, ADD(m[g], _mm256_set1_epi32((int)K[i])))), s))
#define F(b, c, d) XOR(d, AND(b, XOR(c, d)))
#define G(b, c, d) OR(AND(b, d), _mm256_andnot_si256(d, c))
#define H(b, c, d) XOR(XOR(b, c), d)
#define I(b, c, d) XOR(c, OR(b, XOR(d, ones)))
  for (int i = 0; i < 16; i += 4) {
    STEP(F(b, c, d), a, b, c, d, i, i, 7);
    STEP(F(a, b, c), d, a, b, c, i + 1, i + 1, 12);
    STEP(F(d, a, b), c, d, a, b, i + 2, i + 2, 17);
    STEP(F(c, d, a), b, c, d, a, i + 3, i + 3, 22);
  }
  for (int i = 16; i < 32; i += 4) {
    STEP(G(b, c, d), a, b, c, d, i, (5 * i + 1) & 15, 5);
    STEP(G(a, b, c), d, a, b, c, i + 1, (5 * i + 6) & 15, 9);
    STEP(G(d, a, b), c, d, a, b, i + 2, (5 * i + 11) & 15, 14);
    STEP(G(c, d, a), b, c, d, a, i + 3, (5 * i + 16) & 15, 20);
  }
  for (int i = 32; i < 48; i += 4) {
    STEP(H(b, c, d), a, b, c, d, i, (3 * i + 5) & 15, 4);
    STEP(H(a, b, c), d, a, b, c, i + 1, (3 * i + 8) & 15, 11);
    STEP(H(d, a, b), c, d, a, b, i + 2, (3 * i + 11) & 15, 16);
    STEP(H(c, d, a), b, c, d, a, i + 3, (3 * i + 14) & 15, 23);
  }
  for (int i = 48; i < 64; i += 4) {
    STEP(I(b, c, d), a, b, c, d, i, (7 * i) & 15, 6);
    STEP(I(a, b, c), d, a, b, c, i + 1, (7 * i + 7) & 15, 10);
    STEP(I(d, a, b), c, d, a, b, i + 2, (7 * i + 14) & 15, 15);
    STEP(I(c, d, a), b, c, d, a, i + 3, (7 * i + 21) & 15, 21);
  }
#undef ADD
#undef XOR
#undef AND
#undef OR
#undef ROT
#undef STEP
#undef F
#undef G
#undef H
#undef I
  _mm256_storeu_si256((__m256i *)st[0], _mm256_add_epi32(a, a0));
  _mm256_storeu_si256((__m256i *)st[1], _mm256_add_epi32(b, b0));
  _mm256_storeu_si256((__m256i *)st[2], _mm256_add_epi32(c, c0));
  _mm256_storeu_si256((__m256i *)st[3], _mm256_add_epi32(d, d0));
}

/*
 * The same for sixteen lanes with AVX-512: each round function is one ternary-logic
 * instruction and the rotation one instruction, so a step's dependency chain is four
 * instructions (eight lanes with AVX2: six), and twice the files ride on it.
 */
__attribute__((target("avx512f"))) static void md5_x16(uint32_t st[4][16], const uint8_t *const p[16]) {
  __m512i m[16];
  {
    __m512i r[16], t[16], u[16];
    for (int l = 0; l < 16; l++) r[l] = _mm512_loadu_si512((const void *)p[l]);
    for (int k = 0; k < 8; k++) {
      t[2 * k] = _mm512_unpacklo_epi32(r[2 * k], r[2 * k + 1]);
      t[2 * k + 1] = _mm512_unpackhi_epi32(r[2 * k], r[2 * k + 1]);
    }
    /* u[4g + r]: in 128-bit lane q, word 4q + r of rows 4g .. 4g + 3 */
    for (int g = 0; g < 4; g++) {
      u[4 * g] = _mm512_unpacklo_epi64(t[4 * g], t[4 * g + 2]);
      u[4 * g + 1] = _mm512_unpackhi_epi64(t[4 * g], t[4 * g + 2]);
      u[4 * g + 2] = _mm512_unpacklo_epi64(t[4 * g + 1], t[4 * g + 3]);
      u[4 * g + 3] = _mm512_unpackhi_epi64(t[4 * g + 1], t[4 * g + 3]);
    }
    /* a 4x4 transpose of 128-bit lanes among u[r], u[4 + r], u[8 + r], u[12 + r] */
    for (int r = 0; r < 4; r++) {
      __m512i x0 = _mm512_shuffle_i32x4(u[r], u[4 + r], 0x44), x1 = _mm512_shuffle_i32x4(u[r], u[4 + r], 0xEE);
      __m512i y0 = _mm512_shuffle_i32x4(u[8 + r], u[12 + r], 0x44), y1 = _mm512_shuffle_i32x4(u[8 + r], u[12 + r], 0xEE);
      m[r] = _mm512_shuffle_i32x4(x0, y0, 0x88);
      m[4 + r] = _mm512_shuffle_i32x4(x0, y0, 0xDD);
      m[8 + r] = _mm512_shuffle_i32x4(x1, y1, 0x88);
      m[12 + r] = _mm512_shuffle_i32x4(x1, y1, 0xDD);
    }
  }
  const __m512i a0 = _mm512_loadu_si512((const void *)st[0]);
  const __m512i b0 = _mm512_loadu_si512((const void *)st[1]);
  const __m512i c0 = _mm512_loadu_si512((const void *)st[2]);
  const __m512i d0 = _mm512_loadu_si512((const void *)st[3]);
  __m512i a = a0, b = b0, c = c0, d = d0;
#define ADD _mm512_add_epi32
/* ternary-logic tables of F, G, H, I over (b, c, d) */
#define STEP(tt, a, b, c, d, i, g, s) \
  a = ADD(b, _mm512_rol_epi32(ADD(_mm512_ternarylogic_epi32(b, c, d, tt), ADD(a, ADD(m[g], _mm512_set1_epi32((int)K[i])))), s))
  for (int i = 0; i < 16; i += 4) {
    STEP(0xCA, a, b, c, d, i, i, 7);
    STEP(0xCA, d, a, b, c, i + 1, i + 1, 12);
    STEP(0xCA, c, d, a, b, i + 2, i + 2, 17);
    STEP(0xCA, b, c, d, a, i + 3, i + 3, 22);
  }
  for (int i = 16; i < 32; i += 4) {
    STEP(0xE4, a, b, c, d, i, (5 * i + 1) & 15, 5);
    STEP(0xE4, d, a, b, c, i + 1, (5 * i + 6) & 15, 9);
    STEP(0xE4, c, d, a, b, i + 2, (5 * i + 11) & 15, 14);
    STEP(0xE4, b, c, d, a, i + 3, (5 * i + 16) & 15, 20);
  }
  for (int i = 32; i < 48; i += 4) {
    STEP(0x96, a, b, c, d, i, (3 * i + 5) & 15, 4);
    STEP(0x96, d, a, b, c, i + 1, (3 * i + 8) & 15, 11);
    STEP(0x96, c, d, a, b, i + 2, (3 * i + 11) & 15, 16);
    STEP(0x96, b, c, d, a, i + 3, (3 * i + 14) & 15, 23);
  }
  for (int i = 48; i < 64; i += 4) {
    STEP(0x39, a, b, c, d, i, (7 * i) & 15, 6);
    STEP(0x39, d, a, b, c, i + 1, (7 * i + 7) & 15, 10);
    STEP(0x39, c, d, a, b, i + 2, (7 * i + 14) & 15, 15);
    STEP(0x39, b, c, d, a, i + 3, (7 * i + 21) & 15, 21);
  }
#undef STEP
#undef ADD
  _mm512_storeu_si512((void *)st[0], _mm512_add_epi32(a, a0));
  _mm512_storeu_si512((void *)st[1], _mm512_add_epi32(b, b0));
  _mm512_storeu_si512((void *)st[2], _mm512_add_epi32(c, c0));
  _mm512_storeu_si512((void *)st[3], _mm512_add_epi32(d, d0));
}

typedef void (*md5_kernel_t)(uint32_t st[4][16], const uint8_t *const p[16]);

/* The widest kernel this CPU runs (0 lanes: none; the portable path is used). */
static int kernel_width(md5_kernel_t *kernel) {
  static int known = -1;
  static md5_kernel_t chosen = NULL;
  if (known < 0) {
    __builtin_cpu_init();
    /* TAPLINE_MD5_LANES=8 or 1 picks a narrower path (tests run every path this CPU has) */
    const char *want = getenv("TAPLINE_MD5_LANES");
    if (want != NULL && strcmp(want, "1") == 0) {
      known = 1;
    } else if (want != NULL && strcmp(want, "8") == 0 && __builtin_cpu_supports("avx2")) {
      known = 8;
      chosen = md5_x8;
    } else if (__builtin_cpu_supports("avx512f")) {
      known = 16;
      chosen = md5_x16;
    } else if (__builtin_cpu_supports("avx2")) {
      known = 8;
      chosen = md5_x8;
    } else {
      known = 1;
    }
  }
  if (kernel) *kernel = chosen;
  return known;
}
#else
static int kernel_width(void *kernel) {
  (void)kernel;
  return 1;
}
#endif

int md5_lanes_width(void) { return kernel_width(NULL); }


/* Slot accessors (the pool is only 4-byte aligned: the total is read and written bytewise). */
static inline uint32_t *slot_state(uint8_t *slot) { return (uint32_t *)slot; }
static inline uint64_t slot_total(const uint8_t *slot) {
  uint64_t t;
  memcpy(&t, slot + 24, 8);
  return t;
}
static inline void slot_set_total(uint8_t *slot, uint64_t t) { memcpy(slot + 24, &t, 8); }

void md5_slot_reset(uint8_t *slot) {
  uint32_t *st = slot_state(slot);
  st[0] = 0x67452301u;
  st[1] = 0xefcdab89u;
  st[2] = 0x98badcfeu;
  st[3] = 0x10325476u;
  memset(slot + 16, 0, SLOT_BYTES - 16);
}

void md5_slot_final(uint8_t *slot, uint8_t out[16]) {
  uint32_t *st = slot_state(slot);
  uint32_t carry;
  memcpy(&carry, slot + 16, 4);
  uint64_t bits = slot_total(slot) * 8;
  uint8_t block[128];
  memcpy(block, slot + 32, carry);
  block[carry] = 0x80;
  size_t n = carry + 1 <= 56 ? 64 : 128;
  memset(block + carry + 1, 0, n - carry - 1);
  for (int i = 0; i < 8; i++) block[n - 8 + i] = (uint8_t)(bits >> (8 * i));
  md5_block(st, block);
  if (n == 128) md5_block(st, block + 64);
  for (int w = 0; w < 4; w++)
    for (int i = 0; i < 4; i++) out[4 * w + i] = (uint8_t)(st[w] >> (8 * i));
}

/* A lane's position in its chain: the segment it reads and where; `bounce` joins block pieces. */
typedef struct {
  int chain;        /* index into the chains, -1: idle */
  uint8_t *slot;
  uint32_t seg;     /* next segment of the chain */
  const uint8_t *p; /* unread bytes of the current segment */
  size_t left;
  uint8_t bounce[64];
  size_t bounce_len;
} lane_t;

static void lane_start(lane_t *l, const md5_chain_t *c, int index, uint8_t *slot) {
  l->chain = index;
  l->slot = slot;
  l->seg = 0;
  l->p = NULL;
  l->left = 0;
  uint32_t carry;
  memcpy(&carry, slot + 16, 4);
  memcpy(l->bounce, slot + 32, carry);
  l->bounce_len = carry;
  uint64_t add = 0;
  for (uint32_t s = 0; s < c->count; s++) add += c->segs[s].len;
  slot_set_total(slot, slot_total(slot) + add);
}

/*
 * The lane's next whole block: in place when the current segment holds one (the common case),
 * else gathered into `bounce` across segments. NULL when the chain has less than a block left:
 * the rest is kept as the slot's carry.
 */
static const uint8_t *lane_next(lane_t *l, const md5_chain_t *c) {
  if (l->bounce_len == 0) {
    while (l->left == 0 && l->seg < c->count) {
      l->p = c->segs[l->seg].data;
      l->left = c->segs[l->seg].len;
      l->seg++;
    }
    if (l->left >= 64) {
      const uint8_t *b = l->p;
      l->p += 64;
      l->left -= 64;
      return b;
    }
  }
  for (;;) {
    size_t n = 64 - l->bounce_len;
    if (n > l->left) n = l->left;
    memcpy(l->bounce + l->bounce_len, l->p, n);
    l->bounce_len += n;
    l->p += n;
    l->left -= n;
    if (l->bounce_len == 64) {
      l->bounce_len = 0;
      return l->bounce;
    }
    if (l->seg >= c->count) break;
    l->p = c->segs[l->seg].data;
    l->left = c->segs[l->seg].len;
    l->seg++;
  }
  uint32_t carry = (uint32_t)l->bounce_len;
  memcpy(l->slot + 16, &carry, 4);
  memcpy(l->slot + 32, l->bounce, carry);
  return NULL;
}

/* Portable path: each chain on its own, one block at a time. */
static void run_single(const md5_chain_t *chains, int count, uint8_t *const *slots) {
  lane_t l;
  for (int c = 0; c < count; c++) {
    lane_start(&l, &chains[c], c, slots[c]);
    uint32_t st[4];
    memcpy(st, slots[c], 16);
    const uint8_t *b;
    while ((b = lane_next(&l, &chains[c])) != NULL) md5_block(st, b);
    memcpy(slots[c], st, 16);
  }
}

void md5_lanes_update(const md5_chain_t *chains, int count, uint8_t *const *slots) {
#ifdef MD5_X86
  md5_kernel_t kernel;
  int width = kernel_width(&kernel);
  if (width > 1 && count > 1) {
    static const uint8_t idle_block[64];
    lane_t lanes[16];
    uint32_t st[4][16] = {{0}};
    const uint8_t *p[16];
    int next = 0;
    for (int i = 0; i < 16; i++) {
      lanes[i].chain = -1;
      p[i] = idle_block;
    }
    for (;;) {
      int busy = 0;
      for (int i = 0; i < width; i++) {
        lane_t *l = &lanes[i];
        const uint8_t *b = NULL;
        while (b == NULL) {
          if (l->chain >= 0) {
            b = lane_next(l, &chains[l->chain]);
            if (b != NULL) break;
            /* the chain's last whole block is in: its state goes back to its slot */
            for (int w = 0; w < 4; w++) slot_state(l->slot)[w] = st[w][i];
            l->chain = -1;
          }
          if (next >= count) break;
          lane_start(l, &chains[next], next, slots[next]);
          for (int w = 0; w < 4; w++) st[w][i] = slot_state(l->slot)[w];
          next++;
        }
        p[i] = b != NULL ? b : idle_block;
        busy += b != NULL;
      }
      if (busy == 0) return;
      if (busy <= 2 && next >= count) {
        /* the last one or two files: one block at a time costs less than a mostly idle register */
        for (int i = 0; i < width; i++) {
          lane_t *l = &lanes[i];
          if (p[i] == idle_block) continue;
          uint32_t one[4] = {st[0][i], st[1][i], st[2][i], st[3][i]};
          const uint8_t *b = p[i];
          do md5_block(one, b);
          while ((b = lane_next(l, &chains[l->chain])) != NULL);
          memcpy(l->slot, one, 16);
        }
        return;
      }
      kernel(st, p);
    }
  }
#endif
  run_single(chains, count, slots);
}
