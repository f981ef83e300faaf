/*
 * Node-API face of digest_lanes.c: the carver's digest spool stage passes an algorithm (0 MD5,
 * 1 SHA-1, 2 SHA-256), the ring (shared memory), its pool of contexts for that algorithm and a
 * list of chains (file slot, then the ring ranges of its bytes), so one call hashes every file
 * the stage has pending. Every range and slot is checked against its buffer before any byte is
 * read: a bad list is a thrown error, never a stray read.
 */
#include <node_api.h>
#include <stdlib.h>
#include <string.h>

#include "digest_lanes.h"
#include "spool_stage.h"

#define CHECK(call)                                      \
  do {                                                   \
    if ((call) != napi_ok) {                             \
      napi_throw_error(env, NULL, "digest: napi call failed"); \
      return NULL;                                       \
    }                                                    \
  } while (0)

/* A typed array of `want`'s type: its data and its length in elements. */
static int typed_of(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  bool is;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  if (napi_get_typedarray_info(env, v, &type, len, data, &ab, &offset) != napi_ok) return 0;
  return type == want;
}

static int bytes_of(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  void *p;
  if (!typed_of(env, v, napi_uint8_array, &p, len)) return 0;
  *data = (uint8_t *)p;
  return 1;
}

static int slot_of(napi_env env, napi_value v, uint8_t *pool, size_t pool_len, uint8_t **slot) {
  int32_t s;
  if (napi_get_value_int32(env, v, &s) != napi_ok || s < 0 || ((size_t)s + 1) * SLOT_BYTES > pool_len) return 0;
  *slot = pool + (size_t)s * SLOT_BYTES;
  return 1;
}

static int alg_of(napi_env env, napi_value v, int *alg) {
  int32_t a;
  if (napi_get_value_int32(env, v, &a) != napi_ok || a < 0 || a >= ALG_COUNT) return 0;
  *alg = a;
  return 1;
}

/* width(alg) */
static napi_value js_width(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], r;
  int alg;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !alg_of(env, argv[0], &alg)) {
    napi_throw_type_error(env, NULL, "width(alg: 0 | 1 | 2): bad arguments");
    return NULL;
  }
  CHECK(napi_create_int32(env, digest_lanes_width(alg), &r));
  return r;
}

/* reset(alg, pool, slot) */
static napi_value js_reset(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  uint8_t *pool, *slot;
  size_t pool_len;
  int alg;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || !alg_of(env, argv[0], &alg) || !bytes_of(env, argv[1], &pool, &pool_len) || !slot_of(env, argv[2], pool, pool_len, &slot)) {
    napi_throw_type_error(env, NULL, "reset(alg: 0 | 1 | 2, pool: Uint8Array, slot: number): bad arguments");
    return NULL;
  }
  digest_slot_reset(alg, slot);
  return NULL;
}

/* final(alg, pool, slot, out: Uint8Array of the digest's length) */
static napi_value js_final(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  uint8_t *pool, *slot, *out;
  size_t pool_len, out_len;
  int alg;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4 || !alg_of(env, argv[0], &alg) || !bytes_of(env, argv[1], &pool, &pool_len) || !slot_of(env, argv[2], pool, pool_len, &slot) ||
      !bytes_of(env, argv[3], &out, &out_len) || out_len < (size_t)digest_length(alg)) {
    napi_throw_type_error(env, NULL, "final(alg: 0 | 1 | 2, pool: Uint8Array, slot: number, out: Uint8Array): bad arguments");
    return NULL;
  }
  digest_slot_final(alg, slot, out);
  return NULL;
}

/*
 * update(alg, ring, pool, jobs: Int32Array): jobs = [chains, then per chain: slot, ranges, then
 * (offset, length) per range]. Ranges are within `ring`; a slot appears at most once.
 */
static napi_value js_update(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int alg;
  uint8_t *ring, *pool;
  size_t ring_len, pool_len;
  size_t jobs_len;
  void *jp;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4 || !alg_of(env, argv[0], &alg) || !bytes_of(env, argv[1], &ring, &ring_len) || !bytes_of(env, argv[2], &pool, &pool_len) ||
      !typed_of(env, argv[3], napi_int32_array, &jp, &jobs_len)) {
    napi_throw_type_error(env, NULL, "update(alg: 0 | 1 | 2, ring: Uint8Array, pool: Uint8Array, jobs: Int32Array): bad arguments");
    return NULL;
  }
  const int32_t *jobs = (const int32_t *)jp;
  const char *bad = NULL;
  int32_t count = jobs_len > 0 ? jobs[0] : -1;
  /* each chain takes at least two words: a count beyond that is a bad list */
  if (count < 0 || (size_t)count > (jobs_len - 1) / 2) {
    napi_throw_range_error(env, NULL, "update: bad chain count");
    return NULL;
  }
  size_t nsegs = 0;
  size_t at = 1;
  for (int32_t c = 0; c < count && bad == NULL; c++) {
    if (at + 2 > jobs_len) bad = "update: the job list ends inside a chain";
    else {
      int32_t slot = jobs[at], n = jobs[at + 1];
      if (slot < 0 || ((size_t)slot + 1) * SLOT_BYTES > pool_len) bad = "update: slot outside the pool";
      else if (n < 0 || (size_t)n > (jobs_len - at - 2) / 2) bad = "update: the job list ends inside a chain";
      else {
        for (int32_t s = 0; s < n && bad == NULL; s++) {
          int32_t off = jobs[at + 2 + 2 * s], len = jobs[at + 3 + 2 * s];
          if (off < 0 || len < 0 || (size_t)off + (size_t)len > ring_len) bad = "update: range outside the ring";
        }
        nsegs += (size_t)n;
        at += 2 + 2 * (size_t)n;
      }
    }
  }
  if (bad != NULL) {
    napi_throw_range_error(env, NULL, bad);
    return NULL;
  }
  digest_chain_t *chains = malloc(sizeof(digest_chain_t) * (count > 0 ? (size_t)count : 1));
  digest_segment_t *segs = malloc(sizeof(digest_segment_t) * (nsegs > 0 ? nsegs : 1));
  uint8_t **slots = malloc(sizeof(uint8_t *) * (count > 0 ? (size_t)count : 1));
  if (!chains || !segs || !slots) {
    free(chains);
    free(segs);
    free(slots);
    napi_throw_error(env, NULL, "update: out of memory");
    return NULL;
  }
  at = 1;
  size_t k = 0;
  for (int32_t c = 0; c < count; c++) {
    int32_t n = jobs[at + 1];
    slots[c] = pool + (size_t)jobs[at] * SLOT_BYTES;
    chains[c].segs = segs + k;
    chains[c].count = (uint32_t)n;
    for (int32_t s = 0; s < n; s++, k++) {
      segs[k].data = ring + jobs[at + 2 + 2 * s];
      segs[k].len = (size_t)jobs[at + 3 + 2 * s];
    }
    at += 2 + 2 * (size_t)n;
  }
  /* a slot named twice would be hashed by two lanes at once: refused (marks in the slot's mark word) */
  for (int32_t c = 0; c < count && bad == NULL; c++) {
    uint32_t mark;
    memcpy(&mark, slots[c] + 36, 4);
    if (mark == 0x5a5a5a5au) bad = "update: a slot appears in two chains";
    mark = 0x5a5a5a5au;
    memcpy(slots[c] + 36, &mark, 4);
  }
  for (int32_t c = 0; c < count; c++) memset(slots[c] + 36, 0, 4);
  if (bad == NULL) digest_lanes_update(alg, chains, count, slots);
  free(chains);
  free(segs);
  free(slots);
  if (bad != NULL) napi_throw_range_error(env, NULL, bad);
  return NULL;
}

/*
 * copy(dst, at, src, n): dst[at, at + n) = src[0, n). The carver's staged bytes enter the spool
 * ring (shared memory) this way: V8 copies into a SharedArrayBuffer with its relaxed
 * (atomic-safe) memmove, word by word at best, about 2.5x slower than memcpy.
 */
static napi_value js_copy(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  uint8_t *dst, *src;
  size_t dst_len, src_len;
  int64_t at, n;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4 || !bytes_of(env, argv[0], &dst, &dst_len) || napi_get_value_int64(env, argv[1], &at) != napi_ok || !bytes_of(env, argv[2], &src, &src_len) ||
      napi_get_value_int64(env, argv[3], &n) != napi_ok) {
    napi_throw_type_error(env, NULL, "copy(dst: Uint8Array, at: number, src: Uint8Array, n: number): bad arguments");
    return NULL;
  }
  if (at < 0 || n < 0 || (uint64_t)n > src_len || (uint64_t)at > dst_len || (uint64_t)n > dst_len - (uint64_t)at) {
    napi_throw_range_error(env, NULL, "copy: range outside a buffer");
    return NULL;
  }
  memmove(dst + at, src, (size_t)n);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"width", NULL, js_width, NULL, NULL, NULL, napi_enumerable, NULL},
      {"reset", NULL, js_reset, NULL, NULL, NULL, napi_enumerable, NULL},
      {"update", NULL, js_update, NULL, NULL, NULL, napi_enumerable, NULL},
      {"final", NULL, js_final, NULL, NULL, NULL, napi_enumerable, NULL},
      {"copy", NULL, js_copy, NULL, NULL, NULL, napi_enumerable, NULL},
      {"spoolStart", NULL, spool_start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"spoolWake", NULL, spool_wake, NULL, NULL, NULL, napi_enumerable, NULL},
      {"spoolWaitRoom", NULL, spool_wait_room, NULL, NULL, NULL, napi_enumerable, NULL},
      {"spoolRef", NULL, spool_ref, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) return NULL;
  return exports;
}
