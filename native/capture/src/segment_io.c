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
 * buffer and its whole blocks are written at once, at block-aligned file offsets, through a
 * descriptor opened with O_DIRECT: a kill -9 loses at most the partial last block since the last
 * flush (the page cache survives a killed process, the staging does not). That block stays staged. flush() writes every whole block and then that partial tail
 * through the caller's ordinary descriptor (the page cache), so the file holds exactly the bytes
 * appended, never padding, and a reader (a slice of the live segment) sees every byte a snapshot
 * covers. The next direct write over that tail block rewrites it whole; the kernel writes back
 * and drops the cached page first, so the page cache never holds a stale copy.
 * A filesystem without O_DIRECT (tmpfs) refuses the open: the caller then writes as before.
 * A direct write refused with EINVAL (an alignment the device does not take) switches the handle
 * to ordinary writes for good, without losing what is staged.
 */
#include <node_api.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "segment_io.h"

#define BLOCK 4096u
/* staging: a batch run (at most 1 MiB) and a partial block fit with room to spare */
#define STAGING (4u << 20)

typedef struct {
  int fd;             /* O_DIRECT descriptor; -1 once closed */
  int buffered_only;  /* a direct write was refused: every write goes through buf_fd */
  int buf_fd;         /* the caller's ordinary descriptor of the same file */
  uint8_t *staging;   /* STAGING bytes, BLOCK-aligned */
  uint64_t base;      /* file offset of staging[0] (a multiple of BLOCK) */
  uint32_t len;       /* bytes staged */
} seg_io;

static void seg_io_free(seg_io *h) {
  if (h->fd >= 0) close(h->fd);
  h->fd = -1;
  free(h->staging);
  h->staging = NULL;
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
  const char *name = err == ENOSPC ? "ENOSPC" : err == EIO ? "EIO" : err == EDQUOT ? "EDQUOT" : err == EINVAL ? "EINVAL" : err == EBADF ? "EBADF" : "EIO";
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
  if (h->staging == NULL) {
    throw_type(env, "tapline_capture: the segment writer is closed");
    return NULL;
  }
  return h;
}

/* pwrite all of [p, p+n) at off on fd; 0 or an errno */
static int write_all(int fd, const uint8_t *p, size_t n, uint64_t off) {
  while (n > 0) {
    ssize_t w = pwrite(fd, p, n, (off_t)off);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (w == 0) return EIO;
    p += w;
    n -= (size_t)w;
    off += (uint64_t)w;
  }
  return 0;
}

/* Writes the staged whole blocks and keeps the partial tail staged; 0 or an errno. */
static int write_blocks(seg_io *h) {
  uint32_t whole = h->len & ~(BLOCK - 1);
  if (whole == 0) return 0;
  if (!h->buffered_only) {
    int err = write_all(h->fd, h->staging, whole, h->base);
    if (err == EINVAL) h->buffered_only = 1; /* retried below through the page cache */
    else if (err) return err;
  }
  if (h->buffered_only) {
    int err = write_all(h->buf_fd, h->staging, whole, h->base);
    if (err) return err;
  }
  memmove(h->staging, h->staging + whole, h->len - whole);
  h->len -= whole;
  h->base += whole;
  return 0;
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
  void *staging = NULL;
  if (h == NULL || posix_memalign(&staging, BLOCK, STAGING) != 0) {
    free(h);
    close(fd);
    return throw_errno(env, ENOMEM, "segment staging buffer");
  }
  h->fd = fd;
  h->buf_fd = buf_fd;
  h->staging = staging;
  napi_value out;
  if (napi_create_external(env, h, finalize_seg_io, NULL, &out) != napi_ok) {
    seg_io_free(h);
    free(h);
    return throw_type(env, "tapline_capture: cannot make a segment writer handle");
  }
  return out;
}

/* segmentAppend(handle, bytes): appends at the file's logical end; whole blocks are in the file on return */
static napi_value js_segment_append(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return throw_type(env, "tapline_capture: segmentAppend(handle, bytes)");
  seg_io *h = get_io(env, argv[0]);
  if (h == NULL) return NULL;
  uint8_t *src = NULL;
  size_t n = 0;
  if (!read_u8(env, argv[1], &src, &n)) return throw_type(env, "tapline_capture: segmentAppend needs a Uint8Array");
  while (n > 0) {
    size_t room = STAGING - h->len;
    size_t take = n < room ? n : room;
    memcpy(h->staging + h->len, src, take);
    h->len += (uint32_t)take;
    src += take;
    n -= take;
    int err = write_blocks(h);
    if (err) return throw_errno(env, err, "segment write");
  }
  return NULL;
}

/* segmentFlush(handle): every appended byte is in the file (the tail through the page cache) */
static napi_value js_segment_flush(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return throw_type(env, "tapline_capture: segmentFlush(handle)");
  seg_io *h = get_io(env, argv[0]);
  if (h == NULL) return NULL;
  int err = write_blocks(h);
  if (err) return throw_errno(env, err, "segment write");
  if (h->len > 0) {
    err = write_all(h->buf_fd, h->staging, h->len, h->base);
    if (err) return throw_errno(env, err, "segment write");
  }
  return NULL;
}

/* segmentClose(handle): closes the O_DIRECT descriptor and frees the staging (flush first) */
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
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return throw_type(env, "tapline_capture: segmentDirect(handle)");
  seg_io *h = get_io(env, argv[0]);
  if (h == NULL) return NULL;
  napi_value out;
  napi_get_boolean(env, !h->buffered_only, &out);
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
