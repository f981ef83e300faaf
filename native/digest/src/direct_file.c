/*
 * Spool files written with O_DIRECT, and copies that read them back the same way.
 *
 * Why: a carved file is fsynced into the store (the guarantee), so its bytes must reach the disk
 * during the carve whatever the path; through the page cache they also take a fresh page for
 * every 4 KiB, a copy into it and writeback later, and the copy into OUTDIR (copy_file_range)
 * another page each. Written with O_DIRECT from a gather buffer that is reused, the store's copy
 * takes no page-cache memory; the OUTDIR copy then reads it back with O_DIRECT too (through the
 * page cache it would fill a page per 4 KiB again, for bytes nobody reads twice). On a VM whose
 * free memory goes back to its host, a fresh page costs a fault on the host as well: 246 MB
 * carved took the writer 0.6-0.9 s of system time through the page cache, 0.1-0.15 s direct.
 *
 * O_DIRECT wants offsets, lengths and memory aligned: each file gathers its bytes in an aligned
 * buffer of DIRECT_GATHER bytes and writes each full buffer with O_DIRECT; its last, partial
 * buffer goes through the page cache (dfile_finish says why), so a file is never padded. Small
 * writes would each wait for the device, hence the gathering (a file interleaved with others in
 * the ring arrives in small entries). Where O_DIRECT is refused (tmpfs on older kernels, some FUSE file systems: the flag
 * or a first write fails with EINVAL), or more than DIRECT_MAX_OPEN files are open at once, a
 * file is written through the page cache as before.
 *
 * A copy (dfile_tee: `tapline carve -o OUTDIR`'s file) is written from the same gather buffer as
 * the bytes come, with O_DIRECT too: made afterwards from the stored file it cost a read and, on
 * this VM, 0.35-0.7 s of system time per 246 MB for the page-cache pages it filled; written
 * alongside, a 256 MB carve took 1.25-1.49 s against 1.40-1.82 s (alternated). Not fsynced (a
 * copy for the analyst, not the store's evidence), but on the disk when the file is finished,
 * so a carve into a slow disk waits for it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "direct_file.h"
#include "pwrite_all.h"

static int set_direct(int fd, int on) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) return errno;
  return fcntl(fd, F_SETFL, on ? fl | O_DIRECT : fl & ~O_DIRECT) == 0 ? 0 : errno;
}

static uint8_t *pool_get(dpool_t *pool) {
  if (pool->in_use >= DIRECT_MAX_OPEN) return NULL;
  uint8_t *b = NULL;
  if (pool->nfree > 0) b = pool->free[--pool->nfree];
  else if (posix_memalign((void **)&b, DIRECT_BLOCK, DIRECT_GATHER) != 0) return NULL;
  pool->in_use++;
  return b;
}

static void pool_put(dpool_t *pool, uint8_t *b) {
  pool->in_use--;
  if (pool->nfree < DIRECT_MAX_OPEN) pool->free[pool->nfree++] = b;
  else free(b);
}

void dpool_free(dpool_t *pool) {
  while (pool->nfree > 0) free(pool->free[--pool->nfree]);
}

/* The file goes on through the page cache: its gather buffer back to the pool. */
static void drop_buf(dfile_t *f, dpool_t *pool) {
  if (f->buf) pool_put(pool, f->buf);
  f->buf = NULL;
  f->fill = 0;
}

int dfile_create(dfile_t *f, const char *path, dpool_t *pool) {
  memset(f, 0, sizeof *f);
  f->tee = -1;
  f->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (f->fd < 0) return errno;
  /* the flag is set on the open file: an open() with O_DIRECT on a file system without it
     fails after creating the file, and the O_EXCL retry would then find it there */
  if (pool != NULL && (f->buf = pool_get(pool)) != NULL && set_direct(f->fd, 1) != 0) drop_buf(f, pool);
  return 0;
}

void dfile_tee(dfile_t *f, const char *path) {
  f->tee = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (f->tee < 0) {
    f->tee_err = errno;
    return;
  }
  /* direct when the file is (its gather buffer holds whole blocks) and the copy's file system takes it */
  f->tee_direct = f->buf != NULL && set_direct(f->tee, 1) == 0;
}

static void tee_fail(dfile_t *f, int e) {
  if (f->tee_err == 0) f->tee_err = e;
  close(f->tee);
  f->tee = -1;
}

/* The copy's part of a write of n bytes at `at`. A refused direct write goes on buffered. */
static void tee_put(dfile_t *f, const uint8_t *p, uint32_t n, uint64_t at) {
  if (f->tee < 0) return;
  int e = pwrite_all(f->tee, p, n, at);
  if (e == EINVAL && f->tee_direct) {
    e = set_direct(f->tee, 0);
    f->tee_direct = 0;
    if (e == 0) e = pwrite_all(f->tee, p, n, at);
  }
  if (e) tee_fail(f, e);
}

void dfile_release(dfile_t *f, dpool_t *pool) {
  if (f->tee >= 0) {
    if (close(f->tee) != 0 && f->tee_err == 0) f->tee_err = errno;
    f->tee = -1;
  }
  drop_buf(f, pool);
}

/*
 * Writes the full gather buffer at `written`. A file system that took the flag but refuses the
 * write (EINVAL: a device with larger blocks) gets this and the rest of the file through the
 * page cache.
 */
static int put(dfile_t *f, dpool_t *pool) {
  tee_put(f, f->buf, DIRECT_GATHER, f->written);
  int e = pwrite_all(f->fd, f->buf, DIRECT_GATHER, f->written);
  if (e == EINVAL) {
    if (set_direct(f->fd, 0) != 0) return EINVAL;
    e = pwrite_all(f->fd, f->buf, DIRECT_GATHER, f->written);
    if (e == 0) {
      f->written += DIRECT_GATHER;
      drop_buf(f, pool);
    }
    return e;
  }
  if (e == 0) f->written += DIRECT_GATHER;
  return e;
}

int dfile_write(dfile_t *f, dpool_t *pool, const uint8_t *p, uint32_t len) {
  while (len > 0 && f->buf) {
    uint32_t n = DIRECT_GATHER - f->fill;
    if (n > len) n = len;
    memcpy(f->buf + f->fill, p, n);
    f->fill += n;
    p += n;
    len -= n;
    if (f->fill == DIRECT_GATHER) {
      int e = put(f, pool);
      if (e) return e;
      f->fill = 0;
    }
  }
  if (len == 0) return 0;
  tee_put(f, p, len, f->written);
  int e = pwrite_all(f->fd, p, len, f->written);
  if (e == 0) f->written += len;
  return e;
}

int dfile_finish(dfile_t *f) {
  /* the gather buffer stays with the file until dfile_release */
  /* nothing padded, nothing to cut: the copy is written with exactly the file's bytes, or closed at its first failure */
  if (!f->buf || f->fill == 0) return 0;
  /*
   * The last, partial buffer goes through the page cache (most carved files are smaller than a
   * gather buffer): a direct write of it would be one more device round trip for the file and
   * one for its copy, taken one after another on this thread (1,000-1,500 a 256 MB carve, the
   * CPUs idle meanwhile), where the page cache returns at once and the finishers' fsync, on
   * threads of their own, waits for the device instead.
   */
  uint32_t keep = f->fill;
  f->fill = 0;
  if (f->tee >= 0 && f->tee_direct) {
    int e = set_direct(f->tee, 0);
    f->tee_direct = 0;
    if (e) tee_fail(f, e);
  }
  tee_put(f, f->buf, keep, f->written);
  int e = set_direct(f->fd, 0);
  if (e == 0) e = pwrite_all(f->fd, f->buf, keep, f->written);
  if (e == 0) f->written += keep;
  return e;
}

/* Whether the file's first page is in the page cache (mincore of a one-page mapping: no I/O). */
static int first_page_cached(int fd) {
  long page = sysconf(_SC_PAGESIZE);
  void *m = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) return 1;
  unsigned char vec = 0;
  int cached = mincore(m, (size_t)page, &vec) != 0 || (vec & 1) != 0;
  munmap(m, (size_t)page);
  return cached;
}

int dfile_copy_uncached(int in, uint64_t size, int out, uint8_t *buf) {
  if (size == 0 || first_page_cached(in) || set_direct(in, 1) != 0) return 0;
  uint64_t off = 0;
  while (off < size) {
    ssize_t n = pread(in, buf, DIRECT_COPY_BUF, (off_t)off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EINVAL && off == 0) {
      /* took the flag, refuses the read: the caller's way, nothing written */
      set_direct(in, 0);
      return 0;
    }
    if (n < 0) return -errno;
    if (n == 0) break; /* the source is shorter than it was: copied what there is */
    int e = pwrite_all(out, buf, (size_t)n, off);
    if (e) return -e;
    off += (uint64_t)n;
  }
  return 1;
}
