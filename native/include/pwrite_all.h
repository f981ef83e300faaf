/*
 * pwrite_all: the whole of [p, p+n) at offset `off` of `fd`, resuming after short writes and
 * EINTR. Shared by the addons that write files (capture's segment_io.c, digest's direct_file.c);
 * a header of static functions because each addon is its own shared object.
 */
#ifndef TAPLINE_PWRITE_ALL_H
#define TAPLINE_PWRITE_ALL_H
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h>

/* 0, or the errno of the failed write (EIO for a write that wrote nothing) */
static inline int pwrite_all(int fd, const uint8_t *p, size_t n, uint64_t off) {
  while (n > 0) {
    ssize_t k = pwrite(fd, p, n, (off_t)off);
    if (k < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (k == 0) return EIO;
    p += k;
    n -= (size_t)k;
    off += (uint64_t)k;
  }
  return 0;
}
#endif
