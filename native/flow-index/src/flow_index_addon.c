/*
 * tapline_flow_index: the live writer's indexing of packets of existing flows in C (flow_stretch.h).
 * Interface (JS thread of whichever thread loaded it; a context per live writer):
 *   layoutVersion()                      the batch and FlowTable layout this build follows (1)
 *   createContext(io: Float64Array)      a context whose in/out words are io (FS_IO_WORDS or more)
 *   bindTable(ctx, columns)              points ctx at a FlowTable's columns (FlowTable.nativeColumns())
 *   setBatch(ctx, batch: Uint8Array)     the batch the next runs read
 *   run(ctx, at, len): number            fs_run on the batch; the first record not taken
 * The typed arrays handed over stay referenced by the caller (the FlowTable, the writer) for as
 * long as they are bound; the caller binds again whenever the table's layout changes.
 */
#include <node_api.h>
#include <stdlib.h>
#include <string.h>

#include "flow_stretch.h"

#define LAYOUT_VERSION 1

typedef struct {
  fs_table table;
  int bound;
  double *io;
  napi_ref io_ref;
  const uint8_t *batch;
  size_t batch_len;
  napi_ref batch_ref;
} fi_ctx;

static napi_value throw_msg(napi_env env, const char *msg) {
  napi_throw_error(env, NULL, msg);
  return NULL;
}

#define CHECK(env, call)                                                         \
  do {                                                                           \
    if ((call) != napi_ok) return throw_msg((env), "tapline_flow_index: " #call); \
  } while (0)

static void ctx_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  fi_ctx *c = data;
  if (c->io_ref) napi_delete_reference(env, c->io_ref);
  if (c->batch_ref) napi_delete_reference(env, c->batch_ref);
  free(c);
}

static fi_ctx *get_ctx(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == NULL) return NULL;
  return p;
}

/* a typed array of the given type: its data and element count (0 and NULL on a mismatch) */
static void *typed(napi_env env, napi_value v, napi_typedarray_type want, size_t *count) {
  bool is = false;
  *count = 0;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return NULL;
  napi_typedarray_type type;
  size_t len = 0, off = 0;
  void *data = NULL;
  if (napi_get_typedarray_info(env, v, &type, &len, &data, NULL, &off) != napi_ok || type != want) return NULL;
  *count = len;
  return data;
}

static napi_value js_layout_version(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_create_uint32(env, LAYOUT_VERSION, &out);
  return out;
}

static napi_value js_create_context(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  size_t n = 0;
  double *io = argc >= 1 ? typed(env, argv[0], napi_float64_array, &n) : NULL;
  if (io == NULL || n < FS_IO_WORDS) return throw_msg(env, "tapline_flow_index: createContext needs a Float64Array of at least 10 words");
  fi_ctx *c = calloc(1, sizeof *c);
  if (c == NULL) return throw_msg(env, "tapline_flow_index: out of memory");
  c->io = io;
  napi_value ext;
  if (napi_create_reference(env, argv[0], 1, &c->io_ref) != napi_ok || napi_create_external(env, c, ctx_finalize, NULL, &ext) != napi_ok) {
    if (c->io_ref) napi_delete_reference(env, c->io_ref);
    free(c);
    return throw_msg(env, "tapline_flow_index: createContext failed");
  }
  return ext;
}

/* columns[name] as a typed array of type want with at least min elements; NULL (and *ok = 0) otherwise */
static void *column(napi_env env, napi_value cols, const char *name, napi_typedarray_type want, size_t *count, int *ok) {
  napi_value v;
  if (napi_get_named_property(env, cols, name, &v) != napi_ok) {
    *ok = 0;
    return NULL;
  }
  void *p = typed(env, v, want, count);
  if (p == NULL) *ok = 0;
  return p;
}

static double number(napi_env env, napi_value cols, const char *name, int *ok) {
  napi_value v;
  double d = 0;
  if (napi_get_named_property(env, cols, name, &v) != napi_ok || napi_get_value_double(env, v, &d) != napi_ok) *ok = 0;
  return d;
}

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

static napi_value js_bind_table(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  fi_ctx *c = argc >= 2 ? get_ctx(env, argv[0]) : NULL;
  if (c == NULL) return throw_msg(env, "tapline_flow_index: bindTable(ctx, columns)");
  napi_value cols = argv[1];
  fs_table t;
  memset(&t, 0, sizeof t);
  int ok = 1;
  size_t n, cap = SIZE_MAX, nkeys = 0, nslots = 0;
  t.keys = column(env, cols, "keys", napi_uint32_array, &nkeys, &ok);
  t.slots = column(env, cols, "slots", napi_int32_array, &nslots, &ok);
#define COL(field, name, type)                        \
  t.field = column(env, cols, name, type, &n, &ok); \
  cap = min_size(cap, n);
  COL(first_sec, "firstSec", napi_float64_array)
  COL(first_nsec, "firstNsec", napi_uint32_array)
  COL(last_sec, "lastSec", napi_float64_array)
  COL(last_nsec, "lastNsec", napi_uint32_array)
  COL(pkts_a, "pktsA", napi_float64_array)
  COL(pkts_b, "pktsB", napi_float64_array)
  COL(bytes_a, "bytesA", napi_float64_array)
  COL(bytes_b, "bytesB", napi_float64_array)
  COL(tcp_flags, "tcpFlags", napi_uint16_array)
  COL(tcp_state, "tcpState", napi_uint8_array)
  COL(off_head, "offHead", napi_int32_array)
  COL(off_tail, "offTail", napi_int32_array)
  COL(off_tail_pos, "offTailPos", napi_uint8_array)
  COL(off_bytes, "offBytes", napi_uint32_array)
  COL(off_last, "offLast", napi_float64_array)
  COL(off_unsorted, "offUnsorted", napi_uint8_array)
#undef COL
  double mask = number(env, cols, "slotMask", &ok);
  t.tcp_idle = number(env, cols, "tcpIdleSec", &ok);
  t.udp_idle = number(env, cols, "udpIdleSec", &ok);
  cap = min_size(cap, nkeys / FS_KEY_WORDS);
  /* the mask must address the slots: a power of two minus one below their count */
  if (!ok || !(mask >= 0 && mask < 4294967296.0) || (size_t)mask + 1 != nslots || (nslots & (nslots - 1)) != 0 || cap > UINT32_MAX) {
    return throw_msg(env, "tapline_flow_index: bindTable: columns missing or of the wrong type");
  }
  t.slot_mask = (uint32_t)mask;
  t.capacity = (uint32_t)cap;
  napi_value pages;
  uint32_t npages = 0;
  bool is_array = false;
  if (napi_get_named_property(env, cols, "pages", &pages) != napi_ok || napi_is_array(env, pages, &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, pages, &npages) != napi_ok) {
    return throw_msg(env, "tapline_flow_index: bindTable: pages must be an array of arena pages");
  }
  /* an arena past FS_MAX_PAGES (4 GiB of offsets) is bound in part: a block in a page past
     them is not taken (fs_run stops there and the TypeScript writes it) */
  if (npages > FS_MAX_PAGES) npages = FS_MAX_PAGES;
  for (uint32_t i = 0; i < npages; i++) {
    napi_value pg;
    size_t bytes = 0;
    CHECK(env, napi_get_element(env, pages, i, &pg));
    t.pages[i] = typed(env, pg, napi_uint8_array, &bytes);
    if (t.pages[i] == NULL || bytes != FS_PAGE_BYTES) return throw_msg(env, "tapline_flow_index: bindTable: an arena page is not a 1 MiB Uint8Array");
  }
  t.npages = npages;
  c->table = t;
  c->bound = 1;
  return NULL;
}

static napi_value js_set_batch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  fi_ctx *c = argc >= 2 ? get_ctx(env, argv[0]) : NULL;
  size_t n = 0;
  const uint8_t *data = c ? typed(env, argv[1], napi_uint8_array, &n) : NULL;
  if (c == NULL || data == NULL) return throw_msg(env, "tapline_flow_index: setBatch(ctx, Uint8Array)");
  if (c->batch_ref) {
    napi_delete_reference(env, c->batch_ref);
    c->batch_ref = NULL;
  }
  CHECK(env, napi_create_reference(env, argv[1], 1, &c->batch_ref));
  c->batch = data;
  c->batch_len = n;
  return NULL;
}

static napi_value js_run(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  fi_ctx *c = argc >= 3 ? get_ctx(env, argv[0]) : NULL;
  uint32_t at = 0, len = 0;
  if (c == NULL || napi_get_value_uint32(env, argv[1], &at) != napi_ok || napi_get_value_uint32(env, argv[2], &len) != napi_ok) {
    return throw_msg(env, "tapline_flow_index: run(ctx, at, len)");
  }
  if (!c->bound || c->batch == NULL) return throw_msg(env, "tapline_flow_index: run before bindTable and setBatch");
  if (len > c->batch_len || at > len) return throw_msg(env, "tapline_flow_index: run past the batch");
  uint32_t stop = fs_run(&c->table, c->batch, at, len, c->io);
  napi_value out;
  CHECK(env, napi_create_uint32(env, stop, &out));
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"layoutVersion", NULL, js_layout_version, NULL, NULL, NULL, napi_enumerable, NULL},
      {"createContext", NULL, js_create_context, NULL, NULL, NULL, napi_enumerable, NULL},
      {"bindTable", NULL, js_bind_table, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setBatch", NULL, js_set_batch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"run", NULL, js_run, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
