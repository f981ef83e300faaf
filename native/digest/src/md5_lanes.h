#ifndef TAPLINE_MD5_LANES_H
#define TAPLINE_MD5_LANES_H
#include <stddef.h>
#include <stdint.h>

/* Bytes of one MD5 context in the pool: state, carry length, total length, carry. */
#define SLOT_BYTES 96

typedef struct {
  const uint8_t *data;
  size_t len;
} md5_segment_t;

/* One file's bytes for this update, in order. */
typedef struct {
  const md5_segment_t *segs;
  uint32_t count;
} md5_chain_t;

/* Files hashed side by side: 16 (AVX-512), 8 (AVX2), or 1 (portable code, one at a time). */
int md5_lanes_width(void);
void md5_slot_reset(uint8_t *slot);
/* Adds each chain's bytes to its slot; no two chains may share a slot. */
void md5_lanes_update(const md5_chain_t *chains, int count, uint8_t *const *slots);
/* Pads and writes the digest; the slot must be reset before it is used again. */
void md5_slot_final(uint8_t *slot, uint8_t out[16]);
#endif
