/*
 * The carver's spool stage as two native threads instead of two worker isolates (the JavaScript
 * writer and lanes stages of node/carve/hash-worker.ts): the same ring protocol, read by a writer
 * thread that creates and writes each spool file as its entries come, and a hasher thread that
 * hashes the gathered files (md5, sha1, sha256 in lanes: digest_lanes.c) behind the writer, each
 * with its own read position (one thread doing both fell behind the carver whenever a create or
 * a batch took its core, and the carver waited for ring room); three finisher threads fsync and
 * close each finished file (an fsync waits ~1-2 ms for the disk: neither reader must) and hand
 * the results to JavaScript in batches through a thread-safe function. With the SPOOL_DIRECT flag
 * the writer writes spool files with O_DIRECT and copies read uncached sources the same way
 * (direct_file.c says why).
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
#include <sys/mman.h>
#include <sys/stat.h>

#include "digest_lanes.h"
#include "direct_file.h"
#include "spool_stage.h"

/* K_COPY (this stage only): an independent copy of a finished file (body: source NUL target). */
enum { K_OPEN = 1, K_DATA = 2, K_FINISH = 3, K_DROP = 4, K_WRAP = 5, K_IDLE = 6, K_COPY = 7 };
/* FINISH flags: fsync the file; F_NO_DIGESTS (this stage only): finished without waiting for the
   hasher's next batch (a flow's records: nobody needs their digests, the flow waits for them) */
enum { F_SYNC = 1, F_NO_DIGESTS = 2 };
/* OPEN flag (this stage only): the body is the path, a NUL, and the path of a copy written
   alongside (direct_file.c dfile_tee: OUTDIR's file of `tapline carve -o`) */
enum { F_TEE = 1 };
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

/* The hasher's file: its pending ring ranges (its digest contexts are its slot in each pool). */
typedef struct {
  digest_segment_t *segs;
  uint32_t nsegs, capsegs;
} sfile_t;

/* The writer's file. */
typedef struct {
  dfile_t file;
  char err[ERR_LEN]; /* empty: no error */
  char *tee_path;    /* the copy asked for at OPEN, or NULL */
  int tee_made;      /* the copy was created (so it is ours to remove) */
} wfile_t;

/* File id -> slot, open addressing (slot + 1; 0: empty), slot -> id through the owner's `ids`. */
typedef struct {
  int32_t *tab;
  uint32_t cap, used;
} idmap_t;

/* Slots of one reader's files: ids, a free list, growth. */
typedef struct {
  int32_t *ids;
  uint32_t *free_slots;
  uint32_t nfree, next, cap;
  idmap_t map;
} slots_t;

/* A FINISH or DROP the hasher has read, for after its next hashing. */
typedef struct {
  int32_t id;
  int kind;
} end_t;

/* A finished or dropped file on its way to the finisher, then to JavaScript. */
typedef struct job {
  struct job *next;
  int32_t id;
  int kind; /* K_FINISH, K_DROP, or 0: a fatal error of the stage */
  int fd;
  int sync;
  int direct;    /* K_FINISH: the file's bytes were written with O_DIRECT */
  int digested;  /* K_FINISH: digest[] holds the file's digests */
  int tee;       /* K_FINISH: 0 no copy asked, 1 the copy is made, or -errno: it failed (and is gone) */
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
  int me_w, me_h; /* the writer's and the hasher's read positions in ctl */
  napi_ref ring_ref, ctl_ref;
  napi_threadsafe_function tsfn;

  pthread_t writer, hasher, finisher[FINISHERS];
  /* faults the ring's pages in ahead of the carver (ring_touch_main); joined with the others */
  pthread_t toucher;
  int toucher_started;
  int started;
  pthread_mutex_t mu;
  pthread_cond_t wake_w, wake_h; /* the writer and the hasher sleep on them (bells) */
  pthread_cond_t room;           /* the carver waits on it for ring room */
  pthread_cond_t jobs;           /* the finishers wait on it */
  uint64_t bell_w, bell_h;
  int stop;
  job_t *head, *tail;
  /* FINISH jobs the writer made (fd, write error), in ring order, for the hasher's digests */
  job_t *hand_head, *hand_tail;

  /* writer-only state */
  wfile_t *wfiles;
  slots_t wslots;
  int direct; /* spool files written with O_DIRECT where the file system takes it (direct_file.c) */
  dpool_t dpool;

  /* hasher-only state */
  sfile_t *files;
  slots_t hslots;
  uint8_t *pools[ALG_COUNT];
  end_t *ends;
  uint32_t nends, capends;
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

/* ---- file id -> slot maps (linear probing, backward-shift deletion) ---- */

static uint32_t hash_id(int32_t id, uint32_t cap) { return ((uint32_t)id * 2654435761u) & (cap - 1); }

static int map_grow(idmap_t *m, const int32_t *ids) {
  uint32_t cap = m->cap ? m->cap * 2 : 1024;
  int32_t *t = calloc(cap, sizeof(int32_t));
  if (!t) return 0;
  for (uint32_t i = 0; i < m->cap; i++) {
    int32_t v = m->tab[i];
    if (v == 0) continue;
    uint32_t h = hash_id(ids[v - 1], cap);
    while (t[h] != 0) h = (h + 1) & (cap - 1);
    t[h] = v;
  }
  free(m->tab);
  m->tab = t;
  m->cap = cap;
  return 1;
}

/* The slot of file `id`, or -1; its place in the table in *at. */
static int64_t map_get(const idmap_t *m, const int32_t *ids, int32_t id, uint32_t *at) {
  if (m->cap == 0) return -1;
  for (uint32_t h = hash_id(id, m->cap);; h = (h + 1) & (m->cap - 1)) {
    int32_t v = m->tab[h];
    if (v == 0) return -1;
    if (ids[v - 1] == id) {
      if (at) *at = h;
      return v - 1;
    }
  }
}

static void map_del(idmap_t *m, const int32_t *ids, uint32_t h) {
  uint32_t cap = m->cap;
  m->tab[h] = 0;
  m->used--;
  for (uint32_t j = (h + 1) & (cap - 1); m->tab[j] != 0; j = (j + 1) & (cap - 1)) {
    uint32_t want = hash_id(ids[m->tab[j] - 1], cap);
    /* move the entry back when its home is not within (h, j] */
    if (((j - want) & (cap - 1)) >= ((j - h) & (cap - 1))) {
      m->tab[h] = m->tab[j];
      m->tab[j] = 0;
      h = j;
    }
  }
}

/*
 * A slot for file `id` (mapped), or -1 when memory runs out. When the slots grow, `grow(cap)`
 * grows the owner's per-slot arrays first (it returns 0 on failure).
 */
static int64_t slot_new(slots_t *sl, int32_t id, int (*grow)(void *, uint32_t), void *owner) {
  if ((sl->map.used + 1) * 2 > sl->map.cap && !map_grow(&sl->map, sl->ids)) return -1;
  uint32_t slot;
  if (sl->nfree > 0) slot = sl->free_slots[--sl->nfree];
  else {
    if (sl->next == sl->cap) {
      uint32_t cap = sl->cap ? sl->cap * 2 : 256;
      int32_t *ids = realloc(sl->ids, sizeof(int32_t) * cap);
      if (!ids) return -1;
      sl->ids = ids;
      uint32_t *fr = realloc(sl->free_slots, sizeof(uint32_t) * cap);
      if (!fr) return -1;
      sl->free_slots = fr;
      if (!grow(owner, cap)) return -1;
      sl->cap = cap;
    }
    slot = sl->next++;
  }
  sl->ids[slot] = id;
  uint32_t h = hash_id(id, sl->map.cap);
  while (sl->map.tab[h] != 0) h = (h + 1) & (sl->map.cap - 1);
  sl->map.tab[h] = (int32_t)slot + 1;
  sl->map.used++;
  return slot;
}

/* Unmaps file `id` (found at table place `at`) and frees its slot. */
static void slot_free(slots_t *sl, uint32_t at, uint32_t slot) {
  map_del(&sl->map, sl->ids, at);
  sl->free_slots[sl->nfree++] = slot;
}

static void slots_release(slots_t *sl) {
  free(sl->ids);
  free(sl->free_slots);
  free(sl->map.tab);
}

static int grow_wfiles(void *owner, uint32_t cap) {
  stage_t *s = owner;
  wfile_t *f = realloc(s->wfiles, sizeof(wfile_t) * cap);
  if (!f) return 0;
  s->wfiles = f;
  return 1;
}

static int grow_hfiles(void *owner, uint32_t cap) {
  stage_t *s = owner;
  sfile_t *f = realloc(s->files, sizeof(sfile_t) * cap);
  if (!f) return 0;
  for (uint32_t i = s->hslots.cap; i < cap; i++) {
    f[i].segs = NULL;
    f[i].capsegs = 0;
    f[i].nsegs = 0;
  }
  s->files = f;
  for (int a = 0; a < ALG_COUNT; a++) {
    uint8_t *p = realloc(s->pools[a], (size_t)cap * SLOT_BYTES);
    if (!p) return 0;
    s->pools[a] = p;
  }
  return 1;
}

/* ---- the finishers: fsync, close, remove, copy; results to JavaScript ---- */

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
static void copy_file(job_t *j, uint8_t *direct_buf) {
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
  /* a source written with O_DIRECT is not in the page cache: read back the same way, rather
     than a page-cache page per 4 KiB for bytes read once */
  if (!done && direct_buf != NULL) {
    int r = dfile_copy_uncached(in, (uint64_t)sb.st_size, out, direct_buf);
    if (r < 0) set_err(j->err, "copy", -r);
    if (r != 0) done = 1;
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

/* Frees a list of jobs and their paths. */
static void free_jobs(job_t *j) {
  while (j) {
    job_t *n = j->next;
    free(j->path);
    free(j->target);
    free(j);
    j = n;
  }
}

/* Hands a list of done jobs to the carver's event loop (freed there), in one call. */
static void post(stage_t *s, job_t *done) {
  if (!done) return;
  if (napi_call_threadsafe_function(s->tsfn, done, napi_tsfn_nonblocking) != napi_ok) free_jobs(done);
}

/* Takes jobs one at a time (another finisher takes the next while this one waits on an fsync). */
static void *finisher_main(void *arg) {
  stage_t *s = arg;
  /* named for per-thread accounts (/proc/<pid>/task/<tid>/comm, the carve bench) */
  pthread_setname_np(pthread_self(), "tl-spool-fin");
  job_t *done = NULL, *last = NULL;
  /* this thread's buffer for copies read with O_DIRECT (made at its first copy) */
  uint8_t *direct_buf = NULL;
  int direct_buf_tried = 0;
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
      if (s->direct && !direct_buf_tried) {
        direct_buf_tried = 1;
        if (posix_memalign((void **)&direct_buf, DIRECT_BLOCK, DIRECT_COPY_BUF) != 0) direct_buf = NULL;
      }
      copy_file(j, direct_buf);
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
  free(direct_buf);
  return NULL;
}

/* ---- the readers ---- */

static void broadcast_room(stage_t *s) {
  pthread_mutex_lock(&s->mu);
  pthread_cond_broadcast(&s->room);
  pthread_mutex_unlock(&s->mu);
}

static void wake_hasher(stage_t *s) {
  pthread_mutex_lock(&s->mu);
  s->bell_h++;
  pthread_cond_signal(&s->wake_h);
  pthread_mutex_unlock(&s->mu);
}

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
  /* the other reader stops at the dead flag */
  s->bell_h++;
  s->bell_w++;
  pthread_cond_signal(&s->wake_h);
  pthread_cond_signal(&s->wake_w);
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

/* A body of two paths, `a` NUL `b` (COPY's source and target, OPEN's file and copy): 1 with both
   set (non-empty, neither holding another NUL), else 0 with neither. */
static int two_paths(const uint8_t *body, uint32_t len, char **a, char **b) {
  const uint8_t *sep = memchr(body, 0, len);
  *a = sep ? body_text(body, (uint32_t)(sep - body)) : NULL;
  *b = *a ? body_text(sep + 1, len - (uint32_t)(sep - body) - 1) : NULL;
  if (*a && *b && (*a)[0] && (*b)[0]) return 1;
  free(*a);
  free(*b);
  *a = *b = NULL;
  return 0;
}

typedef struct {
  uint32_t kind, id, len, flags;
  const uint8_t *body;
} entry_t;

/* The entry at pos (checked against the ring), or 0 after a fatal error; *next: the next position. */
static int read_entry(stage_t *s, uint32_t pos, entry_t *e, uint32_t *next) {
  uint32_t at = pos & (s->ring_len - 1);
  if (s->ring_len - at < HEADER) {
    fatal(s, "spool ring: entry header crosses the ring's end");
    return 0;
  }
  memcpy(&e->kind, s->ring + at, 4);
  memcpy(&e->id, s->ring + at + 4, 4);
  memcpy(&e->len, s->ring + at + 8, 4);
  memcpy(&e->flags, s->ring + at + 12, 4);
  if (e->kind == K_WRAP) {
    *next = (uint32_t)(pos + (s->ring_len - at));
    return 1;
  }
  if (e->kind < K_OPEN || e->kind > K_COPY || e->len > s->ring_len - at - HEADER) {
    fatal(s, "spool ring: malformed entry");
    return 0;
  }
  e->body = s->ring + at + HEADER;
  *next = (uint32_t)(pos + HEADER + ((e->len + 15) & ~15u));
  return 1;
}

/* The writer's part of an entry: files created, written, handed on; 0 after a fatal error. */
static int write_entry(stage_t *s, const entry_t *e, int *saw_idle) {
  int32_t fid = (int32_t)e->id;
  if (e->kind == K_OPEN) {
    int64_t slot = slot_new(&s->wslots, fid, grow_wfiles, s);
    if (slot < 0) {
      fatal(s, "spool stage: out of memory");
      return 0;
    }
    wfile_t *f = &s->wfiles[slot];
    memset(&f->file, 0, sizeof f->file);
    f->file.fd = -1;
    f->file.tee = -1;
    f->err[0] = 0;
    f->tee_path = NULL;
    f->tee_made = 0;
    char *path = NULL;
    if (e->flags & F_TEE) two_paths(e->body, e->len, &path, &f->tee_path);
    else path = body_text(e->body, e->len);
    if (!path || !path[0]) snprintf(f->err, ERR_LEN, "open: bad path");
    else {
      int err = dfile_create(&f->file, path, s->direct ? &s->dpool : NULL);
      if (err) set_err(f->err, "open", err);
      else if (f->tee_path) {
        dfile_tee(&f->file, f->tee_path);
        f->tee_made = f->file.tee >= 0;
      }
    }
    free(path);
  } else if (e->kind == K_DATA) {
    int64_t slot = map_get(&s->wslots.map, s->wslots.ids, fid, NULL);
    if (slot >= 0 && s->wfiles[slot].err[0] == 0) {
      wfile_t *f = &s->wfiles[slot];
      int err = dfile_write(&f->file, &s->dpool, e->body, e->len);
      if (err) set_err(f->err, "write", err);
    }
  } else if (e->kind == K_FINISH || e->kind == K_DROP || e->kind == K_COPY) {
    job_t *j = calloc(1, sizeof(job_t));
    if (!j) {
      fatal(s, "spool stage: out of memory");
      return 0;
    }
    j->id = fid;
    j->kind = (int)e->kind;
    j->fd = -1;
    j->sync = (e->flags & F_SYNC) != 0;
    if (e->kind == K_COPY) {
      if (!two_paths(e->body, e->len, &j->path, &j->target)) snprintf(j->err, ERR_LEN, "copy: bad paths");
      /* no bytes to wait for: straight to the finishers */
      push_job(s, j);
      return 1;
    }
    uint32_t at;
    int64_t slot = map_get(&s->wslots.map, s->wslots.ids, fid, &at);
    if (slot < 0) {
      if (e->kind == K_FINISH) snprintf(j->err, ERR_LEN, "unknown spool file");
    } else {
      wfile_t *f = &s->wfiles[slot];
      if (e->kind == K_FINISH && f->err[0] == 0 && f->file.fd >= 0) {
        int err = dfile_finish(&f->file);
        if (err) set_err(f->err, "write", err);
        j->direct = f->file.buf != NULL;
      }
      dfile_release(&f->file, &s->dpool);
      if (f->tee_path) {
        /* the copy stays only with a finished file; one that failed is removed (never a file
           this stage did not create: O_EXCL refused to replace it) */
        int ok = e->kind == K_FINISH && f->err[0] == 0 && f->file.tee_err == 0;
        if (!ok && f->tee_made) unlink(f->tee_path);
        if (e->kind == K_FINISH) j->tee = ok ? 1 : -(f->file.tee_err ? f->file.tee_err : ECANCELED);
        free(f->tee_path);
        f->tee_path = NULL;
      }
      j->fd = f->file.fd;
      memcpy(j->err, f->err, ERR_LEN);
      slot_free(&s->wslots, at, (uint32_t)slot);
    }
    if (e->kind == K_DROP) {
      j->path = body_text(e->body, e->len);
      push_job(s, j);
    } else if (e->flags & F_NO_DIGESTS) {
      /* the hasher passes it by (as a DROP): straight to the finishers */
      push_job(s, j);
    } else {
      /* the file's writeback starts now, while its digests wait for their batch: the
         finisher's fsync then mostly waits for what is already under way */
      if (j->sync && j->fd >= 0 && j->err[0] == 0) sync_file_range(j->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
      /* for the hasher, which reads this FINISH after the writer (it never passes it) */
      pthread_mutex_lock(&s->mu);
      if (s->hand_tail) s->hand_tail->next = j;
      else s->hand_head = j;
      s->hand_tail = j;
      pthread_mutex_unlock(&s->mu);
    }
  } else if (e->kind == K_IDLE) {
    *saw_idle = 1;
  }
  return 1;
}

static void *writer_main(void *arg) {
  stage_t *s = arg;
  pthread_setname_np(pthread_self(), "tl-spool-write");
  uint32_t r = (uint32_t)ld(s, s->me_w);
  for (;;) {
    pthread_mutex_lock(&s->mu);
    uint64_t bell = s->bell_w;
    int stop = s->stop;
    pthread_mutex_unlock(&s->mu);
    if (stop || ld(s, C_DEAD) != 0) break;
    uint32_t w = (uint32_t)ld(s, C_W_POS);
    int saw_idle = 0;
    while (r != w) {
      entry_t e;
      uint32_t next;
      if (!read_entry(s, r, &e, &next)) return NULL;
      if (e.kind != K_WRAP && !write_entry(s, &e, &saw_idle)) return NULL;
      r = next;
      st(s, s->me_w, (int32_t)r);
      if (ld(s, C_PRODUCER_WAITS) != 0) broadcast_room(s);
    }
    /* the hasher reads only what the writer has passed: an IDLE or a waiting carver it rang may
       still have been ahead of the writer then */
    if (saw_idle || ld(s, C_PRODUCER_WAITS) != 0) wake_hasher(s);
    /* say we sleep, then look once more (the carver stores its position, then reads the flag) */
    st(s, s->me_w + C_SLEEPS, 1);
    if ((uint32_t)ld(s, C_W_POS) == w) {
      pthread_mutex_lock(&s->mu);
      while (s->bell_w == bell && !s->stop) pthread_cond_wait(&s->wake_w, &s->mu);
      pthread_mutex_unlock(&s->mu);
    }
    st(s, s->me_w + C_SLEEPS, 0);
  }
  return NULL;
}

/* The hasher's part of an entry: bytes gathered for hashing, ends noted; 0 after a fatal error. */
static int hash_entry(stage_t *s, const entry_t *e) {
  int32_t fid = (int32_t)e->id;
  if (e->kind == K_OPEN) {
    int64_t slot = slot_new(&s->hslots, fid, grow_hfiles, s);
    if (slot < 0) {
      fatal(s, "spool stage: out of memory");
      return 0;
    }
    s->files[slot].nsegs = 0;
    for (int a = 0; a < ALG_COUNT; a++) digest_slot_reset(a, s->pools[a] + (size_t)slot * SLOT_BYTES);
  } else if (e->kind == K_DATA) {
    int64_t slot = map_get(&s->hslots.map, s->hslots.ids, fid, NULL);
    if (slot >= 0 && e->len > 0 && !add_seg(&s->files[slot], e->body, e->len)) {
      fatal(s, "spool stage: out of memory");
      return 0;
    }
  } else if (e->kind == K_FINISH || e->kind == K_DROP) {
    /* a dropped file, or one finished without digests: its pending bytes need no hashing, and
       the writer sent its job to the finishers (no job of the writer's to complete) */
    int passed = e->kind == K_DROP || (e->flags & F_NO_DIGESTS) != 0;
    if (passed) {
      int64_t slot = map_get(&s->hslots.map, s->hslots.ids, fid, NULL);
      if (slot >= 0) s->files[slot].nsegs = 0;
    }
    if (s->nends == s->capends) {
      uint32_t cap = s->capends ? s->capends * 2 : 64;
      end_t *n = realloc(s->ends, sizeof(end_t) * cap);
      if (!n) {
        fatal(s, "spool stage: out of memory");
        return 0;
      }
      s->ends = n;
      s->capends = cap;
    }
    s->ends[s->nends].id = fid;
    s->ends[s->nends].kind = passed ? K_DROP : K_FINISH;
    s->nends++;
  } else if (e->kind == K_IDLE) {
    s->idle = 1;
  }
  return 1;
}

/* Hashes every pending byte, then completes the FINISH jobs the writer handed on and frees the slots of what ended. */
static int hash_pending(stage_t *s) {
  uint32_t count = 0;
  for (uint32_t i = 0; i < s->hslots.next; i++)
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
    for (uint32_t i = 0; i < s->hslots.next; i++) {
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
  for (uint32_t i = 0; i < s->nends; i++) {
    end_t *e = &s->ends[i];
    uint32_t at;
    int64_t slot = map_get(&s->hslots.map, s->hslots.ids, e->id, &at);
    if (e->kind == K_FINISH) {
      /* the writer's job for this FINISH: the next one it handed on (both read the ring in order) */
      pthread_mutex_lock(&s->mu);
      job_t *j = s->hand_head;
      if (j) {
        s->hand_head = j->next;
        if (!s->hand_head) s->hand_tail = NULL;
      }
      pthread_mutex_unlock(&s->mu);
      if (!j || j->id != e->id) {
        if (j) {
          free(j);
        }
        fatal(s, "spool stage: the writer and the hasher disagree");
        return 0;
      }
      if (slot < 0 && j->err[0] == 0) snprintf(j->err, ERR_LEN, "unknown spool file");
      if (slot >= 0 && j->err[0] == 0) {
        for (int a = 0; a < ALG_COUNT; a++) digest_slot_final(a, s->pools[a] + (size_t)slot * SLOT_BYTES, j->digest[a]);
        j->digested = 1;
      }
      push_job(s, j);
    }
    if (slot >= 0) slot_free(&s->hslots, at, (uint32_t)slot);
  }
  s->nends = 0;
  return 1;
}

static void *hasher_main(void *arg) {
  stage_t *s = arg;
  pthread_setname_np(pthread_self(), "tl-spool-hash");
  uint32_t r = (uint32_t)ld(s, s->me_h);
  uint32_t scan = r;
  for (;;) {
    pthread_mutex_lock(&s->mu);
    uint64_t bell = s->bell_h;
    int stop = s->stop;
    pthread_mutex_unlock(&s->mu);
    if (stop || ld(s, C_DEAD) != 0) break;
    /* everything before the writer's position is written (and its FINISH jobs handed on) */
    uint32_t lim = (uint32_t)ld(s, s->me_w);
    while (scan != lim) {
      entry_t e;
      uint32_t next;
      if (!read_entry(s, scan, &e, &next)) return NULL;
      if (e.kind != K_WRAP && !hash_entry(s, &e)) return NULL;
      scan = next;
    }
    if (scan != r && (s->idle || scan - r >= BATCH_BYTES || ld(s, C_PRODUCER_WAITS) != 0)) {
      if (!hash_pending(s)) return NULL;
      r = scan;
      s->idle = 0;
      st(s, s->me_h, (int32_t)r);
      if (ld(s, C_PRODUCER_WAITS) != 0) broadcast_room(s);
      continue;
    }
    st(s, s->me_h + C_SLEEPS, 1);
    if ((uint32_t)ld(s, s->me_w) == lim) {
      pthread_mutex_lock(&s->mu);
      while (s->bell_h == bell && !s->stop) pthread_cond_wait(&s->wake_h, &s->mu);
      pthread_mutex_unlock(&s->mu);
    }
    st(s, s->me_h + C_SLEEPS, 0);
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
      if (j->kind == K_FINISH && j->err[0] == 0 && j->digested) {
        napi_value d;
        napi_create_object(env, &d);
        for (int a = 0; a < ALG_COUNT; a++) napi_set_named_property(env, d, NAMES[a], hex_of(env, j->digest[a], digest_length(a)));
        napi_set_named_property(env, o, "digests", d);
      }
      if (j->kind == K_FINISH && j->err[0] == 0) {
        napi_get_boolean(env, j->direct != 0, &v);
        napi_set_named_property(env, o, "direct", v);
        /* the copy asked for at OPEN: made (null), or why not */
        if (j->tee != 0) {
          char why[ERR_LEN] = "";
          if (j->tee < 0) set_err(why, "copy", -j->tee);
          if (j->tee > 0) napi_get_null(env, &v);
          napi_set_named_property(env, o, "copyError", j->tee > 0 ? v : str_of(env, why));
        }
      }
      napi_set_element(env, arr, i, o);
    }
    napi_get_undefined(env, &undef);
    napi_call_function(env, undef, cb, 1, &arr, NULL);
  }
  free_jobs(batch);
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
/*
 * Faults the ring's pages in, writable, on a thread of its own, while the carver starts up. The
 * carver's copies into the ring were the first touch of its 32 MiB: about 7,000 of a carve's
 * 29,000 page faults on the carving thread (perf record -e page-faults), each a cleared page
 * and, on a VM whose free memory goes back to the host, a host fault too (tests/bench/README.md, "Carving work, session 12").
 * Contents are never changed: MADV_POPULATE_WRITE only faults pages in, and where the kernel
 * lacks it (before 5.14) each page gets an atomic add of zero, so a byte the carver already
 * wrote stays as written.
 */
static void *ring_touch_main(void *arg) {
  stage_t *s = arg;
  pthread_setname_np(pthread_self(), "tl-ring-touch");
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0) page = 4096;
  uintptr_t lo = ((uintptr_t)s->ring + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
  uintptr_t hi = ((uintptr_t)s->ring + s->ring_len) & ~((uintptr_t)page - 1);
  /* a MiB at a time, so that a stop does not wait for the whole ring */
  const uintptr_t step = (uintptr_t)1 << 20;
  for (uintptr_t at = lo; at < hi && !__atomic_load_n(&s->stop, __ATOMIC_RELAXED); at += step) {
    size_t n = (size_t)(hi - at < step ? hi - at : step);
    if (madvise((void *)at, n, MADV_POPULATE_WRITE) == 0) continue;
    for (uintptr_t p = at; p < at + n; p += (uintptr_t)page) __atomic_fetch_add((uint32_t *)p, 0u, __ATOMIC_RELAXED);
  }
  return NULL;
}

static void stop_threads(stage_t *s) {
  if (!s->started) return;
  pthread_mutex_lock(&s->mu);
  s->stop = 1;
  pthread_cond_broadcast(&s->wake_w);
  pthread_cond_broadcast(&s->wake_h);
  pthread_cond_broadcast(&s->jobs);
  pthread_cond_broadcast(&s->room);
  pthread_mutex_unlock(&s->mu);
  pthread_join(s->writer, NULL);
  pthread_join(s->hasher, NULL);
  for (int i = 0; i < FINISHERS; i++) pthread_join(s->finisher[i], NULL);
  if (s->toucher_started) pthread_join(s->toucher, NULL);
  s->toucher_started = 0;
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
  for (uint32_t i = 0; i < s->hslots.next; i++) free(s->files[i].segs);
  free(s->files);
  slots_release(&s->hslots);
  /* files still open at teardown hold gather buffers */
  for (uint32_t i = 0; i < s->wslots.next; i++) {
    dfile_release(&s->wfiles[i].file, &s->dpool);
    free(s->wfiles[i].tee_path);
    s->wfiles[i].tee_path = NULL;
  }
  dpool_free(&s->dpool);
  free(s->wfiles);
  slots_release(&s->wslots);
  for (int a = 0; a < ALG_COUNT; a++) free(s->pools[a]);
  free(s->ends);
  for (job_t *j = s->hand_head; j;) {
    job_t *n = j->next;
    free(j->path);
    free(j->target);
    free(j);
    j = n;
  }
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->wake_w);
  pthread_cond_destroy(&s->wake_h);
  pthread_cond_destroy(&s->room);
  pthread_cond_destroy(&s->jobs);
  free(s);
}

/* The call's first n arguments into argv, and the stage its first names; NULL when fewer or not a stage. */
static stage_t *stage_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv) {
  size_t argc = n;
  void *p = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < n || napi_get_value_external(env, argv[0], &p) != napi_ok) return NULL;
  return p;
}

/* A control-word index that may be a reader's read position (its sleeping flag is 4 words on). */
static int position_word(int32_t me, size_t ctl_len) {
  return me >= 1 && (size_t)me + C_SLEEPS < ctl_len && me != C_PRODUCER_WAITS && me + C_SLEEPS != C_DEAD && me != C_DEAD;
}

/*
 * spoolStart(ring: Uint8Array over a SharedArrayBuffer (power-of-two length), ctl: Int32Array
 * over a SharedArrayBuffer, writer: the writer's read position in ctl, hasher: the hasher's,
 * onResults(results[]), flags?: bit 0 writes spool files with O_DIRECT where the file system
 * takes it, and reads uncached sources of copies the same way): the stage's handle. The
 * thread-safe function starts unref'd (see spoolRef).
 */
napi_value spool_start(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  void *ring, *ctl;
  size_t ring_len, ctl_len;
  napi_typedarray_type t1, t2;
  napi_value ab1, ab2;
  size_t o1, o2;
  bool is1 = false, is2 = false, plain1 = false, plain2 = false;
  int32_t me_w = -1, me_h = -1, flags = 0;
  napi_valuetype cbt = napi_undefined, flagst = napi_undefined;
  if (argc >= 5) {
    napi_is_typedarray(env, argv[0], &is1);
    napi_is_typedarray(env, argv[1], &is2);
    napi_get_value_int32(env, argv[2], &me_w);
    napi_get_value_int32(env, argv[3], &me_h);
    napi_typeof(env, argv[4], &cbt);
  }
  if (argc >= 6) napi_typeof(env, argv[5], &flagst);
  if (flagst != napi_undefined && (flagst != napi_number || napi_get_value_int32(env, argv[5], &flags) != napi_ok || (flags & ~1) != 0)) {
    napi_throw_type_error(env, NULL, "spoolStart: flags must be 0 or 1");
    return NULL;
  }
  if (!is1 || !is2 || cbt != napi_function || napi_get_typedarray_info(env, argv[0], &t1, &ring_len, &ring, &ab1, &o1) != napi_ok ||
      napi_get_typedarray_info(env, argv[1], &t2, &ctl_len, &ctl, &ab2, &o2) != napi_ok || t1 != napi_uint8_array || t2 != napi_int32_array ||
      napi_is_arraybuffer(env, ab1, &plain1) != napi_ok || napi_is_arraybuffer(env, ab2, &plain2) != napi_ok) {
    napi_throw_type_error(env, NULL, "spoolStart(ring: Uint8Array, ctl: Int32Array, writer: number, hasher: number, onResults: function): bad arguments");
    return NULL;
  }
  /* a plain ArrayBuffer could be detached or moved under the threads: shared memory only */
  if (plain1 || plain2 || ring_len < 4096 || ring_len > (1u << 30) || (ring_len & (ring_len - 1)) != 0 || ctl_len < 16 || !position_word(me_w, ctl_len) ||
      !position_word(me_h, ctl_len) || me_w == me_h || me_w + C_SLEEPS == me_h || me_h + C_SLEEPS == me_w) {
    napi_throw_range_error(env, NULL, "spoolStart: the ring must be shared memory of a power-of-two length, ctl shared with room for the readers' words");
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
  s->me_w = me_w;
  s->me_h = me_h;
  s->direct = (flags & 1) != 0;
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->wake_w, NULL);
  pthread_cond_init(&s->wake_h, NULL);
  pthread_cond_init(&s->room, NULL);
  pthread_cond_init(&s->jobs, NULL);
  napi_value name, handle;
  if (napi_create_reference(env, argv[0], 1, &s->ring_ref) != napi_ok || napi_create_reference(env, argv[1], 1, &s->ctl_ref) != napi_ok ||
      napi_create_string_utf8(env, "tapline spool stage", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_threadsafe_function(env, argv[4], NULL, name, 0, 1, NULL, NULL, NULL, call_js, &s->tsfn) != napi_ok ||
      napi_create_external(env, s, finalize_stage, NULL, &handle) != napi_ok) {
    napi_throw_error(env, NULL, "spoolStart: napi call failed");
    return NULL;
  }
  napi_unref_threadsafe_function(env, s->tsfn);
  /* the threads start together or not at all */
  pthread_t *threads[2 + FINISHERS] = {&s->writer, &s->hasher};
  void *(*mains[2 + FINISHERS])(void *) = {writer_main, hasher_main};
  for (int i = 0; i < FINISHERS; i++) {
    threads[2 + i] = &s->finisher[i];
    mains[2 + i] = finisher_main;
  }
  for (int i = 0; i < 2 + FINISHERS; i++) {
    if (pthread_create(threads[i], NULL, mains[i], s) != 0) {
      pthread_mutex_lock(&s->mu);
      s->stop = 1;
      pthread_cond_broadcast(&s->wake_w);
      pthread_cond_broadcast(&s->wake_h);
      pthread_cond_broadcast(&s->jobs);
      pthread_mutex_unlock(&s->mu);
      for (int k = 0; k < i; k++) pthread_join(*threads[k], NULL);
      napi_throw_error(env, NULL, "spoolStart: cannot start a thread");
      return NULL;
    }
  }
  s->started = 1;
  /* an optimization only: without the thread the carver faults the pages in as before */
  s->toucher_started = pthread_create(&s->toucher, NULL, ring_touch_main, s) == 0;
  napi_add_env_cleanup_hook(env, cleanup_hook, s);
  return handle;
}

/* spoolWake(handle, reader: 0 the writer, 1 the hasher): rings it (the carver calls it only while its sleeping flag is set). */
napi_value spool_wake(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  stage_t *s = stage_args(env, info, 2, argv);
  int32_t which = -1;
  if (!s || napi_get_value_int32(env, argv[1], &which) != napi_ok || (which != 0 && which != 1)) {
    napi_throw_type_error(env, NULL, "spoolWake(handle, reader: 0 | 1): bad arguments");
    return NULL;
  }
  pthread_mutex_lock(&s->mu);
  if (which == 0) {
    s->bell_w++;
    pthread_cond_signal(&s->wake_w);
  } else {
    s->bell_h++;
    pthread_cond_signal(&s->wake_h);
  }
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

/*
 * spoolWaitRoom(handle, word, seen, ms): blocks the carver until the read position in ctl[word]
 * (the writer's or the hasher's) is no longer `seen`, the stage is dead, or `ms` milliseconds
 * pass (as Atomics.wait on that word would).
 */
napi_value spool_wait_room(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  stage_t *s = stage_args(env, info, 4, argv);
  int32_t word, seen, ms;
  if (!s || napi_get_value_int32(env, argv[1], &word) != napi_ok || napi_get_value_int32(env, argv[2], &seen) != napi_ok ||
      napi_get_value_int32(env, argv[3], &ms) != napi_ok || ms < 0 || (word != s->me_w && word != s->me_h)) {
    napi_throw_type_error(env, NULL, "spoolWaitRoom(handle, word: a reader's position, seen: number, ms: number): bad arguments");
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
  while (ld(s, word) == seen && ld(s, C_DEAD) == 0 && !s->stop) {
    if (pthread_cond_timedwait(&s->room, &s->mu, &until) == ETIMEDOUT) break;
  }
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

/* spoolRef(handle, on): whether pending results keep the event loop alive (as Worker.ref/unref). */
napi_value spool_ref(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  stage_t *s = stage_args(env, info, 2, argv);
  bool on = false;
  if (!s || napi_get_value_bool(env, argv[1], &on) != napi_ok) {
    napi_throw_type_error(env, NULL, "spoolRef(handle, on: boolean): bad arguments");
    return NULL;
  }
  if (on) napi_ref_threadsafe_function(env, s->tsfn);
  else napi_unref_threadsafe_function(env, s->tsfn);
  return NULL;
}
