#ifndef TAPLINE_LE_WORDS_H
#define TAPLINE_LE_WORDS_H
#include <stdint.h>

/* Little-endian 32-bit words in byte buffers (the batch layouts JavaScript reads with DataView/Int32Array). */
static inline uint32_t get_u32(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24); }

static inline void put_u32(uint8_t *p, uint32_t u) {
  p[0] = (uint8_t)u;
  p[1] = (uint8_t)(u >> 8);
  p[2] = (uint8_t)(u >> 16);
  p[3] = (uint8_t)(u >> 24);
}

static inline void put_i32(uint8_t *p, int32_t v) { put_u32(p, (uint32_t)v); }
#endif
