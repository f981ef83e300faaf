/*
 * The carver's spool stage as two native threads instead of two worker isolates (the JavaScript
 * writer and lanes stages of node/carve/hash-worker.ts): the same ring protocol, read by one
 * thread that creates and writes each spool file as its entries come and hashes the files
 * gathered (md5, sha1, sha256 in lanes: digest_lanes.c), and three finisher threads that fsync and
 * close each finished file (an fsync waits ~1-2 ms for the disk: the reader must not) and hand
 * the results to JavaScript in batches through a thread-safe function.
 *
 * Why: each worker isolate cost ~50-80 ms of CPU to boot, JIT and GC work on V8's helper threads,
 * and a libuv pool round trip (a wake-up of a pool thread and of the worker) for every fsync; the
 * native threads make direct system calls and wake the carving thread once per batch.
 *
 * The ring is the SpoolRing's: entries of a 16-byte header (kind, file id, body length, flags) and
 * a body padded to 16 bytes; control words (Int32, JavaScript Atomics on the same memory: seq_cst
 * here too) hold the write position, this stage's read position (which frees ring space: it moves
 * only past hashed bytes), the producer-waits flag, this stage's sleeping flag and the dead flag.
 * Atomics.wait/notify of V8 cannot be reached from C, so the carver rings this stage through
 * wake() and waits for room through wait_room(), both on a mutex and condition variables here.
 * Every entry is checked against the ring before it is read: a malformed ring stops the stage
 * with the dead flag set and a fatal result, never a stray read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "digest_lanes.h"
#include "spool_stage.h"

/* K_COPY (this stage only): an independent copy of a finished file (body: source NUL target). */
enum { K_OPEN = 1, K_DATA = 2, K_FINISH = 3, K_DROP = 4, K_WRAP = 5, K_IDLE = 6, K_COPY = 7 };
enum { C_W_POS = 0, C_PRODUCER_WAITS = 4, C_SLEEPS = 4, C_DEAD = 8 };
#define HEADER 16
/* Bytes gathered before hashing, unless the carver is idle or waits for room (LANES_BATCH_BYTES). */
#define BATCH_BYTES (16u * 1024u * 1024u)
#define ERR_LEN 160
/*
 * Finisher threads: an fsync waits for the disk (1-2 ms, tens of ms behind other writeback), and
 * results wait behind the slowest one ahead of them when one thread takes them in turn.
 */
#define FINISHERS 3
/* Results handed to JavaScript in one call at most. */
#define RESULT_BATCH 64

typedef struct {
  int32_t id;
  int fd;
  char err[ERR_LEN]; /* empty: no error */
  digest_segment_t *segs;
  uint32_t nsegs, capsegs;
} sfile_t;

/* A finished or dropped file on its way to the finisher, then to JavaScript. */
typedef struct job {
  struct job *next;
  int32_t id;
  int kind; /* K_FINISH, K_DROP, or 0: a fatal error of the stage */
  int fd;
  int sync;
  char err[ERR_LEN];
  char *path;   /* K_DROP: the file to remove; K_COPY: the source */
  char *target; /* K_COPY: the new file (never replaces one) */
  uint8_t digest[ALG_COUNT][32];
} job_t;

typedef struct {
  /* the SpoolRing's shared memory, kept alive by the references below */
  uint8_t *ring;
  uint32_t ring_len;
  int32_t *ctl;
  size_t ctl_len;
  int me;
  napi_ref ring_ref, ctl_ref;
  napi_threadsafe_function tsfn;

  pthread_t reader, finisher[FINISHERS];
  int started;
  pthread_mutex_t mu;
  pthread_cond_t wake;  /* the reader sleeps on it (bell) */
  pthread_cond_t room;  /* the carver waits on it for ring room */
  pthread_cond_t jobs;  /* the finisher waits on it */
  uint64_t bell;
  int stop;
  job_t *head, *tail;

  /* reader-only state */
  sfile_t *files;      /* slot-indexed */
  uint32_t nfiles_cap;
  uint32_t *free_slots;
  uint32_t nfree;
  uint32_t next_slot;
  int32_t *map;        /* open addressing: file id -> slot + 1 (0: empty) */
  uint32_t map_cap;
  uint32_t map_used;
  uint8_t *pools[ALG_COUNT];
  job_t *ends_head, *ends_tail; /* FINISH and DROP seen, released after the next hashing */
  int idle;
} stage_t;

static int32_t ld(stage_t *s, int i) { return __atomic_load_n(&s->ctl[i], __ATOMIC_SEQ_CST); }
static void st(stage_t *s, int i, int32_t v) { __atomic_store_n(&s->ctl[i], v, __ATOMIC_SEQ_CST); }

/* The errno's name (strerrorname_np needs glibc 2.32): the ones a file operation gives, else E<n>. */
static const char *errno_name(int e, char *buf, size_t len) {
  static const struct {
    int e;
    const char *name;
  } NAMES[] = {{ENOENT, "ENOENT"}, {EEXIST, "EEXIST"}, {EACCES, "EACCES"}, {EPERM, "EPERM"}, {ENOSPC, "ENOSPC"}, {EDQUOT, "EDQUOT"},
               {EIO, "EIO"}, {EROFS, "EROFS"}, {EMFILE, "EMFILE"}, {ENFILE, "ENFILE"}, {ENOTDIR, "ENOTDIR"}, {EISDIR, "EISDIR"},
               {ENAMETOOLONG, "ENAMETOOLONG"}, {EINVAL, "EINVAL"}, {EXDEV, "EXDEV"}, {EBADF, "EBADF"}, {EFBIG, "EFBIG"}, {ELOOP, "ELOOP"}};
  for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++)
    if (NAMES[i].e == e) return NAMES[i].name;
  snprintf(buf, len, "E%d", e);
  return buf;
}

/* The first failure of a file, worded as Node's fs errors are: "ENOENT: No such file or directory, open". */
static void set_err(char *err, const char *what, int e) {
  char num[16];
  if (err[0] == 0) snprintf(err, ERR_LEN, "%s: %s, %s", errno_name(e, num, sizeof num), strerror(e), what);
}

/* ---- the id -> slot map (linear probing, backward-shift deletion) ---- */

static uint32_t hash_id(int32_t id, uint32_t cap) { return ((uint32_t)id * 2654435761u) & (cap - 1); }

static int map_grow(stage_t *s) {
  uint32_t cap = s->map_cap ? s->map_cap * 2 : 1024;
  int32_t *m = calloc(cap, sizeof(int32_t));
  if (!m) return 0;
  for (uint32_t i = 0; i < s->map_cap; i++) {
    int32_t v = s->map[i];
    if (v == 0) continue;
    uint32_t h = hash_id(s->files[v - 1].id, cap);
    while (m[h] != 0) h = (h + 1) & (cap - 1);
    m[h] = v;
  }
  free(s->map);
  s->map = m;
  s->map_cap = cap;
  return 1;
}

static sfile_t *map_get(stage_t *s, int32_t id, uint32_t *at) {
  if (s->map_cap == 0) return NULL;
  for (uint32_t h = hash_id(id, s->map_cap);; h = (h + 1) & (s->map_cap - 1)) {
    int32_t v = s->map[h];
    if (v == 0) return NULL;
    if (s->files[v - 1].id == id) {
      if (at) *at = h;
      return &s->files[v - 1];
    }
  }
}

static void map_del(stage_t *s, uint32_t h) {
  uint32_t cap = s->map_cap;
  s->map[h] = 0;
  s->map_used--;
  for (uint32_t j = (h + 1) & (cap - 1); s->map[j] != 0; j = (j + 1) & (cap - 1)) {
    uint32_t want = hash_id(s->files[s->map[j] - 1].id, cap);
    /* move the entry back when its home is not within (h, j] */
    if (((j - want) & (cap - 1)) >= ((j - h) & (cap - 1))) {
      s->map[h] = s->map[j];
      s->map[j] = 0;
      h = j;
    }
  }
}

/* A new file's slot (its digest contexts reset), or NULL when memory runs out. */
static sfile_t *file_new(stage_t *s, int32_t id) {
  if ((s->map_used + 1) * 2 > s->map_cap && !map_grow(s)) return NULL;
  uint32_t slot;
  if (s->nfree > 0) slot = s->free_slots[--s->nfree];
  else {
    if (s->next_slot == s->nfiles_cap) {
      uint32_t cap = s->nfiles_cap ? s->nfiles_cap * 2 : 256;
      sfile_t *f = realloc(s->files, sizeof(sfile_t) * cap);
      if (!f) return NULL;
      s->files = f;
      uint32_t *fr = realloc(s->free_slots, sizeof(uint32_t) * cap);
      if (!fr) return NULL;
      s->free_slots = fr;
      for (int a = 0; a < ALG_COUNT; a++) {
        uint8_t *p = realloc(s->pools[a], (size_t)cap * SLOT_BYTES);
        if (!p) return NULL;
        s->pools[a] = p;
      }
      s->nfiles_cap = cap;
    }
    slot = s->next_slot++;
    s->files[slot].segs = NULL;
    s->files[slot].capsegs = 0;
  }
  sfile_t *f = &s->files[slot];
  f->id = id;
  f->fd = -1;
  f->err[0] = 0;
  f->nsegs = 0;
  for (int a = 0; a < ALG_COUNT; a++) digest_slot_reset(a, s->pools[a] + (size_t)slot * SLOT_BYTES);
  uint32_t h = hash_id(id, s->map_cap);
  while (s->map[h] != 0) h = (h + 1) & (s->map_cap - 1);
  s->map[h] = (int32_t)slot + 1;
  s->map_used++;
  return f;
}

static uint32_t slot_of(stage_t *s, sfile_t *f) { return (uint32_t)(f - s->files); }

/* ---- the finisher: fsync, close, remove; results to JavaScript ---- */

static void push_job(stage_t *s, job_t *j) {
  pthread_mutex_lock(&s->mu);
  j->next = NULL;
  if (s->tail) s->tail->next = j;
  else s->head = j;
  s->tail = j;
  pthread_cond_signal(&s->jobs);
  pthread_mutex_unlock(&s->mu);
}

/* 0 until a reflink failed: the file system has none, and each copy stops trying. */
static int no_reflink = 0;

/*
 * An independent copy of `from` at `to`, which must not exist (O_EXCL: nothing is replaced):
 * a reflink where the file system has them, else copy_file_range in the kernel, else
 * read/write; the target gets the source's permission bits. A failed copy leaves no target.
 */
static void copy_file(job_t *j) {
  int in = open(j->path, O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    set_err(j->err, "open", errno);
    return;
  }
  struct stat sb;
  if (fstat(in, &sb) != 0) {
    set_err(j->err, "fstat", errno);
    close(in);
    return;
  }
  int out = open(j->target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, sb.st_mode & 0777);
  if (out < 0) {
    set_err(j->err, "open", errno);
    close(in);
    return;
  }
  int done = 0;
  if (!__atomic_load_n(&no_reflink, __ATOMIC_RELAXED)) {
    if (ioctl(out, FICLONE, in) == 0) done = 1;
    else __atomic_store_n(&no_reflink, 1, __ATOMIC_RELAXED);
  }
  off_t left = sb.st_size;
  int use_range = 1;
  while (!done && left > 0) {
    ssize_t n = -1;
    if (use_range) {
      n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
      if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL)) {
        use_range = 0;
        continue;
      }
    } else {
      static __thread uint8_t buf[1 << 16];
      ssize_t r = read(in, buf, sizeof buf);
      if (r > 0) {
        ssize_t w = 0;
        while (w < r) {
          ssize_t k = write(out, buf + w, (size_t)(r - w));
          if (k < 0 && errno == EINTR) continue;
          if (k < 0) {
            r = -1;
            break;
          }
          w += k;
        }
      }
      n = r;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      set_err(j->err, "copy", errno);
      break;
    }
    if (n == 0) break; /* the source is shorter than it was: copied what there is */
    left -= n;
  }
  if (close(out) != 0) set_err(j->err, "close", errno);
  close(in);
  if (j->err[0]) unlink(j->target);
}

/* Hands a list of done jobs to the carver's event loop (freed there), in one call. */
static void post(stage_t *s, job_t *done) {
  if (!done) return;
  if (napi_call_threadsafe_function(s->tsfn, done, napi_tsfn_nonblocking) != napi_ok) {
    while (done) {
      job_t *n = done->next;
      free(done->path);
      free(done->target);
      free(done);
      done = n;
    }
  }
}

/* Takes jobs one at a time (another finisher takes the next while this one waits on an fsync). */
static void *finisher_main(void *arg) {
  stage_t *s = arg;
  /* named for per-thread accounts (/proc/<pid>/task/<tid>/comm, the carve bench) */
  pthread_setname_np(pthread_self(), "tl-spool-fin");
  job_t *done = NULL, *last = NULL;
  uint32_t ndone = 0;
  for (;;) {
    pthread_mutex_lock(&s->mu);
    /* nothing queued: what is done goes now rather than waiting for more */
    if (!s->head && done) {
      pthread_mutex_unlock(&s->mu);
      post(s, done);
      done = last = NULL;
      ndone = 0;
      continue;
    }
    while (!s->head && !s->stop) pthread_cond_wait(&s->jobs, &s->mu);
    if (!s->head) {
      pthread_mutex_unlock(&s->mu);
      break;
    }
    job_t *j = s->head;
    s->head = j->next;
    if (!s->head) s->tail = NULL;
    pthread_mutex_unlock(&s->mu);
    if (j->kind == K_FINISH) {
      if (j->fd >= 0 && j->err[0] == 0 && j->sync && fsync(j->fd) != 0) set_err(j->err, "fsync", errno);
      if (j->fd >= 0 && close(j->fd) != 0) set_err(j->err, "close", errno);
    } else if (j->kind == K_DROP) {
      if (j->fd >= 0) close(j->fd);
      if (j->path) unlink(j->path);
    } else if (j->kind == K_COPY && j->err[0] == 0) {
      copy_file(j);
    }
    j->next = NULL;
    if (last) last->next = j;
    else done = j;
    last = j;
    if (++ndone == RESULT_BATCH) {
      post(s, done);
      done = last = NULL;
      ndone = 0;
    }
  }
  post(s, done);
  return NULL;
}

/* ---- the reader ---- */

static void fatal(stage_t *s, const char *why) {
  st(s, C_DEAD, 1);
  job_t *j = calloc(1, sizeof(job_t));
  if (j) {
    j->kind = 0;
    j->fd = -1;
    snprintf(j->err, ERR_LEN, "%s", why);
    push_job(s, j);
  }
  pthread_mutex_lock(&s->mu);
  pthread_cond_broadcast(&s->room);
  pthread_mutex_unlock(&s->mu);
}

static int add_seg(sfile_t *f, const uint8_t *p, uint32_t len) {
  if (f->nsegs == f->capsegs) {
    uint32_t cap = f->capsegs ? f->capsegs * 2 : 16;
    digest_segment_t *n = realloc(f->segs, sizeof(digest_segment_t) * cap);
    if (!n) return 0;
    f->segs = n;
    f->capsegs = cap;
  }
  f->segs[f->nsegs].data = p;
  f->segs[f->nsegs].len = len;
  f->nsegs++;
  return 1;
}

static void end_push(stage_t *s, job_t *j) {
  j->next = NULL;
  if (s->ends_tail) s->ends_tail->next = j;
  else s->ends_head = j;
  s->ends_tail = j;
}

static char *body_text(const uint8_t *p, uint32_t len) {
  char *t = malloc((size_t)len + 1);
  if (!t) return NULL;
  memcpy(t, p, len);
  t[len] = 0;
  /* a path with a NUL inside would name another file: refused by the caller */
  if (memchr(t, 0, len) != NULL) {
    free(t);
    return NULL;
  }
  return t;
}

/* Handles the entry at pos; returns the next position, or -1 after a fatal error. */
static int64_t step(stage_t *s, uint32_t pos) {
  uint32_t at = pos & (s->ring_len - 1);
  if (s->ring_len - at < HEADER) {
    fatal(s, "spool ring: entry header crosses the ring's end");
    return -1;
  }
  uint32_t kind, id, len, flags;
  memcpy(&kind, s->ring + at, 4);
  memcpy(&id, s->ring + at + 4, 4);
  memcpy(&len, s->ring + at + 8, 4);
  memcpy(&flags, s->ring + at + 12, 4);
  if (kind == K_WRAP) return (uint32_t)(pos + (s->ring_len - at));
  if (kind < K_OPEN || kind > K_COPY || len > s->ring_len - at - HEADER) {
    fatal(s, "spool ring: malformed entry");
    return -1;
  }
  const uint8_t *body = s->ring + at + HEADER;
  int32_t fid = (int32_t)id;
  if (kind == K_OPEN) {
    sfile_t *f = file_new(s, fid);
    if (!f) {
      fatal(s, "spool stage: out of memory");
      return -1;
    }
    char *path = body_text(body, len);
    if (!path) snprintf(f->err, ERR_LEN, "open: bad path");
    else {
      f->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (f->fd < 0) set_err(f->err, "open", errno);
      free(path);
    }
  } else if (kind == K_DATA) {
    sfile_t *f = map_get(s, fid, NULL);
    if (f) {
      if (f->err[0] == 0) {
        uint32_t off = 0;
        while (off < len) {
          ssize_t n = write(f->fd, body + off, len - off);
          if (n < 0) {
            if (errno == EINTR) continue;
            set_err(f->err, "write", errno);
            break;
          }
          off += (uint32_t)n;
        }
      }
      if (len > 0 && !add_seg(f, body, len)) {
        fatal(s, "spool stage: out of memory");
        return -1;
      }
    }
  } else if (kind == K_FINISH || kind == K_DROP) {
    job_t *j = calloc(1, sizeof(job_t));
    if (!j) {
      fatal(s, "spool stage: out of memory");
      return -1;
    }
    j->id = fid;
    j->kind = (int)kind;
    j->fd = -1;
    j->sync = (flags & 1) != 0;
    if (kind == K_FINISH && j->sync) {
      /* the file's writeback starts now, while its digests wait for the batch: the finisher's
         fsync then mostly waits for what is already under way */
      sfile_t *f = map_get(s, fid, NULL);
      if (f && f->fd >= 0 && f->err[0] == 0) sync_file_range(f->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    }
    if (kind == K_DROP) {
      j->path = body_text(body, len);
      sfile_t *f = map_get(s, fid, NULL);
      /* a dropped file's pending bytes need no hashing */
      if (f) f->nsegs = 0;
    }
    end_push(s, j);
  } else if (kind == K_IDLE) {
    s->idle = 1;
  } else if (kind == K_COPY) {
    /* no bytes to wait for: straight to the finishers */
    job_t *j = calloc(1, sizeof(job_t));
    if (!j) {
      fatal(s, "spool stage: out of memory");
      return -1;
    }
    j->id = fid;
    j->kind = K_COPY;
    j->fd = -1;
    const uint8_t *sep = memchr(body, 0, len);
    if (sep == NULL || (j->path = body_text(body, (uint32_t)(sep - body))) == NULL ||
        (j->target = body_text(sep + 1, len - (uint32_t)(sep - body) - 1)) == NULL || j->path[0] == 0 || j->target[0] == 0)
      snprintf(j->err, ERR_LEN, "copy: bad paths");
    push_job(s, j);
  }
  return (uint32_t)(pos + HEADER + ((len + 15) & ~15u));
}

/* Hashes every pending byte, then hands the FINISH and DROP entries seen to the finisher. */
static int hash_pending(stage_t *s) {
  uint32_t count = 0;
  for (uint32_t i = 0; i < s->next_slot; i++)
    if (s->files[i].nsegs > 0) count++;
  if (count > 0) {
    digest_chain_t *chains = malloc(sizeof(digest_chain_t) * count);
    uint8_t **slots = malloc(sizeof(uint8_t *) * count);
    uint32_t *which = malloc(sizeof(uint32_t) * count);
    if (!chains || !slots || !which) {
      free(chains);
      free(slots);
      free(which);
      fatal(s, "spool stage: out of memory");
      return 0;
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < s->next_slot; i++) {
      if (s->files[i].nsegs == 0) continue;
      chains[k].segs = s->files[i].segs;
      chains[k].count = s->files[i].nsegs;
      which[k++] = i;
    }
    for (int a = 0; a < ALG_COUNT; a++) {
      for (uint32_t c = 0; c < count; c++) slots[c] = s->pools[a] + (size_t)which[c] * SLOT_BYTES;
      digest_lanes_update(a, chains, (int)count, slots);
    }
    for (uint32_t c = 0; c < count; c++) s->files[which[c]].nsegs = 0;
    free(chains);
    free(slots);
    free(which);
  }
  job_t *j = s->ends_head;
  s->ends_head = s->ends_tail = NULL;
  while (j) {
    job_t *next = j->next;
    uint32_t h;
    sfile_t *f = map_get(s, j->id, &h);
    if (!f) {
      if (j->kind == K_FINISH) snprintf(j->err, ERR_LEN, "unknown spool file");
    } else {
      uint32_t slot = slot_of(s, f);
      j->fd = f->fd;
      if (j->kind == K_FINISH) {
        memcpy(j->err, f->err, ERR_LEN);
        for (int a = 0; a < ALG_COUNT; a++) digest_slot_final(a, s->pools[a] + (size_t)slot * SLOT_BYTES, j->digest[a]);
      }
      map_del(s, h);
      s->free_slots[s->nfree++] = slot;
    }
    push_job(s, j);
    j = next;
  }
  return 1;
}

static void *reader_main(void *arg) {
  stage_t *s = arg;
  pthread_setname_np(pthread_self(), "tl-spool-read");
  uint32_t r = (uint32_t)ld(s, s->me);
  uint32_t scan = r;
  for (;;) {
    pthread_mutex_lock(&s->mu);
    uint64_t bell = s->bell;
    int stop = s->stop;
    pthread_mutex_unlock(&s->mu);
    if (stop) break;
    uint32_t w = (uint32_t)ld(s, C_W_POS);
    while (scan != w) {
      int64_t n = step(s, scan);
      if (n < 0) return NULL;
      scan = (uint32_t)n;
    }
    if (scan != r && (s->idle || scan - r >= BATCH_BYTES || ld(s, C_PRODUCER_WAITS) != 0)) {
      if (!hash_pending(s)) return NULL;
      r = scan;
      s->idle = 0;
      st(s, s->me, (int32_t)r);
      if (ld(s, C_PRODUCER_WAITS) != 0) {
        pthread_mutex_lock(&s->mu);
        pthread_cond_broadcast(&s->room);
        pthread_mutex_unlock(&s->mu);
      }
      continue;
    }
    /* say we sleep, then look once more (the carver stores its position, then reads the flag) */
    st(s, s->me + C_SLEEPS, 1);
    if ((uint32_t)ld(s, C_W_POS) == w) {
      pthread_mutex_lock(&s->mu);
      while (s->bell == bell && !s->stop) pthread_cond_wait(&s->wake, &s->mu);
      pthread_mutex_unlock(&s->mu);
    }
    st(s, s->me + C_SLEEPS, 0);
  }
  return NULL;
}

/* ---- JavaScript side ---- */

static const char HEX[] = "0123456789abcdef";

static napi_value hex_of(napi_env env, const uint8_t *d, int n) {
  char t[65];
  for (int i = 0; i < n; i++) {
    t[2 * i] = HEX[d[i] >> 4];
    t[2 * i + 1] = HEX[d[i] & 15];
  }
  napi_value v;
  if (napi_create_string_latin1(env, t, (size_t)n * 2, &v) != napi_ok) return NULL;
  return v;
}

static napi_value str_of(napi_env env, const char *t) {
  napi_value v;
  if (napi_create_string_utf8(env, t, NAPI_AUTO_LENGTH, &v) != napi_ok) return NULL;
  return v;
}

/* Runs on the carver's thread: the batch becomes an array of results for the JavaScript callback. */
static void call_js(napi_env env, napi_value cb, void *context, void *data) {
  (void)context;
  job_t *batch = data;
  if (env != NULL && cb != NULL) {
    napi_value arr, undef;
    uint32_t i = 0;
    napi_create_array(env, &arr);
    static const char *NAMES[ALG_COUNT] = {"md5", "sha1", "sha256"};
    for (job_t *j = batch; j; j = j->next, i++) {
      napi_value o, v;
      napi_create_object(env, &o);
      napi_create_int32(env, j->id, &v);
      napi_set_named_property(env, o, "id", v);
      napi_set_named_property(env, o, "kind", str_of(env, j->kind == K_FINISH ? "finished" : j->kind == K_DROP ? "dropped" : j->kind == K_COPY ? "copied" : "fatal"));
      if (j->err[0]) napi_set_named_property(env, o, "error", str_of(env, j->err));
      else {
        napi_get_null(env, &v);
        napi_set_named_property(env, o, "error", v);
      }
      if (j->kind == K_FINISH && j->err[0] == 0) {
        napi_value d;
        napi_create_object(env, &d);
        for (int a = 0; a < ALG_COUNT; a++) napi_set_named_property(env, d, NAMES[a], hex_of(env, j->digest[a], digest_length(a)));
        napi_set_named_property(env, o, "digests", d);
      }
      napi_set_element(env, arr, i, o);
    }
    napi_get_undefined(env, &undef);
    napi_call_function(env, undef, cb, 1, &arr, NULL);
  }
  while (batch) {
    job_t *n = batch->next;
    free(batch->path);
        free(batch->target);
    free(batch);
    batch = n;
  }
}

static void stop_threads(stage_t *s) {
  if (!s->started) return;
  pthread_mutex_lock(&s->mu);
  s->stop = 1;
  pthread_cond_broadcast(&s->wake);
  pthread_cond_broadcast(&s->jobs);
  pthread_cond_broadcast(&s->room);
  pthread_mutex_unlock(&s->mu);
  pthread_join(s->reader, NULL);
  for (int i = 0; i < FINISHERS; i++) pthread_join(s->finisher[i], NULL);
  s->started = 0;
}

/* At environment teardown: the threads end before the ring's memory can go. */
static void cleanup_hook(void *arg) {
  stage_t *s = arg;
  stop_threads(s);
  napi_release_threadsafe_function(s->tsfn, napi_tsfn_abort);
}

static void finalize_stage(napi_env env, void *data, void *hint) {
  (void)hint;
  stage_t *s = data;
  /* the hook already ran at teardown when this runs then; otherwise it is removed */
  if (s->started) {
    napi_remove_env_cleanup_hook(env, cleanup_hook, s);
    stop_threads(s);
    napi_release_threadsafe_function(s->tsfn, napi_tsfn_abort);
  }
  if (s->ring_ref) napi_delete_reference(env, s->ring_ref);
  if (s->ctl_ref) napi_delete_reference(env, s->ctl_ref);
  for (uint32_t i = 0; i < s->next_slot; i++) free(s->files[i].segs);
  free(s->files);
  free(s->free_slots);
  free(s->map);
  for (int a = 0; a < ALG_COUNT; a++) free(s->pools[a]);
  for (job_t *j = s->ends_head; j;) {
    job_t *n = j->next;
    free(j->path);
    free(j->target);
    free(j);
    j = n;
  }
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->wake);
  pthread_cond_destroy(&s->room);
  pthread_cond_destroy(&s->jobs);
  free(s);
}

static stage_t *stage_of(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == NULL) return NULL;
  return p;
}

/*
 * spoolStart(ring: Uint8Array over a SharedArrayBuffer (power-of-two length), ctl: Int32Array
 * over a SharedArrayBuffer, me: index of this stage's read position, onResults(results[])): the
 * stage's handle. The thread-safe function starts unref'd (see spoolRef).
 */
napi_value spool_start(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  void *ring, *ctl;
  size_t ring_len, ctl_len;
  napi_typedarray_type t1, t2;
  napi_value ab1, ab2;
  size_t o1, o2;
  bool is1 = false, is2 = false, plain1 = false, plain2 = false;
  int32_t me = -1;
  napi_valuetype cbt = napi_undefined;
  if (argc >= 4) {
    napi_is_typedarray(env, argv[0], &is1);
    napi_is_typedarray(env, argv[1], &is2);
    napi_get_value_int32(env, argv[2], &me);
    napi_typeof(env, argv[3], &cbt);
  }
  if (!is1 || !is2 || cbt != napi_function || napi_get_typedarray_info(env, argv[0], &t1, &ring_len, &ring, &ab1, &o1) != napi_ok ||
      napi_get_typedarray_info(env, argv[1], &t2, &ctl_len, &ctl, &ab2, &o2) != napi_ok || t1 != napi_uint8_array || t2 != napi_int32_array ||
      napi_is_arraybuffer(env, ab1, &plain1) != napi_ok || napi_is_arraybuffer(env, ab2, &plain2) != napi_ok) {
    napi_throw_type_error(env, NULL, "spoolStart(ring: Uint8Array, ctl: Int32Array, me: number, onResults: function): bad arguments");
    return NULL;
  }
  /* a plain ArrayBuffer could be detached or moved under the threads: shared memory only */
  if (plain1 || plain2 || ring_len < 4096 || ring_len > (1u << 30) || (ring_len & (ring_len - 1)) != 0 || ctl_len < 16 || me < 1 || me + C_SLEEPS >= (int32_t)ctl_len ||
      me == C_PRODUCER_WAITS || me + C_SLEEPS == C_DEAD) {
    napi_throw_range_error(env, NULL, "spoolStart: the ring must be shared memory of a power-of-two length, ctl shared with room for the stage's words");
    return NULL;
  }
  stage_t *s = calloc(1, sizeof(stage_t));
  if (!s) {
    napi_throw_error(env, NULL, "spoolStart: out of memory");
    return NULL;
  }
  s->ring = ring;
  s->ring_len = (uint32_t)ring_len;
  s->ctl = ctl;
  s->ctl_len = ctl_len;
  s->me = me;
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->wake, NULL);
  pthread_cond_init(&s->room, NULL);
  pthread_cond_init(&s->jobs, NULL);
  napi_value name, handle;
  if (napi_create_reference(env, argv[0], 1, &s->ring_ref) != napi_ok || napi_create_reference(env, argv[1], 1, &s->ctl_ref) != napi_ok ||
      napi_create_string_utf8(env, "tapline spool stage", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_threadsafe_function(env, argv[3], NULL, name, 0, 1, NULL, NULL, NULL, call_js, &s->tsfn) != napi_ok ||
      napi_create_external(env, s, finalize_stage, NULL, &handle) != napi_ok) {
    napi_throw_error(env, NULL, "spoolStart: napi call failed");
    return NULL;
  }
  napi_unref_threadsafe_function(env, s->tsfn);
  if (pthread_create(&s->reader, NULL, reader_main, s) != 0) {
    napi_throw_error(env, NULL, "spoolStart: cannot start a thread");
    return NULL;
  }
  for (int i = 0; i < FINISHERS; i++) {
    if (pthread_create(&s->finisher[i], NULL, finisher_main, s) != 0) {
      pthread_mutex_lock(&s->mu);
      s->stop = 1;
      pthread_cond_broadcast(&s->wake);
      pthread_cond_broadcast(&s->jobs);
      pthread_mutex_unlock(&s->mu);
      pthread_join(s->reader, NULL);
      for (int k = 0; k < i; k++) pthread_join(s->finisher[k], NULL);
      napi_throw_error(env, NULL, "spoolStart: cannot start a thread");
      return NULL;
    }
  }
  s->started = 1;
  napi_add_env_cleanup_hook(env, cleanup_hook, s);
  return handle;
}

/* spoolWake(handle): rings the stage (the carver calls it only while the stage's sleeping flag is set). */
napi_value spool_wake(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  stage_t *s = argc >= 1 ? stage_of(env, argv[0]) : NULL;
  if (!s) {
    napi_throw_type_error(env, NULL, "spoolWake(handle): bad arguments");
    return NULL;
  }
  pthread_mutex_lock(&s->mu);
  s->bell++;
  pthread_cond_signal(&s->wake);
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

/*
 * spoolWaitRoom(handle, seen, ms): blocks the carver until the stage's read position is no
 * longer `seen`, the stage is dead, or `ms` milliseconds pass (as Atomics.wait on that word would).
 */
napi_value spool_wait_room(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  stage_t *s = argc >= 3 ? stage_of(env, argv[0]) : NULL;
  int32_t seen, ms;
  if (!s || napi_get_value_int32(env, argv[1], &seen) != napi_ok || napi_get_value_int32(env, argv[2], &ms) != napi_ok || ms < 0) {
    napi_throw_type_error(env, NULL, "spoolWaitRoom(handle, seen: number, ms: number): bad arguments");
    return NULL;
  }
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += ms / 1000;
  until.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&s->mu);
  while (ld(s, s->me) == seen && ld(s, C_DEAD) == 0 && !s->stop) {
    if (pthread_cond_timedwait(&s->room, &s->mu, &until) == ETIMEDOUT) break;
  }
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

/* spoolRef(handle, on): whether pending results keep the event loop alive (as Worker.ref/unref). */
napi_value spool_ref(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  stage_t *s = argc >= 2 ? stage_of(env, argv[0]) : NULL;
  bool on = false;
  if (!s || napi_get_value_bool(env, argv[1], &on) != napi_ok) {
    napi_throw_type_error(env, NULL, "spoolRef(handle, on: boolean): bad arguments");
    return NULL;
  }
  if (on) napi_ref_threadsafe_function(env, s->tsfn);
  else napi_unref_threadsafe_function(env, s->tsfn);
  return NULL;
}
