/*
 * Segment data written with O_DIRECT (the live store writer's data path).
 *
 * Why: a live segment is made durable every flush (fdatasync). Through the page cache, that
 * sync makes the syncing process pay the page cache's writeback of every byte, page by page;
 * on the development VM that was 0.2-1.5 s of system time per 684 MB, against 0.05-0.06 s for
 * the same bytes written with O_DIRECT in 1 MiB blocks and synced (a C loop of pwrite and
 * fdatasync, alternating, docs/CAPTURE.md "Session 11"). Stenographer and Arkime write packets
 * the same way.
 *
 * How: each append (a run of a capture batch, up to 1 MiB) is copied into an aligned staging
 * buffer; its whole blocks are queued at once for the segment's I/O thread, which writes them in
 * order at block-aligned file offsets through a descriptor opened with O_DIRECT, while the next
 * run fills another buffer (a direct write waits for the device; the writer's thread should not:
 * on a slow disk that wait would add to its CPU time per packet instead of overlapping it). With
 * NBUF buffers the filling side waits only when the disk is NBUF-1 buffers behind. A kill -9
 * loses what is queued and the partial last block staged since the last flush (the page cache
 * survives a killed process, the staging does not): a few MiB at most.
 * flush() waits for the queued writes, then writes that partial tail through the caller's
 * ordinary descriptor (the page cache), so the file holds exactly the bytes appended, never
 * padding, and a reader (a slice of the live segment) sees every byte a snapshot covers. The next
 * direct write over that tail block rewrites it whole; the kernel writes back and drops the
 * cached page first, so the page cache never holds a stale copy.
 * Where the filesystem refuses O_DIRECT the open fails and the caller writes as before. A direct
 * write refused with EINVAL (an alignment the device does not take) switches the handle to
 * ordinary writes for good, without losing what is staged. A write error (ENOSPC, EIO) stops the
 * I/O thread's writes and is thrown by the next append or flush.
 */
#include <node_api.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <emmintrin.h>

#include "pwrite_all.h"
#include "segment_io.h"

#define BLOCK 4096u
/* a staging buffer: a batch run (at most 1 MiB) plus a carried partial block, with room */
#define BUF_CAP (2u << 20)
/* buffers per segment: one filling, the others written by the I/O thread meanwhile */
#define NBUF 3
/*
 * Staging buffers kept for the next segment (process-wide: every writer thread's segments). A
 * segment's buffers were allocated at its open and freed at its close, so each rotation touched
 * 3 x ~1 MiB of fresh pages: about 770 page faults a segment, 16-19 k a million packets with the
 * bench's 32 MiB segments, each a cleared page and, on a VM whose free memory goes back to the
 * host, a fault on the host too.
 */
#define SPARE_MAX (2 * NBUF)
static pthread_mutex_t spare_mu = PTHREAD_MUTEX_INITIALIZER;
static void *spare[SPARE_MAX];
static int nspare;

/* An aligned staging buffer: a spare one, or a new one; NULL when out of memory. */
static void *buffer_get(void) {
  void *p = NULL;
  pthread_mutex_lock(&spare_mu);
  if (nspare > 0) p = spare[--nspare];
  pthread_mutex_unlock(&spare_mu);
  if (p == NULL && posix_memalign(&p, BLOCK, BUF_CAP) != 0) p = NULL;
  return p;
}

/* Keeps a staging buffer for the next segment, or frees it beyond SPARE_MAX. */
static void buffer_put(void *p) {
  if (p == NULL) return;
  pthread_mutex_lock(&spare_mu);
  if (nspare < SPARE_MAX) {
    spare[nspare++] = p;
    p = NULL;
  }
  pthread_mutex_unlock(&spare_mu);
  free(p);
}

typedef struct {
  uint8_t *data; /* BUF_CAP bytes, BLOCK-aligned */
  uint32_t len;  /* bytes to write (whole blocks) once queued */
  uint64_t off;  /* their file offset */
  int busy;      /* queued or being written: the filling side waits for it */
} io_buf;

typedef struct {
  int fd;            /* O_DIRECT descriptor; -1 once closed */
  int buf_fd;        /* the caller's ordinary descriptor of the same file */
  int buffered_only; /* a direct write was refused (EINVAL): the I/O thread writes through buf_fd */
  io_buf b[NBUF];
  int cur;       /* the buffer being filled */
  uint64_t base; /* file offset of b[cur].data[0] (a multiple of BLOCK) */
  uint32_t len;  /* bytes staged in b[cur] */
  /* the I/O thread: writes queued buffers in order, so blocks reach the file in order */
  pthread_t thread;
  int thread_started;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int queue[NBUF];
  int qhead, qn;
  int stop;
  int err; /* the first write error (an errno), reported by the next call */
  int open;
} seg_io;

static void *io_thread(void *arg) {
  seg_io *h = arg;
  pthread_setname_np(pthread_self(), "tl-segment-io");
  pthread_mutex_lock(&h->mu);
  for (;;) {
    while (h->qn == 0 && !h->stop) pthread_cond_wait(&h->cv, &h->mu);
    if (h->qn == 0) break;
    int i = h->queue[h->qhead];
    h->qhead = (h->qhead + 1) % NBUF;
    h->qn--;
    int failed = h->err != 0;
    pthread_mutex_unlock(&h->mu);
    int err = 0;
    if (!failed) {
      io_buf *b = &h->b[i];
      if (!h->buffered_only) {
        err = pwrite_all(h->fd, b->data, b->len, b->off);
        /* retried below through the page cache; read by segmentDirect on the JS thread */
        if (err == EINVAL) __atomic_store_n(&h->buffered_only, 1, __ATOMIC_RELAXED);
      }
      if (h->buffered_only) err = pwrite_all(h->buf_fd, b->data, b->len, b->off);
    }
    pthread_mutex_lock(&h->mu);
    if (err && !h->err) h->err = err;
    h->b[i].busy = 0;
    pthread_cond_broadcast(&h->cv);
  }
  pthread_mutex_unlock(&h->mu);
  return NULL;
}

/*
 * Copies n bytes to dst with non-temporal stores: the staged bytes are read next by the device
 * (or the hypervisor), not by this core, so they need not displace the writer's flow table and
 * index from the cache. Harness, same build with and without (01:32-01:33, load 0.7-1.5): 0.71 /
 * 0.72 / 0.98 / 0.88 / 0.87 / 0.83 µs a packet against memcpy's 0.96 / 0.96 / 0.89 / 1.09 / 0.84 /
 * 0.85, and the page cache's 0.74 / 0.80 / 0.93 in the same minutes.
 */
static void stage_copy(uint8_t *dst, const uint8_t *src, size_t n) {
  if (n < 256) {
    memcpy(dst, src, n);
    return;
  }
  size_t head = (16 - ((uintptr_t)dst & 15)) & 15;
  memcpy(dst, src, head);
  dst += head;
  src += head;
  n -= head;
  size_t k = n / 64;
  for (size_t i = 0; i < k; i++) {
    __m128i a = _mm_loadu_si128((const __m128i *)src);
    __m128i b = _mm_loadu_si128((const __m128i *)(src + 16));
    __m128i c = _mm_loadu_si128((const __m128i *)(src + 32));
    __m128i d = _mm_loadu_si128((const __m128i *)(src + 48));
    _mm_stream_si128((__m128i *)dst, a);
    _mm_stream_si128((__m128i *)(dst + 16), b);
    _mm_stream_si128((__m128i *)(dst + 32), c);
    _mm_stream_si128((__m128i *)(dst + 48), d);
    src += 64;
    dst += 64;
  }
  memcpy(dst, src, n - k * 64);
  _mm_sfence();
}

/* Queues b[cur]'s whole blocks for the I/O thread and carries the partial tail into the next buffer. */
static void submit_blocks(seg_io *h) {
  uint32_t whole = h->len & ~(BLOCK - 1);
  if (whole == 0) return;
  int next = (h->cur + 1) % NBUF;
  pthread_mutex_lock(&h->mu);
  while (h->b[next].busy) pthread_cond_wait(&h->cv, &h->mu);
  pthread_mutex_unlock(&h->mu);
  uint32_t tail = h->len - whole;
  memcpy(h->b[next].data, h->b[h->cur].data + whole, tail);
  pthread_mutex_lock(&h->mu);
  io_buf *b = &h->b[h->cur];
  b->len = whole;
  b->off = h->base;
  b->busy = 1;
  h->queue[(h->qhead + h->qn) % NBUF] = h->cur;
  h->qn++;
  pthread_cond_broadcast(&h->cv);
  pthread_mutex_unlock(&h->mu);
  h->cur = next;
  h->base += whole;
  h->len = tail;
}

/* Waits until every queued buffer is written; the first error, or 0. */
static int drain(seg_io *h) {
  pthread_mutex_lock(&h->mu);
  for (;;) {
    int busy = 0;
    for (int i = 0; i < NBUF; i++) busy |= h->b[i].busy;
    if (!busy) break;
    pthread_cond_wait(&h->cv, &h->mu);
  }
  int err = h->err;
  pthread_mutex_unlock(&h->mu);
  return err;
}

static void seg_io_free(seg_io *h) {
  if (!h->open) return;
  h->open = 0;
  if (h->thread_started) {
    pthread_mutex_lock(&h->mu);
    h->stop = 1;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, NULL);
    h->thread_started = 0;
  }
  if (h->fd >= 0) close(h->fd);
  h->fd = -1;
  for (int i = 0; i < NBUF; i++) {
    buffer_put(h->b[i].data);
    h->b[i].data = NULL;
  }
  pthread_cond_destroy(&h->cv);
  pthread_mutex_destroy(&h->mu);
}

static void finalize_seg_io(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  seg_io *h = data;
  seg_io_free(h);
  free(h);
}

static napi_value throw_errno(napi_env env, int err, const char *what) {
  char msg[256];
  const char *name = err == ENOSPC ? "ENOSPC" : err == EDQUOT ? "EDQUOT" : err == EINVAL ? "EINVAL" : err == ENOMEM ? "ENOMEM" : "EIO";
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, name, msg);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

static seg_io *get_io(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == NULL) {
    throw_type(env, "tapline_capture: not a segment writer handle");
    return NULL;
  }
  seg_io *h = p;
  if (!h->open) {
    throw_type(env, "tapline_capture: the segment writer is closed");
    return NULL;
  }
  return h;
}

/* The I/O thread's error, if any (it stopped writing then). */
static int io_error(seg_io *h) {
  pthread_mutex_lock(&h->mu);
  int err = h->err;
  pthread_mutex_unlock(&h->mu);
  return err;
}

static int read_u8(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  bool is_view = false;
  if (napi_is_typedarray(env, v, &is_view) != napi_ok || !is_view) return 0;
  napi_typedarray_type type;
  size_t n = 0, offset = 0;
  void *p = NULL;
  if (napi_get_typedarray_info(env, v, &type, &n, &p, NULL, &offset) != napi_ok || type != napi_uint8_array) return 0;
  *data = p;
  *len = n;
  return 1;
}

/* segmentOpen(path, fd) -> handle: fd is the caller's ordinary descriptor of the (new, empty) file */
static napi_value js_segment_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return throw_type(env, "tapline_capture: segmentOpen(path, fd)");
  char path[4096];
  size_t plen = 0;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &plen) != napi_ok || plen == 0 || plen >= sizeof path - 1) return throw_type(env, "tapline_capture: segmentOpen needs a path");
  int32_t buf_fd = -1;
  if (napi_get_value_int32(env, argv[1], &buf_fd) != napi_ok || buf_fd < 0) return throw_type(env, "tapline_capture: segmentOpen needs a descriptor");
  int fd = open(path, O_WRONLY | O_DIRECT | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "O_DIRECT open");
  seg_io *h = calloc(1, sizeof *h);
  if (h == NULL) {
    close(fd);
    return throw_errno(env, ENOMEM, "segment writer");
  }
  h->fd = fd;
  h->buf_fd = buf_fd;
  pthread_mutex_init(&h->mu, NULL);
  pthread_cond_init(&h->cv, NULL);
  h->open = 1;
  int ok = 1;
  for (int i = 0; i < NBUF && ok; i++) {
    h->b[i].data = buffer_get();
    ok = h->b[i].data != NULL;
  }
  if (ok) ok = pthread_create(&h->thread, NULL, io_thread, h) == 0;
  if (!ok) {
    seg_io_free(h);
    free(h);
    return throw_errno(env, ENOMEM, "segment writer buffers or thread");
  }
  h->thread_started = 1;
  napi_value out;
  if (napi_create_external(env, h, finalize_seg_io, NULL, &out) != napi_ok) {
    seg_io_free(h);
    free(h);
    return throw_type(env, "tapline_capture: cannot make a segment writer handle");
  }
  return out;
}

/* segmentAppend(handle, bytes): appends at the file's logical end; its whole blocks are queued for the I/O thread */
static napi_value js_segment_append(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return throw_type(env, "tapline_capture: segmentAppend(handle, bytes)");
  seg_io *h = get_io(env, argv[0]);
  if (h == NULL) return NULL;
  uint8_t *src = NULL;
  size_t n = 0;
  if (!read_u8(env, argv[1], &src, &n)) return throw_type(env, "tapline_capture: segmentAppend needs a Uint8Array");
  int err = io_error(h);
  if (err) return throw_errno(env, err, "segment write");
  while (n > 0) {
    size_t room = BUF_CAP - h->len;
    size_t take = n < room ? n : room;
    stage_copy(h->b[h->cur].data + h->len, src, take);
    h->len += (uint32_t)take;
    src += take;
    n -= take;
    submit_blocks(h);
  }
  return NULL;
}

/* The open handle that is a call's only argument, or NULL with an exception pending. */
static seg_io *handle_arg(napi_env env, napi_callback_info info, const char *usage) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    throw_type(env, usage);
    return NULL;
  }
  return get_io(env, argv[0]);
}

/* segmentFlush(handle): every appended byte is in the file (the tail through the page cache) */
static napi_value js_segment_flush(napi_env env, napi_callback_info info) {
  seg_io *h = handle_arg(env, info, "tapline_capture: segmentFlush(handle)");
  if (h == NULL) return NULL;
  submit_blocks(h);
  int err = drain(h);
  if (err) return throw_errno(env, err, "segment write");
  if (h->len > 0) {
    err = pwrite_all(h->buf_fd, h->b[h->cur].data, h->len, h->base);
    if (err) return throw_errno(env, err, "segment write");
  }
  return NULL;
}

/* segmentClose(handle): waits for queued writes, ends the I/O thread, closes the O_DIRECT descriptor, frees the buffers (flush first) */
static napi_value js_segment_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return throw_type(env, "tapline_capture: segmentClose(handle)");
  void *p = NULL;
  if (napi_get_value_external(env, argv[0], &p) != napi_ok || p == NULL) return throw_type(env, "tapline_capture: not a segment writer handle");
  seg_io_free(p);
  return NULL;
}

/* segmentDirect(handle) -> whether writes still go around the page cache */
static napi_value js_segment_direct(napi_env env, napi_callback_info info) {
  seg_io *h = handle_arg(env, info, "tapline_capture: segmentDirect(handle)");
  if (h == NULL) return NULL;
  napi_value out;
  napi_get_boolean(env, !__atomic_load_n(&h->buffered_only, __ATOMIC_RELAXED), &out);
  return out;
}

int segment_io_define(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"segmentOpen", NULL, js_segment_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"segmentAppend", NULL, js_segment_append, NULL, NULL, NULL, napi_enumerable, NULL},
      {"segmentFlush", NULL, js_segment_flush, NULL, NULL, NULL, napi_enumerable, NULL},
      {"segmentClose", NULL, js_segment_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"segmentDirect", NULL, js_segment_direct, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props) == napi_ok ? 0 : -1;
}
