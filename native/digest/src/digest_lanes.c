/*
 * MD5, SHA-1 and SHA-256 of many files at once (multi-buffer hashing), for the carver's digest
 * spool stage.
 *
 * Why: each digest is one long dependency chain per message, so one file hashes at a rate no
 * code can raise much (MD5 ~0.45-0.5 GB/s even in OpenSSL's assembly; SHA-1 and SHA-256 ~1 GB/s
 * with the CPU's SHA extensions), and the three digests were about 40 % of a carve's CPU. A
 * carve spools many files: sixteen of them hashed side by side in the sixteen 32-bit lanes of
 * an AVX-512 register cost about what one costs alone. The stage hands over every file's pending
 * ring entries at once (a "chain" per file); each lane takes a chain, carries its file's state,
 * and takes the next chain when it is done.
 *
 * Paths, chosen once per process from the CPU: AVX-512 (16 lanes, every algorithm); AVX2 (8
 * lanes, MD5 only); one file at a time with the SHA extensions (SHA-1, SHA-256) or portable C.
 * The last few files of an update go one at a time (see impl_t.single_max): a mostly idle
 * register costs more than their blocks one by one. TAPLINE_DIGEST_LANES=8, =1 or =0 (portable C only) narrows the choice,
 * so tests cover every path the CPU has.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "digest_lanes.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define DIGEST_X86 1
#endif

/* ---------------------------------------------------------------- constants */

static const uint32_t MD5_K[64] = {
  0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
  0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
  0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
  0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
  0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
  0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
  0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
  0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

static const uint32_t SHA256_K[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static const uint32_t SHA1_K[4] = {0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6};

static const uint32_t INIT[ALG_COUNT][8] = {
  {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476},
  {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0},
  {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19},
};
static const int WORDS[ALG_COUNT] = {4, 5, 8};

static inline uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint32_t be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}
static inline uint32_t rotl(uint32_t x, int s) { return (x << s) | (x >> (32 - s)); }
static inline uint32_t rotr(uint32_t x, int s) { return (x >> s) | (x << (32 - s)); }

/* ---------------------------------------------------------------- one block, portable */

/* MD5 (RFC 1321). a + K + m first: it does not wait for b, so a step's chain is f, one add, the rotation, one add. */
static void md5_block(uint32_t *st, const uint8_t *p) {
  uint32_t m[16];
  for (int i = 0; i < 16; i++) m[i] = le32(p + 4 * i);
  uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
#define S1(a, b, c, d, i, s) a = b + rotl((d ^ (b & (c ^ d))) + (a + MD5_K[i] + m[i]), s)
#define S2(a, b, c, d, i, s) a = b + rotl(((b & d) | (c & ~d)) + (a + MD5_K[i] + m[(5 * (i) + 1) & 15]), s)
#define S3(a, b, c, d, i, s) a = b + rotl((b ^ (c ^ d)) + (a + MD5_K[i] + m[(3 * (i) + 5) & 15]), s)
#define S4(a, b, c, d, i, s) a = b + rotl((c ^ (b | ~d)) + (a + MD5_K[i] + m[(7 * (i)) & 15]), s)
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

/* SHA-1 (FIPS 180-4). */
static void sha1_block(uint32_t *st, const uint8_t *p) {
  uint32_t w[80];
  for (int i = 0; i < 16; i++) w[i] = be32(p + 4 * i);
  for (int i = 16; i < 80; i++) w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  uint32_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4];
  for (int i = 0; i < 80; i++) {
    uint32_t f = i < 20 ? (d ^ (b & (c ^ d))) : i < 40 ? (b ^ c ^ d) : i < 60 ? ((b & c) | (d & (b | c))) : (b ^ c ^ d);
    uint32_t t = rotl(a, 5) + f + e + SHA1_K[i / 20] + w[i];
    e = d;
    d = c;
    c = rotl(b, 30);
    b = a;
    a = t;
  }
  st[0] += a; st[1] += b; st[2] += c; st[3] += d; st[4] += e;
}

/* SHA-256 (FIPS 180-4). */
static void sha256_block(uint32_t *st, const uint8_t *p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++) w[i] = be32(p + 4 * i);
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + (g ^ (e & (f ^ g))) + SHA256_K[i] + w[i];
    uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) | (c & (a | b)));
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  st[0] += a; st[1] += b; st[2] += c; st[3] += d; st[4] += e; st[5] += f; st[6] += g; st[7] += h;
}

typedef void (*block_fn)(uint32_t *st, const uint8_t *p);
/* st[w][lane]: word w of each lane's state; p[lane]: each lane's block. */
typedef void (*lanes_fn)(uint32_t st[8][16], const uint8_t *const p[16]);

#ifdef DIGEST_X86
/* ---------------------------------------------------------------- one block, SHA extensions */

/* SHA-256 with SHA-NI: the state kept as ABEF/CDGH, four rounds per message vector. */
__attribute__((target("sha,sse4.1,ssse3"))) static void sha256_ni_block(uint32_t *st, const uint8_t *p) {
  const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)st), 0xB1);        /* CDAB */
  __m128i s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(st + 4)), 0x1B);  /* EFGH */
  __m128i s0 = _mm_alignr_epi8(tmp, s1, 8);                                           /* ABEF */
  s1 = _mm_blend_epi16(s1, tmp, 0xF0);                                                /* CDGH */
  const __m128i abef = s0, cdgh = s1;
  __m128i m[4];
  #pragma GCC unroll 20
  for (int g = 0; g < 16; g++) {
    __m128i w;
    if (g < 4) {
      w = m[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * g)), bswap);
    } else {
      /* W[t..t+3] from W[t-16..t-1]: msg1 adds sigma0, alignr gives W[t-7..t-4], msg2 adds sigma1 */
      __m128i x = _mm_sha256msg1_epu32(m[g & 3], m[(g + 1) & 3]);
      x = _mm_add_epi32(x, _mm_alignr_epi8(m[(g + 3) & 3], m[(g + 2) & 3], 4));
      w = m[g & 3] = _mm_sha256msg2_epu32(x, m[(g + 3) & 3]);
    }
    __m128i k = _mm_add_epi32(w, _mm_loadu_si128((const __m128i *)(SHA256_K + 4 * g)));
    s1 = _mm_sha256rnds2_epu32(s1, s0, k);
    s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(k, 0x0E));
  }
  s0 = _mm_add_epi32(s0, abef);
  s1 = _mm_add_epi32(s1, cdgh);
  tmp = _mm_shuffle_epi32(s0, 0x1B);       /* FEBA */
  s1 = _mm_shuffle_epi32(s1, 0xB1);        /* DCHG */
  s0 = _mm_blend_epi16(tmp, s1, 0xF0);     /* DCBA */
  s1 = _mm_alignr_epi8(s1, tmp, 8);        /* HGFE */
  _mm_storeu_si128((__m128i *)st, s0);
  _mm_storeu_si128((__m128i *)(st + 4), s1);
}

/* SHA-1 with SHA-NI: four rounds per instruction, E carried by sha1nexte. */
__attribute__((target("sha,sse4.1,ssse3"))) static void sha1_ni_block(uint32_t *st, const uint8_t *p) {
  const __m128i bswap = _mm_set_epi64x(0x0001020304050607ULL, 0x08090a0b0c0d0e0fULL);
  __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)st), 0x1B);
  __m128i e0 = _mm_set_epi32((int)st[4], 0, 0, 0);
  const __m128i abcd_save = abcd, e_save = e0;
  __m128i m[4], e[2];
  for (int g = 0; g < 4; g++) m[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * g)), bswap);
  e[0] = _mm_add_epi32(e0, m[0]);
  e[1] = abcd;
  abcd = _mm_sha1rnds4_epu32(abcd, e[0], 0);
  #pragma GCC unroll 20
  for (int g = 1; g < 20; g++) {
    /* group g: rounds 4g .. 4g + 3, with W of the group in m[g % 4] */
    __m128i *cur = &e[g & 1], *other = &e[(g + 1) & 1];
    *cur = _mm_sha1nexte_epu32(*cur, m[g & 3]);
    *other = abcd;
    if (g >= 3 && g <= 18) m[(g + 1) & 3] = _mm_sha1msg2_epu32(m[(g + 1) & 3], m[g & 3]);
    switch (g / 5) {
      case 0: abcd = _mm_sha1rnds4_epu32(abcd, *cur, 0); break;
      case 1: abcd = _mm_sha1rnds4_epu32(abcd, *cur, 1); break;
      case 2: abcd = _mm_sha1rnds4_epu32(abcd, *cur, 2); break;
      default: abcd = _mm_sha1rnds4_epu32(abcd, *cur, 3); break;
    }
    if (g >= 1 && g <= 16) m[(g - 1) & 3] = _mm_sha1msg1_epu32(m[(g - 1) & 3], m[g & 3]);
    if (g >= 2 && g <= 17) m[(g - 2) & 3] = _mm_xor_si128(m[(g - 2) & 3], m[g & 3]);
  }
  /* group 19 is odd: e[0] holds abcd from before its rounds, whose rotated A is the new E */
  e0 = _mm_sha1nexte_epu32(e[0], e_save);
  abcd = _mm_add_epi32(abcd, abcd_save);
  abcd = _mm_shuffle_epi32(abcd, 0x1B);
  _mm_storeu_si128((__m128i *)st, abcd);
  st[4] = (uint32_t)_mm_extract_epi32(e0, 3);
}

/* ---------------------------------------------------------------- many blocks, SIMD */

/* MD5 for eight lanes with AVX2 (words 0-7 of each block, then 8-15, transposed 8x8). */
__attribute__((target("avx2"))) static void md5_x8(uint32_t st[8][16], const uint8_t *const p[16]) {
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
#define STEP(f, a, b, c, d, i, g, s) \
  a = ADD(b, ROT(ADD(f, ADD(a, ADD(m[g], _mm256_set1_epi32((int)MD5_K[i])))), s))
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

/* r[l] = block of lane l (16 words) -> m[i] = word i of every lane (a 16x16 transpose of 32-bit words). */
__attribute__((target("avx512f"))) static inline void transpose16(const __m512i r[16], __m512i m[16]) {
  __m512i t[16], u[16];
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
  for (int r2 = 0; r2 < 4; r2++) {
    __m512i x0 = _mm512_shuffle_i32x4(u[r2], u[4 + r2], 0x44), x1 = _mm512_shuffle_i32x4(u[r2], u[4 + r2], 0xEE);
    __m512i y0 = _mm512_shuffle_i32x4(u[8 + r2], u[12 + r2], 0x44), y1 = _mm512_shuffle_i32x4(u[8 + r2], u[12 + r2], 0xEE);
    m[r2] = _mm512_shuffle_i32x4(x0, y0, 0x88);
    m[4 + r2] = _mm512_shuffle_i32x4(x0, y0, 0xDD);
    m[8 + r2] = _mm512_shuffle_i32x4(x1, y1, 0x88);
    m[12 + r2] = _mm512_shuffle_i32x4(x1, y1, 0xDD);
  }
}

/* Sixteen blocks' words, big-endian (SHA) or as stored (MD5), word i of every lane in m[i]. */
__attribute__((target("avx512f,avx512bw"))) static inline void load16(const uint8_t *const p[16], __m512i m[16], int big_endian) {
  __m512i r[16];
  const __m512i bswap = _mm512_set_epi64(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL, 0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL,
                                         0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL, 0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  for (int l = 0; l < 16; l++) {
    r[l] = _mm512_loadu_si512((const void *)p[l]);
    if (big_endian) r[l] = _mm512_shuffle_epi8(r[l], bswap);
  }
  transpose16(r, m);
}

/*
 * MD5 for sixteen lanes with AVX-512: each round function is one ternary-logic instruction and
 * the rotation one instruction, so a step's dependency chain is four instructions (AVX2: six).
 */
__attribute__((target("avx512f,avx512bw"))) static void md5_x16(uint32_t st[8][16], const uint8_t *const p[16]) {
  __m512i m[16];
  load16(p, m, 0);
  const __m512i a0 = _mm512_loadu_si512((const void *)st[0]);
  const __m512i b0 = _mm512_loadu_si512((const void *)st[1]);
  const __m512i c0 = _mm512_loadu_si512((const void *)st[2]);
  const __m512i d0 = _mm512_loadu_si512((const void *)st[3]);
  __m512i a = a0, b = b0, c = c0, d = d0;
#define ADD _mm512_add_epi32
/* ternary-logic tables of F, G, H, I over (b, c, d): 0xCA, 0xE4, 0x96, 0x39 */
#define STEP(tt, a, b, c, d, i, g, s) \
  a = ADD(b, _mm512_rol_epi32(ADD(_mm512_ternarylogic_epi32(b, c, d, tt), ADD(a, ADD(m[g], _mm512_set1_epi32((int)MD5_K[i])))), s))
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

/* SHA-1 for sixteen lanes: the round functions (Ch 0xCA, parity 0x96, Maj 0xE8) are one ternary-logic instruction each. */
__attribute__((target("avx512f,avx512bw"))) static void sha1_x16(uint32_t st[8][16], const uint8_t *const p[16]) {
  __m512i w[16];
  load16(p, w, 1);
  __m512i s[5], v[5];
  for (int i = 0; i < 5; i++) s[i] = v[i] = _mm512_loadu_si512((const void *)st[i]);
#define ADD _mm512_add_epi32
#define SCHED(t) \
  w[(t) & 15] = _mm512_rol_epi32(_mm512_xor_si512(_mm512_ternarylogic_epi32(w[((t) - 3) & 15], w[((t) - 8) & 15], w[((t) - 14) & 15], 0x96), w[(t) & 15]), 1)
  /* e += rol(a, 5) + f(b, c, d) + K + W[t]; b = rol(b, 30); the names then rotate */
#define R(a, b, c, d, e, t, tt, k)                                                              \
  do {                                                                                          \
    if ((t) >= 16) SCHED(t);                                                                    \
    e = ADD(ADD(e, ADD(w[(t) & 15], k)), ADD(_mm512_rol_epi32(a, 5), _mm512_ternarylogic_epi32(b, c, d, tt))); \
    b = _mm512_rol_epi32(b, 30);                                                                \
  } while (0)
  #pragma GCC unroll 20
  for (int q = 0; q < 4; q++) {
    const __m512i k = _mm512_set1_epi32((int)SHA1_K[q]);
    #pragma GCC unroll 20
    for (int t = 20 * q; t < 20 * q + 20; t += 5) {
      if (q == 0) {
        R(v[0], v[1], v[2], v[3], v[4], t, 0xCA, k);
        R(v[4], v[0], v[1], v[2], v[3], t + 1, 0xCA, k);
        R(v[3], v[4], v[0], v[1], v[2], t + 2, 0xCA, k);
        R(v[2], v[3], v[4], v[0], v[1], t + 3, 0xCA, k);
        R(v[1], v[2], v[3], v[4], v[0], t + 4, 0xCA, k);
      } else if (q == 2) {
        R(v[0], v[1], v[2], v[3], v[4], t, 0xE8, k);
        R(v[4], v[0], v[1], v[2], v[3], t + 1, 0xE8, k);
        R(v[3], v[4], v[0], v[1], v[2], t + 2, 0xE8, k);
        R(v[2], v[3], v[4], v[0], v[1], t + 3, 0xE8, k);
        R(v[1], v[2], v[3], v[4], v[0], t + 4, 0xE8, k);
      } else {
        R(v[0], v[1], v[2], v[3], v[4], t, 0x96, k);
        R(v[4], v[0], v[1], v[2], v[3], t + 1, 0x96, k);
        R(v[3], v[4], v[0], v[1], v[2], t + 2, 0x96, k);
        R(v[2], v[3], v[4], v[0], v[1], t + 3, 0x96, k);
        R(v[1], v[2], v[3], v[4], v[0], t + 4, 0x96, k);
      }
    }
  }
#undef R
#undef SCHED
#undef ADD
  for (int i = 0; i < 5; i++) _mm512_storeu_si512((void *)st[i], _mm512_add_epi32(v[i], s[i]));
}

/* SHA-256 for sixteen lanes: Ch (0xCA), Maj (0xE8) and each three-way xor of rotations (0x96) one instruction each. */
__attribute__((target("avx512f,avx512bw"))) static void sha256_x16(uint32_t st[8][16], const uint8_t *const p[16]) {
  __m512i w[16];
  load16(p, w, 1);
  __m512i s[8], v[8];
  for (int i = 0; i < 8; i++) s[i] = v[i] = _mm512_loadu_si512((const void *)st[i]);
#define ADD _mm512_add_epi32
#define ROR _mm512_ror_epi32
#define X3(x, y, z) _mm512_ternarylogic_epi32(x, y, z, 0x96)
#define SCHED(t)                                                                                       \
  w[(t) & 15] = ADD(ADD(w[(t) & 15], X3(ROR(w[((t) - 15) & 15], 7), ROR(w[((t) - 15) & 15], 18), _mm512_srli_epi32(w[((t) - 15) & 15], 3))), \
                    ADD(w[((t) - 7) & 15], X3(ROR(w[((t) - 2) & 15], 17), ROR(w[((t) - 2) & 15], 19), _mm512_srli_epi32(w[((t) - 2) & 15], 10))))
  /* T1 = h + S1(e) + Ch(e, f, g) + K + W; d += T1; h = T1 + S0(a) + Maj(a, b, c); the names then rotate */
#define R(a, b, c, d, e, f, g, h, t)                                                                             \
  do {                                                                                                           \
    if ((t) >= 16) SCHED(t);                                                                                     \
    __m512i t1 = ADD(ADD(h, ADD(w[(t) & 15], _mm512_set1_epi32((int)SHA256_K[t]))),                             \
                     ADD(X3(ROR(e, 6), ROR(e, 11), ROR(e, 25)), _mm512_ternarylogic_epi32(e, f, g, 0xCA)));     \
    d = ADD(d, t1);                                                                                              \
    h = ADD(t1, ADD(X3(ROR(a, 2), ROR(a, 13), ROR(a, 22)), _mm512_ternarylogic_epi32(a, b, c, 0xE8)));         \
  } while (0)
  #pragma GCC unroll 20
  for (int t = 0; t < 64; t += 8) {
    R(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], t);
    R(v[7], v[0], v[1], v[2], v[3], v[4], v[5], v[6], t + 1);
    R(v[6], v[7], v[0], v[1], v[2], v[3], v[4], v[5], t + 2);
    R(v[5], v[6], v[7], v[0], v[1], v[2], v[3], v[4], t + 3);
    R(v[4], v[5], v[6], v[7], v[0], v[1], v[2], v[3], t + 4);
    R(v[3], v[4], v[5], v[6], v[7], v[0], v[1], v[2], t + 5);
    R(v[2], v[3], v[4], v[5], v[6], v[7], v[0], v[1], t + 6);
    R(v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[0], t + 7);
  }
#undef R
#undef SCHED
#undef X3
#undef ROR
#undef ADD
  for (int i = 0; i < 8; i++) _mm512_storeu_si512((void *)st[i], _mm512_add_epi32(v[i], s[i]));
}
#endif

/* ---------------------------------------------------------------- choosing a path */

typedef struct {
  int width;     /* lanes of `lanes` (1: none) */
  lanes_fn lanes;
  block_fn one;  /* one block of one file */
  /*
   * When no file is left to start and at most this many lanes are busy, they finish one at a
   * time: a 16-lane step costs about what 3 MD5 blocks, 6 SHA-1 or 12 SHA-256 blocks cost one at
   * a time with SHA-NI (256 MB: lanes 100 / 115 / 190 ms, one at a time 550 / 265 / 260 ms).
   */
  int single_max;
} impl_t;

static impl_t choose(int alg) {
  static const block_fn portable[ALG_COUNT] = {md5_block, sha1_block, sha256_block};
  impl_t r = {1, NULL, portable[alg], 0};
#ifdef DIGEST_X86
  const char *want = getenv("TAPLINE_DIGEST_LANES");
  int limit = want == NULL ? 16 : atoi(want);
  if (limit <= 0) return r;
  unsigned a = 0, b = 0, c = 0, d = 0;
  int sha_ni = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29)) != 0;
  __builtin_cpu_init();
  int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  int avx2 = __builtin_cpu_supports("avx2");
  if (sha_ni && alg == ALG_SHA1) r.one = sha1_ni_block;
  if (sha_ni && alg == ALG_SHA256) r.one = sha256_ni_block;
  static const lanes_fn x16[ALG_COUNT] = {md5_x16, sha1_x16, sha256_x16};
  if (limit >= 16 && avx512) {
    r.width = 16;
    r.lanes = x16[alg];
    r.single_max = alg == ALG_MD5 ? 2 : !sha_ni ? 1 : alg == ALG_SHA1 ? 5 : 11;
  } else if (limit >= 8 && avx2 && alg == ALG_MD5) {
    r.width = 8;
    r.lanes = md5_x8;
    r.single_max = 2;
  }
#endif
  return r;
}

#if defined(__GNUC__) || defined(__clang__)
#define LOAD_ACQUIRE(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE_RELEASE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#else
#define LOAD_ACQUIRE(x) (x)
#define STORE_RELEASE(x, v) ((x) = (v))
#endif

static const impl_t *impl(int alg) {
  static impl_t chosen[ALG_COUNT];
  static int known[ALG_COUNT];
  /* worker threads may race here: each computes the same answer */
  if (!LOAD_ACQUIRE(known[alg])) {
    chosen[alg] = choose(alg);
    STORE_RELEASE(known[alg], 1);
  }
  return &chosen[alg];
}

int digest_lanes_width(int alg) { return impl(alg)->width; }
int digest_length(int alg) { return alg == ALG_MD5 ? 16 : alg == ALG_SHA1 ? 20 : 32; }

/* ---------------------------------------------------------------- contexts */

static inline uint32_t *slot_state(uint8_t *slot) { return (uint32_t *)slot; }
static inline uint32_t slot_carry(const uint8_t *slot) {
  uint32_t c;
  memcpy(&c, slot + 32, 4);
  return c;
}
static inline void slot_set_carry(uint8_t *slot, uint32_t c) { memcpy(slot + 32, &c, 4); }
static inline uint64_t slot_total(const uint8_t *slot) {
  uint64_t t;
  memcpy(&t, slot + 40, 8);
  return t;
}
static inline void slot_set_total(uint8_t *slot, uint64_t t) { memcpy(slot + 40, &t, 8); }
#define SLOT_CARRY_AT 64

void digest_slot_reset(int alg, uint8_t *slot) {
  memset(slot, 0, SLOT_BYTES);
  memcpy(slot, INIT[alg], 4 * (size_t)WORDS[alg]);
}

void digest_slot_final(int alg, uint8_t *slot, uint8_t *out) {
  uint32_t *st = slot_state(slot);
  uint32_t carry = slot_carry(slot);
  uint64_t bits = slot_total(slot) * 8;
  uint8_t block[128];
  memcpy(block, slot + SLOT_CARRY_AT, carry);
  block[carry] = 0x80;
  size_t n = carry + 1 <= 56 ? 64 : 128;
  memset(block + carry + 1, 0, n - carry - 1);
  /* MD5 counts bits little-endian and writes its words little-endian; SHA big-endian */
  int little = alg == ALG_MD5;
  for (int i = 0; i < 8; i++) block[n - 8 + i] = (uint8_t)(bits >> (little ? 8 * i : 56 - 8 * i));
  block_fn one = impl(alg)->one;
  one(st, block);
  if (n == 128) one(st, block + 64);
  for (int w = 0; w < WORDS[alg]; w++)
    for (int i = 0; i < 4; i++) out[4 * w + i] = (uint8_t)(st[w] >> (little ? 8 * i : 24 - 8 * i));
}

/* ---------------------------------------------------------------- lanes */

/* A lane's position in its chain: the segment it reads and where; `bounce` joins block pieces. */
typedef struct {
  int chain; /* index into the chains, -1: idle */
  uint8_t *slot;
  uint32_t seg; /* next segment of the chain */
  const uint8_t *p; /* unread bytes of the current segment */
  size_t left;
  uint8_t bounce[64];
  size_t bounce_len;
} lane_t;

static void lane_start(lane_t *l, const digest_chain_t *c, int index, uint8_t *slot) {
  l->chain = index;
  l->slot = slot;
  l->seg = 0;
  l->p = NULL;
  l->left = 0;
  uint32_t carry = slot_carry(slot);
  memcpy(l->bounce, slot + SLOT_CARRY_AT, carry);
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
static const uint8_t *lane_next(lane_t *l, const digest_chain_t *c) {
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
    if (n > 0) memcpy(l->bounce + l->bounce_len, l->p, n);
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
  slot_set_carry(l->slot, (uint32_t)l->bounce_len);
  memcpy(l->slot + SLOT_CARRY_AT, l->bounce, l->bounce_len);
  return NULL;
}

void digest_lanes_update(int alg, const digest_chain_t *chains, int count, uint8_t *const *slots) {
  const impl_t *im = impl(alg);
  const int words = WORDS[alg];
  if (im->width > 1 && count > im->single_max) {
    static const uint8_t idle_block[64];
    lane_t lanes[16];
    uint32_t st[8][16];
    const uint8_t *p[16];
    int next = 0;
    memset(st, 0, sizeof st);
    for (int i = 0; i < 16; i++) {
      lanes[i].chain = -1;
      p[i] = idle_block;
    }
    for (;;) {
      int busy = 0;
      for (int i = 0; i < im->width; i++) {
        lane_t *l = &lanes[i];
        const uint8_t *b = NULL;
        while (b == NULL) {
          if (l->chain >= 0) {
            b = lane_next(l, &chains[l->chain]);
            if (b != NULL) break;
            /* the chain's last whole block is in: its state goes back to its slot */
            for (int w = 0; w < words; w++) slot_state(l->slot)[w] = st[w][i];
            l->chain = -1;
          }
          if (next >= count) break;
          lane_start(l, &chains[next], next, slots[next]);
          for (int w = 0; w < words; w++) st[w][i] = slot_state(l->slot)[w];
          next++;
        }
        p[i] = b != NULL ? b : idle_block;
        busy += b != NULL;
      }
      if (busy == 0) return;
      if (busy <= im->single_max && next >= count) {
        /* the last few files: one block at a time costs less than a mostly idle register */
        for (int i = 0; i < im->width; i++) {
          lane_t *l = &lanes[i];
          if (p[i] == idle_block) continue;
          uint32_t one[8];
          for (int w = 0; w < words; w++) one[w] = st[w][i];
          const uint8_t *b = p[i];
          do im->one(one, b);
          while ((b = lane_next(l, &chains[l->chain])) != NULL);
          memcpy(l->slot, one, 4 * (size_t)words);
        }
        return;
      }
      im->lanes(st, p);
    }
  }
  lane_t l;
  for (int c = 0; c < count; c++) {
    lane_start(&l, &chains[c], c, slots[c]);
    uint32_t one[8];
    memcpy(one, slots[c], 4 * (size_t)words);
    const uint8_t *b;
    while ((b = lane_next(&l, &chains[c])) != NULL) im->one(one, b);
    memcpy(slots[c], one, 4 * (size_t)words);
  }
}
