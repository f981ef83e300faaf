#ifndef TAPLINE_DIRECT_FILE_H
#define TAPLINE_DIRECT_FILE_H
#include <stdint.h>

/* Alignment of O_DIRECT offsets, lengths and memory: 4096 serves 512- and 4096-byte devices. */
#define DIRECT_BLOCK 4096u
/*
 * Bytes a direct file gathers before it writes them (one write per this many bytes): the device
 * here took 246 MB in 1 MiB writes in 0.16 s, in 256 KiB writes in 0.23 s, and the writer waits
 * for each (with a copy alongside, twice). 1 MiB carved 256 MB in 1.09-1.15 s against 1.24-1.41.
 */
#define DIRECT_GATHER (1024u * 1024u)
/* Files written with O_DIRECT at once (each holds a gather buffer: 32 MiB at most); more are written through the page cache. */
#define DIRECT_MAX_OPEN 32u
/* Bytes of the aligned buffer dfile_copy_uncached reads into. */
#define DIRECT_COPY_BUF (1u << 20)

/* Gather buffers of one writer thread: kept for the next file (fresh memory costs a page fault a page). */
typedef struct {
  uint8_t *free[DIRECT_MAX_OPEN];
  uint32_t nfree, in_use;
} dpool_t;

/* A file written front to back, with O_DIRECT where its file system takes it (direct_file.c). */
typedef struct {
  int fd;
  uint8_t *buf;     /* direct: the gather buffer (DIRECT_GATHER bytes, aligned); NULL: through the page cache */
  uint32_t fill;    /* bytes gathered in buf */
  uint64_t written; /* bytes written before buf's: a multiple of DIRECT_BLOCK while direct */
  int tee;          /* a copy written with the same bytes as they come (dfile_tee), or -1 */
  int tee_direct;   /* the copy is written with O_DIRECT */
  int tee_err;      /* the copy's first failure (errno); it is then no longer written */
} dfile_t;

/*
 * Creates `path` (O_EXCL, mode 0600), with O_DIRECT when `pool` is not NULL, has a buffer free
 * and the file system takes the flag. 0 or an errno.
 */
int dfile_create(dfile_t *f, const char *path, dpool_t *pool);
/*
 * Writes a copy at `path` (O_EXCL, mode 0600) alongside, from the same buffer: the copy costs no
 * second read and, direct, no page-cache page. Called after dfile_create, before any write. A
 * failure of the copy (here or later: f->tee_err) never fails the file; the caller removes it.
 */
void dfile_tee(dfile_t *f, const char *path);
/* Appends len bytes. 0 or an errno. */
int dfile_write(dfile_t *f, dpool_t *pool, const uint8_t *p, uint32_t len);
/* Writes what is gathered, through the page cache (a partial buffer). 0 or an errno. */
int dfile_finish(dfile_t *f);
/* Gives the gather buffer back to the pool and closes the copy (not the file's descriptor: the caller closes it). */
void dfile_release(dfile_t *f, dpool_t *pool);
/* Frees the pool's buffers. */
void dpool_free(dpool_t *pool);

/*
 * Copies the open file `in` (of `size` bytes) to `out` when `in` is not in the page cache,
 * reading it with O_DIRECT into `buf` (DIRECT_COPY_BUF bytes, aligned) and writing through the
 * page cache. Returns 1 when copied, 0 when the caller should copy another way (the file is
 * cached, empty, or O_DIRECT is refused: nothing written), -errno on a failure after which
 * `out` may hold part of the file.
 */
int dfile_copy_uncached(int in, uint64_t size, int out, uint8_t *buf);
#endif
