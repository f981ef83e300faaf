#ifndef TAPLINE_DIGEST_LANES_H
#define TAPLINE_DIGEST_LANES_H
#include <stddef.h>
#include <stdint.h>

/*
 * Bytes of one digest context in a pool:
 *   u32 state[8] | u32 carry_len | u32 mark | u64 total bytes | u8 unused[16] | u8 carry[64]
 */
#define SLOT_BYTES 128

enum digest_alg { ALG_MD5 = 0, ALG_SHA1 = 1, ALG_SHA256 = 2, ALG_COUNT = 3 };

typedef struct {
  const uint8_t *data;
  size_t len;
} digest_segment_t;

/* One file's bytes for this update, in order. */
typedef struct {
  const digest_segment_t *segs;
  uint32_t count;
} digest_chain_t;

/*
 * Files hashed side by side by `alg` on this CPU: 16 (AVX-512), 8 (MD5 with AVX2), or 1 (one at
 * a time: SHA extensions for SHA-1/SHA-256 where the CPU has them, else portable code).
 */
int digest_lanes_width(int alg);
void digest_slot_reset(int alg, uint8_t *slot);
/* Adds each chain's bytes to its slot; no two chains may share a slot. */
void digest_lanes_update(int alg, const digest_chain_t *chains, int count, uint8_t *const *slots);
/* Pads and writes the digest (16, 20 or 32 bytes); the slot must be reset before it is used again. */
void digest_slot_final(int alg, uint8_t *slot, uint8_t *out);
/* Digest length of `alg` in bytes. */
int digest_length(int alg);
#endif
