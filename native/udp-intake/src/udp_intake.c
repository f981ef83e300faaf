/*
 * tapline_udp_intake: syslog-over-UDP receive without one JavaScript callback per datagram.
 *
 * A native thread owns the socket (IPv4 or IPv6, receive buffer raised, SO_TIMESTAMPNS for the
 * kernel's receive time, SO_RXQ_OVFL for the kernel's drop count), reads with recvmmsg and copies
 * each datagram into a fixed ring of batch buffers, in the layout of node/logs/udp-batch.ts:
 *
 *   u32 payload length | u16 sender port | u16 index into the batch's sender table |
 *   u32 receive time, seconds | u32 receive time, nanoseconds | payload bytes   (little-endian)
 *
 * A batch is handed to the JavaScript thread that opened the receiver (the UDP parse thread)
 * through one napi_threadsafe_function call per batch: when it is full (bytes, messages, sender
 * table), or FLUSH_MS after its first datagram. The call copies the batch into a fresh
 * ArrayBuffer (so the slot is free again at once, whatever the garbage collector does) and calls
 * back with the batch and the drop counters since the previous call.
 *
 * Drops are counted exactly, never silent:
 *   - queue full: the messages handed over and not yet taken by the intake (an Int32 in a
 *     SharedArrayBuffer, decremented by the main thread) reached the limit;
 *   - ring full: datagrams already read wait in the scratch while every ring slot waits for the
 *     JavaScript thread (the socket is not read meanwhile); only those still there when close()
 *     gives up waiting (about 2 s) are dropped;
 *   - kernel: the socket's receive buffer overflowed (SO_RXQ_OVFL, cumulative, reported as is).
 *
 * close() stops the thread (an eventfd wakes its poll), which first drains what the kernel
 * already holds for the socket, hands over its last batch, then an end call; the callback's
 * end call is the last one.
 */
#include <node_api.h>

#include "line_pack.h"
#include "log_fast_path.h"
#include "le_words.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define RECORD_HEADER 16
#define VLEN 64
#define SCRATCH_SLOT 65536
#define MAX_IPS 256
#define IP_TEXT 48
#define DEFAULT_RING_SLOTS 96
#define DEFAULT_BATCH_BYTES (512u << 10)
#define DEFAULT_BATCH_MESSAGES 2048u
#define DEFAULT_FLUSH_MS 10
#define COALESCE_US 500
/* where a slot's fast-path results start in its pre buffer: after an offset per record it can hold */
#define PRE_RESULTS(r) (4u * (r)->batch_messages)

/* Call data: a slot index + 1, or one of these (never a valid pointer; the value is what matters). */
#define CALL_DROPS_ONLY ((void *)(intptr_t)-1)
#define CALL_END ((void *)(intptr_t)-2)

typedef struct {
  uint8_t *data;
  uint32_t used;
  uint32_t count;
  uint32_t nips;
  uint8_t ip_family[MAX_IPS];
  uint8_t ip_addr[MAX_IPS][16];
  char ip_text[MAX_IPS][IP_TEXT];
  /*
   * The C fast path's results for the batch's records, filled by the receive thread while the
   * records are still in its cache (catch_up(): after each drain of the socket, and at publish()):
   * int32 off[batch_messages] (an offset into pre, or -1), then the results from PRE_RESULTS(r).
   * call_js hands them over in log_fast_path.h's layout (off[count], then the results).
   */
  uint8_t *pre;
  uint32_t pre_cap;
  uint32_t pre_end;  /* results written up to here */
  uint32_t parsed;   /* records [0, parsed) done */
  uint32_t parsed_at; /* data offset of record `parsed` */
} slot_t;

typedef struct {
  int fd;
  int wake_fd;
  int ipv6;
  pthread_t thread;
  int thread_started;
  int joined;
  int closing; /* close() was called: no second close */
  int stop;     /* atomic */
  int refs;     /* the thread-safe function and the JavaScript handle (both released on the JS thread) */

  /*
   * ring: slots are handed over in the order they are taken; `in_use` counts taken and not yet
   * freed. Free slots are a stack (the last freed is taken next): under a steady stream the
   * same few slots cycle, their bytes still in the caches and their pages long touched, instead
   * of every slot of the ring in turn.
   */
  slot_t *slots;
  uint32_t nslots;
  uint32_t *free_stack; /* free_stack[0, nslots - in_use): free slot indexes, the top last */
  uint32_t in_use;
  pthread_mutex_t lock;
  uint32_t batch_bytes;
  uint32_t batch_messages;
  int flush_ms;

  /* scratch for recvmmsg */
  uint8_t *scratch;
  struct mmsghdr msgs[VLEN];
  struct iovec iov[VLEN];
  struct sockaddr_storage addrs[VLEN];
  uint8_t ctrl[VLEN][128];
  /* msgs[carry_at, carry_n): read from the socket, not yet in a batch (the ring had no room) */
  int carry_at;
  int carry_n;

  /* the hand-off bound, shared with the main thread */
  int32_t *pending;
  int32_t limit;
  napi_ref pending_ref;

  /* counters since the last call (the JavaScript side reads and resets them) */
  uint64_t dropped_queue_full;
  uint64_t dropped_ring_full;
  uint32_t kernel_drops; /* cumulative, as the kernel reports it */
  uint64_t received;

  int nice_requested; /* INT32_MIN: leave it */
  int nice_got;       /* INT32_MIN: unknown */
  pthread_mutex_t ready_lock;
  pthread_cond_t ready_cond;
  int ready;

  /* the parse fast path, run on this thread over each batch before it is handed over (NULL: off) */
  lfp_ctx *lfp;

  /*
   * Whole batches in C (line_pack.h; open's `pack`): when every record of a batch has a fast-path
   * result, call_js writes the batch's lines, facts and ends itself (on the parse thread) and
   * calls back with kind 2. pack_state is the parse thread's Float64Array: [0] the last event id
   * given (UdpBatchParser's counter, advanced here by the batch's count), [1] 1 while the parse
   * thread takes whole batches. NULL: never.
   */
  double *pack_state;
  napi_ref pack_ref;
  napi_ref pack_take; /* pack.take(bytes) → ArrayBuffer of at least that many bytes (optional) */
  uint8_t *pack_prefix;
  uint8_t *pack_origin;
  lpk_texts pack_texts;

  napi_threadsafe_function tsfn;
  napi_env env;
  int cleanup_hook;
} receiver_t;

static uint64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static void put_u16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

/* Takes a free ring slot (NULL when every slot waits for the JavaScript thread). */
static slot_t *take_slot(receiver_t *r) {
  slot_t *s = NULL;
  pthread_mutex_lock(&r->lock);
  if (r->in_use < r->nslots) {
    s = &r->slots[r->free_stack[r->nslots - r->in_use - 1]];
    r->in_use++;
  }
  pthread_mutex_unlock(&r->lock);
  if (s) {
    s->used = 0;
    s->count = 0;
    s->nips = 0;
    s->pre_end = PRE_RESULTS(r);
    s->parsed = 0;
    s->parsed_at = 0;
  }
  return s;
}

/* Gives a slot back (handed over and copied, or never used): the next take_slot() takes it. */
static void release_slot(receiver_t *r, slot_t *s) {
  pthread_mutex_lock(&r->lock);
  r->in_use--;
  r->free_stack[r->nslots - r->in_use - 1] = (uint32_t)(s - r->slots);
  pthread_mutex_unlock(&r->lock);
}

/*
 * Runs the fast path over the slot's records not yet done (log_fast_path.h lfp_record; the same
 * results, record for record, as lfp_batch over the whole batch), right after the socket was
 * drained: the records were just copied and are still in this core's caches.
 */
static void catch_up(receiver_t *r, slot_t *s) {
  if (!r->lfp) return;
  uint32_t at = s->parsed_at;
  for (uint32_t i = s->parsed; i < s->count; i++) {
    const uint8_t *p = s->data + at;
    uint32_t len = get_u32(p);
    uint32_t w = lfp_record(r->lfp, p + RECORD_HEADER, len, get_u32(p + 8), get_u32(p + 12), s->pre + s->pre_end, s->pre_cap - s->pre_end);
    put_i32(s->pre + 4 * i, w > 0 ? (int32_t)s->pre_end : -1);
    s->pre_end += w;
    at += RECORD_HEADER + len;
  }
  s->parsed = s->count;
  s->parsed_at = at;
}

/* Hands a filled slot to the JavaScript thread; the messages now count against the hand-off bound. */
static void publish(receiver_t *r, slot_t *s) {
  catch_up(r, s);
  __atomic_fetch_add(r->pending, (int32_t)s->count, __ATOMIC_SEQ_CST);
  intptr_t idx = (intptr_t)(s - r->slots) + 1;
  if (napi_call_threadsafe_function(r->tsfn, (void *)idx, napi_tsfn_nonblocking) != napi_ok) {
    /* the environment is going away: nobody will take it */
    __atomic_fetch_sub(r->pending, (int32_t)s->count, __ATOMIC_SEQ_CST);
    release_slot(r, s);
  }
}

static int ip_index(slot_t *s, const struct sockaddr_storage *a, uint16_t *port) {
  uint8_t fam;
  const uint8_t *bytes;
  size_t n;
  if (a->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)a;
    fam = 6;
    bytes = a6->sin6_addr.s6_addr;
    n = 16;
    *port = ntohs(a6->sin6_port);
  } else {
    const struct sockaddr_in *a4 = (const struct sockaddr_in *)a;
    fam = 4;
    bytes = (const uint8_t *)&a4->sin_addr.s_addr;
    n = 4;
    *port = ntohs(a4->sin_port);
  }
  for (uint32_t i = 0; i < s->nips; i++) {
    if (s->ip_family[i] == fam && memcmp(s->ip_addr[i], bytes, n) == 0) return (int)i;
  }
  if (s->nips == MAX_IPS) return -1;
  uint32_t k = s->nips++;
  s->ip_family[k] = fam;
  memset(s->ip_addr[k], 0, 16);
  memcpy(s->ip_addr[k], bytes, n);
  if (!inet_ntop(fam == 6 ? AF_INET6 : AF_INET, bytes, s->ip_text[k], IP_TEXT)) s->ip_text[k][0] = 0;
  return (int)k;
}

/* Sets up the scratch vectors for one recvmmsg call. */
static void arm(receiver_t *r) {
  for (int i = 0; i < VLEN; i++) {
    r->iov[i].iov_base = r->scratch + (size_t)i * SCRATCH_SLOT;
    r->iov[i].iov_len = SCRATCH_SLOT;
    memset(&r->msgs[i].msg_hdr, 0, sizeof(struct msghdr));
    r->msgs[i].msg_hdr.msg_iov = &r->iov[i];
    r->msgs[i].msg_hdr.msg_iovlen = 1;
    r->msgs[i].msg_hdr.msg_name = &r->addrs[i];
    r->msgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_storage);
    r->msgs[i].msg_hdr.msg_control = r->ctrl[i];
    r->msgs[i].msg_hdr.msg_controllen = sizeof(r->ctrl[i]);
    r->msgs[i].msg_len = 0;
  }
}

/*
 * Reads what the socket holds (at most VLEN datagrams) into the current batch, publishing full
 * ones. Returns the number read, 0 when nothing was there, -1 on an error other than "nothing".
 */
static int read_some(receiver_t *r, slot_t **cur, uint64_t *first_ms) {
  int i0 = 0;
  int n;
  if (r->carry_n > r->carry_at) {
    /* datagrams an earlier call read and had no ring room for: stored first, nothing new read */
    i0 = r->carry_at;
    n = r->carry_n;
  } else {
    arm(r);
    n = recvmmsg(r->fd, r->msgs, VLEN, MSG_DONTWAIT, NULL);
    if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
    __atomic_fetch_add(&r->received, (uint64_t)n, __ATOMIC_RELAXED);
  }
  r->carry_at = r->carry_n = 0;
  for (int i = i0; i < n; i++) {
    struct msghdr *h = &r->msgs[i].msg_hdr;
    uint32_t len = r->msgs[i].msg_len;
    if (len > SCRATCH_SLOT) len = SCRATCH_SLOT; /* cannot happen for UDP over IP; bounded anyway */
    struct timespec ts = {0, 0};
    int have_ts = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
      if (c->cmsg_level != SOL_SOCKET) continue;
      if (c->cmsg_type == SO_TIMESTAMPNS && c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
        memcpy(&ts, CMSG_DATA(c), sizeof(ts));
        have_ts = 1;
      } else if (c->cmsg_type == SO_RXQ_OVFL && c->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
        uint32_t k;
        memcpy(&k, CMSG_DATA(c), sizeof(k));
        __atomic_store_n(&r->kernel_drops, k, __ATOMIC_RELAXED);
      }
    }
    if (!have_ts) clock_gettime(CLOCK_REALTIME, &ts);
    uint32_t in_batch = *cur ? (*cur)->count : 0;
    if (__atomic_load_n(r->pending, __ATOMIC_SEQ_CST) + (int64_t)in_batch >= r->limit) {
      __atomic_fetch_add(&r->dropped_queue_full, 1, __ATOMIC_RELAXED);
      continue;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
      if (!*cur) {
        *cur = take_slot(r);
        if (!*cur) break;
        *first_ms = now_ms();
      }
      slot_t *s = *cur;
      uint16_t port = 0;
      int k = -1;
      if (s->count < r->batch_messages && (uint64_t)s->used + RECORD_HEADER + len <= r->batch_bytes) k = ip_index(s, &r->addrs[i], &port);
      if (k < 0) {
        if (s->count == 0) break; /* bigger than an empty batch: impossible with the sizes used */
        publish(r, s);
        *cur = NULL;
        continue;
      }
      uint8_t *p = s->data + s->used;
      put_u32(p, len);
      put_u16(p + 4, port);
      put_u16(p + 6, (uint16_t)k);
      put_u32(p + 8, (uint32_t)ts.tv_sec);
      put_u32(p + 12, (uint32_t)ts.tv_nsec);
      memcpy(p + RECORD_HEADER, r->iov[i].iov_base, len);
      s->used += RECORD_HEADER + len;
      s->count++;
      len = UINT32_MAX; /* stored */
      break;
    }
    if (len != UINT32_MAX) {
      /*
       * No free slot: this datagram and the rest of the call wait in the scratch for room (the
       * reader asks for room before reading, but a slot's bytes can end before its message count).
       */
      r->carry_at = i;
      r->carry_n = n;
      return i - i0;
    }
  }
  return n - i0;
}

static int carrying(receiver_t *r) {
  return r->carry_n > r->carry_at;
}

static uint32_t free_slots(receiver_t *r) {
  pthread_mutex_lock(&r->lock);
  uint32_t n = r->nslots - r->in_use;
  pthread_mutex_unlock(&r->lock);
  return n;
}

static int ring_full(receiver_t *r) {
  pthread_mutex_lock(&r->lock);
  int full = r->in_use >= r->nslots;
  pthread_mutex_unlock(&r->lock);
  return full;
}

static int drops_waiting(receiver_t *r) {
  return __atomic_load_n(&r->dropped_queue_full, __ATOMIC_RELAXED) != 0 || __atomic_load_n(&r->dropped_ring_full, __ATOMIC_RELAXED) != 0;
}

static void *receive_thread(void *arg) {
  receiver_t *r = arg;
  int got = INT32_MIN;
  pthread_setname_np(pthread_self(), "tapline-udp-rx"); /* shown by top -H and /proc/PID/task/TID/comm */
  pid_t tid = (pid_t)syscall(SYS_gettid);
  if (r->nice_requested != INT32_MIN) setpriority(PRIO_PROCESS, (id_t)tid, r->nice_requested);
  errno = 0;
  int pr = getpriority(PRIO_PROCESS, (id_t)tid);
  if (!(pr == -1 && errno != 0)) got = pr;
  pthread_mutex_lock(&r->ready_lock);
  r->nice_got = got;
  r->ready = 1;
  pthread_cond_signal(&r->ready_cond);
  pthread_mutex_unlock(&r->ready_lock);

  slot_t *cur = NULL;
  uint64_t first_ms = 0;
  uint64_t last_call_ms = now_ms();
  struct pollfd fds[2] = {{.fd = r->fd, .events = POLLIN}, {.fd = r->wake_fd, .events = POLLIN}};
  while (!__atomic_load_n(&r->stop, __ATOMIC_SEQ_CST)) {
    /*
     * Read only with room for what one recvmmsg can bring (the current batch plus a free slot):
     * with the ring full the datagrams wait in the kernel's receive buffer (its overflow is
     * counted by the kernel, SO_RXQ_OVFL) instead of being read and thrown away.
     */
    int readable = free_slots(r) >= (cur ? 1u : 2u);
    int timeout = readable ? (carrying(r) ? 0 : 100) : 1;
    uint64_t t = now_ms();
    /* with a quarter of the ring waiting for the JavaScript thread a due batch is held (below): no spinning */
    int hold = r->nslots - free_slots(r) > r->nslots / 4;
    if (cur && cur->count > 0) {
      uint64_t due = first_ms + (uint64_t)r->flush_ms;
      int left = due > t ? (int)(due - t) : 0;
      if (hold) left = r->flush_ms;
      if (left < timeout) timeout = left;
    } else if (drops_waiting(r) && r->flush_ms < timeout) {
      timeout = r->flush_ms;
    }
    fds[0].fd = readable ? r->fd : -1; /* a negative fd is ignored by poll */
    fds[0].revents = 0;
    int pn = poll(fds, 2, timeout);
    if (pn < 0 && errno != EINTR) break;
    if (fds[1].revents & POLLIN) break;
    if ((pn > 0 && (fds[0].revents & POLLIN)) || (readable && carrying(r))) {
      /* read until the socket is empty (or the ring has no room), so one wake-up takes many datagrams */
      int got = 0;
      for (int rounds = 0; rounds < 64 && free_slots(r) >= (cur ? 1u : 2u); rounds++) {
        int n = read_some(r, &cur, &first_ms);
        if (n > 0) got += n;
        if (n < VLEN) break;
      }
      /*
       * Under a steady stream a wake-up per datagram or two costs more than the datagrams: after
       * reading, let more gather in the kernel buffer for a moment (COALESCE_US; the buffer holds
       * megabytes, and a batch waits FLUSH_MS anyway), so each recvmmsg takes many.
       */
      /* the socket is drained: now the fast path over what was just stored, still in the caches */
      if (cur) catch_up(r, cur);
      if (got > 0 && got < VLEN) {
        struct timespec pause = {0, COALESCE_US * 1000};
        nanosleep(&pause, NULL);
      }
    }
    t = now_ms();
    /*
     * A batch leaves FLUSH_MS after its first datagram (a trickle is not held back), unless a
     * quarter of the ring already waits for the JavaScript thread: then it leaves full, so a
     * backlog is held in few large batches and the ring holds more messages (96 slots of 512 KiB:
     * about 150,000 syslog-sized datagrams, beyond the hand-off limit, in 48 MiB at most).
     */
    if (cur && cur->count > 0 && t >= first_ms + (uint64_t)r->flush_ms && r->nslots - free_slots(r) <= r->nslots / 4) {
      publish(r, cur);
      cur = NULL;
      last_call_ms = t;
    } else if ((!cur || cur->count == 0) && drops_waiting(r) && t >= last_call_ms + (uint64_t)r->flush_ms) {
      /* drops with nothing to carry them: report them on their own */
      napi_call_threadsafe_function(r->tsfn, CALL_DROPS_ONLY, napi_tsfn_nonblocking);
      last_call_ms = t;
    }
  }
  /*
   * Clean close: what the kernel already holds for the socket is still handed over. The
   * JavaScript thread keeps taking batches meanwhile (close() does not wait for this thread), so
   * a full ring is waited for (at most about 2 s in all) rather than counted as drops.
   */
  for (int rounds = 0, waits = 0; rounds < 4096; rounds++) {
    if (cur && cur->count > 0 && ring_full(r)) {
      publish(r, cur);
      cur = NULL;
    }
    while (!cur && ring_full(r) && waits < 2000) {
      struct timespec ms = {0, 1000000};
      nanosleep(&ms, NULL);
      waits++;
    }
    if (read_some(r, &cur, &first_ms) <= 0) break;
  }
  /* read, and the ring never made room for them before the end: counted, never silent */
  if (carrying(r)) __atomic_fetch_add(&r->dropped_ring_full, (uint64_t)(r->carry_n - r->carry_at), __ATOMIC_RELAXED);
  r->carry_at = r->carry_n = 0;
  if (cur) {
    if (cur->count > 0) {
      publish(r, cur);
    } else {
      release_slot(r, cur);
    }
  }
  napi_call_threadsafe_function(r->tsfn, CALL_END, napi_tsfn_nonblocking);
  return NULL;
}

static void request_stop(receiver_t *r) {
  if (!r->thread_started || __atomic_exchange_n(&r->stop, 1, __ATOMIC_SEQ_CST)) return;
  uint64_t one = 1;
  ssize_t w = write(r->wake_fd, &one, sizeof(one));
  (void)w;
}

static void stop_and_join(receiver_t *r) {
  if (!r->thread_started || r->joined) return;
  request_stop(r);
  pthread_join(r->thread, NULL);
  r->joined = 1;
}

/* The socket and the ring (the counters stay readable while the JavaScript handle lives). */
static void free_resources(receiver_t *r) {
  if (r->fd >= 0) close(r->fd);
  if (r->wake_fd >= 0) close(r->wake_fd);
  r->fd = -1;
  r->wake_fd = -1;
  if (r->slots) {
    for (uint32_t i = 0; i < r->nslots; i++) {
      free(r->slots[i].data);
      free(r->slots[i].pre);
    }
    free(r->slots);
  }
  r->slots = NULL;
  free(r->free_stack);
  r->free_stack = NULL;
  free(r->scratch);
  r->scratch = NULL;
  lfp_free(r->lfp);
  r->lfp = NULL;
  free(r->pack_prefix);
  free(r->pack_origin);
  r->pack_prefix = r->pack_origin = NULL;
  r->pack_state = NULL;
}

static void free_receiver(receiver_t *r) {
  free_resources(r);
  pthread_mutex_destroy(&r->lock);
  pthread_mutex_destroy(&r->ready_lock);
  pthread_cond_destroy(&r->ready_cond);
  free(r);
}

static void cleanup_hook(void *arg) {
  /* the environment is being torn down (a terminated worker) without close(): stop the thread */
  receiver_t *r = arg;
  r->cleanup_hook = 0;
  stop_and_join(r);
}

static void tsfn_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  receiver_t *r = data;
  stop_and_join(r);
  if (r->cleanup_hook) napi_remove_env_cleanup_hook(env, cleanup_hook, r);
  r->cleanup_hook = 0;
  if (r->pending_ref) napi_delete_reference(env, r->pending_ref);
  r->pending_ref = NULL;
  if (r->pack_ref) napi_delete_reference(env, r->pack_ref);
  r->pack_ref = NULL;
  if (r->pack_take) napi_delete_reference(env, r->pack_take);
  r->pack_take = NULL;
  free_resources(r);
  if (--r->refs == 0) free_receiver(r);
}

static void handle_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  receiver_t *r = data;
  if (--r->refs == 0) free_receiver(r);
}

/* The kernel's drop count for the socket now (SO_MEMINFO; SO_RXQ_OVFL only comes with a later datagram). */
static uint32_t kernel_drops_now(receiver_t *r) {
  uint32_t k = __atomic_load_n(&r->kernel_drops, __ATOMIC_RELAXED);
#ifdef SO_MEMINFO
  if (r->fd >= 0) {
    uint32_t mi[SK_MEMINFO_VARS];
    socklen_t len = sizeof mi;
    if (getsockopt(r->fd, SOL_SOCKET, SO_MEMINFO, mi, &len) == 0 && len > SK_MEMINFO_DROPS * sizeof(uint32_t) && mi[SK_MEMINFO_DROPS] > k) k = mi[SK_MEMINFO_DROPS];
  }
#endif
  return k;
}

static napi_value num(napi_env env, double v) {
  napi_value out;
  napi_create_double(env, v, &out);
  return out;
}

/*
 * The slot as one packed batch (line_pack.h) in a new ArrayBuffer (*out, its lines' bytes in
 * *lines), with the parse thread's id counter advanced by its count; 0 when the parse thread does
 * not take whole batches now or a record has no fast-path result (the per-record path then).
 */
static int pack_slot(napi_env env, receiver_t *r, slot_t *s, napi_value *out, uint32_t *lines) {
  double *st = r->pack_state;
  if (st == NULL || r->lfp == NULL || st[1] != 1 || s->count == 0) return 0;
  double last = st[0];
  if (!(last >= 0 && last <= 9.0e15) || (double)(int64_t)last != last) return 0;
  lpk_ip ips[MAX_IPS];
  for (uint32_t i = 0; i < s->nips; i++) {
    ips[i].text = s->ip_text[i];
    ips[i].len = (uint32_t)strnlen(s->ip_text[i], IP_TEXT);
  }
  uint64_t first = (uint64_t)last + 1;
  uint32_t n = 0, total = 0;
  if (!lpk_size(s->data, s->used, s->count, s->pre, s->pre_end, ips, s->nips, &r->pack_texts, first, &n, &total)) return 0;
  void *d = NULL;
  /* a buffer the main thread gave back (pack.take: the parse thread's pool), else a new one */
  if (r->pack_take) {
    napi_value fn, global, arg, res;
    bool is_ab = false;
    size_t len = 0;
    arg = num(env, total);
    if (napi_get_reference_value(env, r->pack_take, &fn) == napi_ok && fn != NULL && napi_get_global(env, &global) == napi_ok && napi_call_function(env, global, fn, 1, &arg, &res) == napi_ok) {
      if (napi_is_arraybuffer(env, res, &is_ab) == napi_ok && is_ab && napi_get_arraybuffer_info(env, res, &d, &len) == napi_ok && d != NULL && len >= total) *out = res;
      else d = NULL;
    } else {
      napi_value e;
      bool pending = false;
      if (napi_is_exception_pending(env, &pending) == napi_ok && pending) napi_get_and_clear_last_exception(env, &e);
      d = NULL;
    }
  }
  if (d == NULL && (napi_create_arraybuffer(env, total, &d, out) != napi_ok || d == NULL)) return 0;
  lpk_write(s->data, s->count, s->pre, ips, &r->pack_texts, first, n, d);
  st[0] = last + s->count;
  *lines = n;
  return 1;
}

static void call_js(napi_env env, napi_value cb, void *context, void *data) {
  receiver_t *r = context;
  if (env == NULL || cb == NULL) {
    /*
     * The environment is closing: the batch goes nowhere. Node empties the queue this way only
     * after tsfn_finalize ran (which joined the thread and freed the ring, and may have freed r):
     * nothing here may touch r (releasing the slot crashed when a worker ended with batches queued).
     */
    return;
  }
  napi_value argv[9];
  napi_value undef;
  napi_get_undefined(env, &undef);
  int kind = 0;
  uint32_t used = 0, count = 0;
  argv[1] = undef;
  argv[8] = undef;
  napi_create_array_with_length(env, 0, &argv[4]);
  if (data == CALL_END) {
    kind = 1;
  } else if (data != CALL_DROPS_ONLY && pack_slot(env, r, &r->slots[(intptr_t)data - 1], &argv[1], &used)) {
    /* the whole batch written in C: the parse thread forwards it as it is */
    slot_t *s = &r->slots[(intptr_t)data - 1];
    kind = 2;
    count = s->count;
    release_slot(r, s);
  } else if (data != CALL_DROPS_ONLY) {
    slot_t *s = &r->slots[(intptr_t)data - 1];
    void *ab_data = NULL;
    used = s->used;
    count = s->count;
    int have_data = 0;
    if (napi_create_arraybuffer(env, used, &ab_data, &argv[1]) == napi_ok && (used == 0 || ab_data != NULL)) {
      memcpy(ab_data, s->data, used);
      have_data = 1;
    } else {
      argv[1] = undef;
    }
    if (r->lfp && have_data) {
      /* log_fast_path.h's layout: off[count] (results moved up from PRE_RESULTS to 4 * count), the results */
      uint32_t from = PRE_RESULTS(r);
      uint32_t shift = from - 4 * count;
      uint32_t bytes = 4 * count + (s->pre_end - from);
      uint8_t *pre_data = NULL;
      if (napi_create_arraybuffer(env, bytes, (void **)&pre_data, &argv[8]) == napi_ok && pre_data != NULL) {
        for (uint32_t i = 0; i < count; i++) {
          int32_t o = (int32_t)get_u32(s->pre + 4 * i);
          put_i32(pre_data + 4 * i, o < 0 ? -1 : o - (int32_t)shift);
        }
        memcpy(pre_data + 4 * count, s->pre + from, s->pre_end - from);
      } else {
        argv[8] = undef;
      }
    }
    napi_create_array_with_length(env, s->nips, &argv[4]);
    for (uint32_t i = 0; i < s->nips; i++) {
      napi_value str;
      napi_create_string_latin1(env, s->ip_text[i], NAPI_AUTO_LENGTH, &str);
      napi_set_element(env, argv[4], i, str);
    }
    release_slot(r, s);
  }
  argv[0] = num(env, kind);
  argv[2] = num(env, used);
  argv[3] = num(env, count);
  argv[5] = num(env, (double)__atomic_exchange_n(&r->dropped_queue_full, 0, __ATOMIC_RELAXED));
  argv[6] = num(env, (double)__atomic_exchange_n(&r->dropped_ring_full, 0, __ATOMIC_RELAXED));
  argv[7] = num(env, (double)kernel_drops_now(r));
  napi_value global;
  napi_get_global(env, &global);
  napi_call_function(env, global, cb, 9, argv, NULL);
  if (kind == 1) {
    /* the last call (the thread exits right after queueing it): nothing else will come */
    stop_and_join(r);
    napi_release_threadsafe_function(r->tsfn, napi_tsfn_release);
  }
}

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  char code[64];
  const char *name = err == EADDRINUSE ? "EADDRINUSE" : err == EACCES ? "EACCES" : err == EADDRNOTAVAIL ? "EADDRNOTAVAIL" : err == EINVAL ? "EINVAL" : "ERR_UDP_INTAKE";
  snprintf(code, sizeof code, "%s", name);
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, code, msg);
  return NULL;
}

static int get_prop_int(napi_env env, napi_value obj, const char *name, int64_t dflt, int64_t *out) {
  napi_value v;
  bool has = false;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok) return 0;
  if (!has) {
    *out = dflt;
    return 1;
  }
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return 0;
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_undefined || t == napi_null) {
    *out = dflt;
    return 1;
  }
  if (t == napi_boolean) {
    bool bv = false;
    napi_get_value_bool(env, v, &bv);
    *out = bv ? 1 : 0;
    return 1;
  }
  if (t != napi_number) return 0;
  double d;
  napi_get_value_double(env, v, &d);
  /* NaN, infinities and out-of-range values are refused (the conversion would be undefined) */
  if (!(d >= -9.0e15 && d <= 9.0e15)) return 0;
  *out = (int64_t)d;
  return 1;
}

/* A typed array property of the given type: its data and length (elements); 0 when missing or of another type. */
static int typed_prop(napi_env env, napi_value obj, const char *name, napi_typedarray_type want, napi_value *value, void **data, size_t *len) {
  napi_value v;
  bool is_ta = false;
  napi_typedarray_type tt;
  *data = NULL;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta || napi_get_typedarray_info(env, v, &tt, len, data, NULL, NULL) != napi_ok || tt != want) return 0;
  if (*len > 0 && *data == NULL) return 0;
  if (value) *value = v;
  return 1;
}

/*
 * open({ host, port, recvBufferBytes?, nice?, pending: Int32Array on a SharedArrayBuffer, limit,
 *        ringSlots?, batchBytes?, batchMessages?, flushMs?, fastParse?, pack? }, callback)
 *   → { handle, port, recvBufferBytes, nice }
 * callback(kind, data, used, count, ips, droppedQueueFull, droppedRingFull, kernelDrops, pre):
 *   kind 0: a batch (data may be undefined when only drops are reported), 1: the end (last call),
 *   2: a whole parsed batch written in C (line_pack.h: data holds the lines [0, used), the facts
 *   and the ends; with `pack` only, while its state[1] is 1);
 *   pre: the parse fast path's results for the batch (log_fast_path.h), undefined with
 *   fastParse 0 (default 1) or when it could not be made.
 */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "open(options, callback)");
    return NULL;
  }
  napi_valuetype t;
  napi_typeof(env, argv[1], &t);
  if (t != napi_function) {
    napi_throw_type_error(env, NULL, "callback must be a function");
    return NULL;
  }
  napi_value hostv;
  char host[64];
  size_t hostlen = 0;
  if (napi_get_named_property(env, argv[0], "host", &hostv) != napi_ok || napi_get_value_string_utf8(env, hostv, host, sizeof host, &hostlen) != napi_ok || hostlen == 0 || hostlen >= sizeof host - 1) {
    napi_throw_type_error(env, NULL, "host must be an IP address");
    return NULL;
  }
  int64_t port, rcvbuf, nice, limit, ring, bbytes, bmsgs, flush, fast;
  if (!get_prop_int(env, argv[0], "port", -1, &port) || port < 0 || port > 65535 || !get_prop_int(env, argv[0], "recvBufferBytes", 0, &rcvbuf) || rcvbuf < 0 || rcvbuf > (1ll << 30) ||
      !get_prop_int(env, argv[0], "nice", INT32_MIN, &nice) || (nice != INT32_MIN && (nice < -20 || nice > 19)) || !get_prop_int(env, argv[0], "limit", -1, &limit) || limit < 1 || limit > INT32_MAX ||
      !get_prop_int(env, argv[0], "ringSlots", DEFAULT_RING_SLOTS, &ring) || ring < 2 || ring > 256 || !get_prop_int(env, argv[0], "batchBytes", DEFAULT_BATCH_BYTES, &bbytes) || bbytes < 65536 + RECORD_HEADER ||
      bbytes > (64 << 20) || !get_prop_int(env, argv[0], "batchMessages", DEFAULT_BATCH_MESSAGES, &bmsgs) || bmsgs < 1 || bmsgs > 1000000 || !get_prop_int(env, argv[0], "flushMs", DEFAULT_FLUSH_MS, &flush) || flush < 1 ||
      flush > 10000 || !get_prop_int(env, argv[0], "fastParse", 1, &fast)) {
    napi_throw_range_error(env, NULL, "bad receiver options (port, recvBufferBytes, nice, limit, ringSlots, batchBytes, batchMessages, flushMs, fastParse)");
    return NULL;
  }
  napi_value pendingv;
  napi_typedarray_type tat;
  size_t tlen = 0;
  void *tdata = NULL;
  bool is_ta = false;
  if (napi_get_named_property(env, argv[0], "pending", &pendingv) != napi_ok || napi_is_typedarray(env, pendingv, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, pendingv, &tat, &tlen, &tdata, NULL, NULL) != napi_ok || tat != napi_int32_array || tlen < 1 || tdata == NULL) {
    napi_throw_type_error(env, NULL, "pending must be an Int32Array (on a SharedArrayBuffer)");
    return NULL;
  }

  /* pack: { state: Float64Array (2 or more), prefix: Uint8Array, prefixChars, origin: Uint8Array, originChars, take? } (line_pack.h) */
  napi_value packv = NULL, statev = NULL;
  double *pack_state = NULL;
  void *prefix = NULL, *origin = NULL;
  size_t prefix_len = 0, origin_len = 0;
  int64_t prefix_chars = 0, origin_chars = 0;
  bool has_pack = false;
  if (napi_has_named_property(env, argv[0], "pack", &has_pack) == napi_ok && has_pack && napi_get_named_property(env, argv[0], "pack", &packv) == napi_ok) {
    napi_valuetype pt = napi_undefined;
    napi_typeof(env, packv, &pt);
    if (pt != napi_undefined) {
      size_t slen = 0;
      if (pt != napi_object || !typed_prop(env, packv, "state", napi_float64_array, &statev, (void **)&pack_state, &slen) || slen < 2 || !typed_prop(env, packv, "prefix", napi_uint8_array, NULL, &prefix, &prefix_len) ||
          !typed_prop(env, packv, "origin", napi_uint8_array, NULL, &origin, &origin_len) || prefix_len > 4096 || origin_len > 4096 || !get_prop_int(env, packv, "prefixChars", -1, &prefix_chars) || prefix_chars < 0 ||
          prefix_chars > (int64_t)prefix_len || !get_prop_int(env, packv, "originChars", -1, &origin_chars) || origin_chars < 0 || origin_chars > (int64_t)origin_len) {
        napi_throw_type_error(env, NULL, "pack must be { state: Float64Array, prefix: Uint8Array, prefixChars, origin: Uint8Array, originChars }");
        return NULL;
      }
    }
  }

  struct sockaddr_storage ss;
  socklen_t sslen;
  int ipv6 = 0;
  memset(&ss, 0, sizeof ss);
  struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    sslen = sizeof *a4;
  } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    sslen = sizeof *a6;
    ipv6 = 1;
  } else {
    napi_throw_type_error(env, "EINVAL", "host must be an IP address");
    return NULL;
  }

  receiver_t *r = calloc(1, sizeof *r);
  if (!r) return throw_errno(env, "allocating the receiver", ENOMEM);
  r->fd = -1;
  r->wake_fd = -1;
  pthread_mutex_init(&r->lock, NULL);
  pthread_mutex_init(&r->ready_lock, NULL);
  pthread_cond_init(&r->ready_cond, NULL);
  r->ipv6 = ipv6;
  r->nslots = (uint32_t)ring;
  r->batch_bytes = (uint32_t)bbytes;
  r->batch_messages = (uint32_t)bmsgs;
  r->flush_ms = (int)flush;
  r->pending = tdata;
  r->limit = (int32_t)limit;
  r->nice_requested = (int)nice;
  r->nice_got = INT32_MIN;
  r->env = env;
  r->scratch = malloc((size_t)VLEN * SCRATCH_SLOT);
  r->slots = calloc(r->nslots, sizeof(slot_t));
  r->free_stack = calloc(r->nslots, sizeof(uint32_t));
  int ok = r->scratch != NULL && r->slots != NULL && r->free_stack != NULL;
  /* slot 0 on top: taken first */
  for (uint32_t i = 0; ok && i < r->nslots; i++) r->free_stack[i] = r->nslots - 1 - i;
  /* the fast path's results: an offset per record, then at most ~1.5x the datagrams' bytes (more is left to TypeScript) */
  uint64_t pre_cap = fast ? 4ull * r->batch_messages + 2ull * r->batch_bytes : 0;
  if (fast) {
    r->lfp = lfp_new();
    if (!r->lfp) ok = 0;
  }
  if (ok && fast && pack_state) {
    r->pack_prefix = malloc(prefix_len + 1);
    r->pack_origin = malloc(origin_len + 1);
    if (!r->pack_prefix || !r->pack_origin) ok = 0;
    if (ok) {
      memcpy(r->pack_prefix, prefix, prefix_len);
      memcpy(r->pack_origin, origin, origin_len);
      r->pack_texts = (lpk_texts){r->pack_prefix, (uint32_t)prefix_len, (uint32_t)prefix_chars, r->pack_origin, (uint32_t)origin_len, (uint32_t)origin_chars};
      r->pack_state = pack_state;
    }
  }
  for (uint32_t i = 0; ok && i < r->nslots; i++) {
    r->slots[i].data = malloc(r->batch_bytes);
    if (!r->slots[i].data) ok = 0;
    if (ok && fast) {
      r->slots[i].pre = malloc(pre_cap);
      r->slots[i].pre_cap = (uint32_t)pre_cap;
      if (!r->slots[i].pre) ok = 0;
    }
  }
  if (!ok) {
    free_receiver(r);
    return throw_errno(env, "allocating the receive ring", ENOMEM);
  }

  r->fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (r->fd < 0) {
    int e = errno;
    free_receiver(r);
    return throw_errno(env, "socket", e);
  }
  int on = 1;
  if (rcvbuf > 0) {
    int b = (int)rcvbuf;
    /* SO_RCVBUFFORCE (needs CAP_NET_ADMIN) grants the size asked for past net.core.rmem_max, as
       rsyslog's imudp does when it may; otherwise SO_RCVBUF, capped by rmem_max */
    if (setsockopt(r->fd, SOL_SOCKET, SO_RCVBUFFORCE, &b, sizeof b) != 0) setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &b, sizeof b);
  }
  setsockopt(r->fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  setsockopt(r->fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on);
  if (bind(r->fd, (struct sockaddr *)&ss, sslen) != 0) {
    int e = errno;
    free_receiver(r);
    return throw_errno(env, "bind", e);
  }
  struct sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  getsockname(r->fd, (struct sockaddr *)&bound, &blen);
  int bound_port = ntohs(ipv6 ? ((struct sockaddr_in6 *)&bound)->sin6_port : ((struct sockaddr_in *)&bound)->sin_port);
  int granted = 0;
  socklen_t glen = sizeof granted;
  getsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &granted, &glen);
  r->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (r->wake_fd < 0) {
    int e = errno;
    free_receiver(r);
    return throw_errno(env, "eventfd", e);
  }

  napi_value name;
  napi_create_string_utf8(env, "tapline_udp_intake", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[1], NULL, name, 0, 1, r, tsfn_finalize, r, call_js, &r->tsfn) != napi_ok) {
    free_receiver(r);
    napi_throw_error(env, NULL, "could not create the thread-safe function");
    return NULL;
  }
  r->refs = 1;
  napi_create_reference(env, pendingv, 1, &r->pending_ref);
  if (r->pack_state) {
    napi_create_reference(env, statev, 1, &r->pack_ref);
    napi_value takev;
    napi_valuetype tt = napi_undefined;
    if (napi_get_named_property(env, packv, "take", &takev) == napi_ok && napi_typeof(env, takev, &tt) == napi_ok && tt == napi_function) napi_create_reference(env, takev, 1, &r->pack_take);
  }
  /* registered after the thread-safe function, so at teardown it runs first (reverse order) */
  if (napi_add_env_cleanup_hook(env, cleanup_hook, r) == napi_ok) r->cleanup_hook = 1;
  if (pthread_create(&r->thread, NULL, receive_thread, r) != 0) {
    int e = errno;
    r->joined = 1;
    napi_release_threadsafe_function(r->tsfn, napi_tsfn_abort); /* finalizer frees r */
    return throw_errno(env, "pthread_create", e);
  }
  r->thread_started = 1;
  pthread_mutex_lock(&r->ready_lock);
  while (!r->ready) pthread_cond_wait(&r->ready_cond, &r->ready_lock);
  pthread_mutex_unlock(&r->ready_lock);

  napi_value out, handle;
  napi_create_object(env, &out);
  napi_create_external(env, r, handle_finalize, NULL, &handle);
  r->refs++;
  napi_set_named_property(env, out, "handle", handle);
  napi_set_named_property(env, out, "port", num(env, bound_port));
  napi_set_named_property(env, out, "recvBufferBytes", num(env, granted));
  napi_value nicev;
  if (r->nice_got == INT32_MIN) napi_get_null(env, &nicev);
  else nicev = num(env, r->nice_got);
  napi_set_named_property(env, out, "nice", nicev);
  return out;
}

/* The receiver behind a handle argument (argument 0), or NULL with a TypeError thrown naming `usage`. */
static receiver_t *handle_arg(napi_env env, napi_callback_info info, const char *usage) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  receiver_t *r = NULL;
  napi_valuetype t = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &t);
  if (t != napi_external || napi_get_value_external(env, argv[0], (void **)&r) != napi_ok || r == NULL) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  return r;
}

/* close(handle): stops receiving; the callback's end call follows every batch still due. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  receiver_t *r = handle_arg(env, info, "close(handle)");
  if (r == NULL) return NULL;
  if (!r->closing) {
    r->closing = 1;
    /* the thread drains the socket, hands over its last batch, then the end call (which joins it) */
    request_stop(r);
  }
  return NULL;
}

/* stats(handle): { received, kernelDrops } (cumulative; drops since the last batch come with the batches). */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  receiver_t *r = handle_arg(env, info, "stats(handle)");
  if (r == NULL) return NULL;
  napi_value out;
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "received", num(env, (double)__atomic_load_n(&r->received, __ATOMIC_RELAXED)));
  napi_set_named_property(env, out, "kernelDrops", num(env, (double)kernel_drops_now(r)));
  return out;
}

/* The test entry points' first three arguments: a batch (ArrayBuffer), its used bytes and its record count. */
static bool batch_args(napi_env env, napi_value *argv, void **data, uint32_t *used, uint32_t *count) {
  bool is_ab = false;
  size_t len = 0;
  return napi_is_arraybuffer(env, argv[0], &is_ab) == napi_ok && is_ab && napi_get_arraybuffer_info(env, argv[0], data, &len) == napi_ok &&
         napi_get_value_uint32(env, argv[1], used) == napi_ok && napi_get_value_uint32(env, argv[2], count) == napi_ok && *used <= len && *count <= 1000000;
}

/*
 * The fast path's pass over a whole batch into a fresh buffer the caller frees (the test entry
 * points below): NULL with *too_large set when its results could exceed 2 GiB, NULL alone when
 * memory ran out.
 */
static uint8_t *pre_pass(const uint8_t *data, uint32_t used, uint32_t count, uint32_t *len, int *too_large) {
  uint64_t cap = 4ull * count + 2ull * used + 4096;
  *too_large = cap > (1ull << 31);
  if (*too_large) return NULL;
  uint8_t *pre = malloc(cap);
  lfp_ctx *c = lfp_new();
  if (!pre || !c) {
    free(pre);
    lfp_free(c);
    return NULL;
  }
  *len = lfp_batch(c, data, used, count, pre, (uint32_t)cap);
  lfp_free(c);
  return pre;
}

/*
 * fastParseBatch(data: ArrayBuffer, used, count) → ArrayBuffer: the fast path's results for a
 * batch in udp-batch.ts's layout, computed on the calling thread with the same code the receive
 * thread runs (the equivalence tests drive both paths through it).
 */
static napi_value js_fast_parse_batch(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *data = NULL;
  uint32_t used = 0, count = 0;
  if (argc < 3 || !batch_args(env, argv, &data, &used, &count)) {
    napi_throw_type_error(env, NULL, "fastParseBatch(data: ArrayBuffer, used, count)");
    return NULL;
  }
  uint32_t n = 0;
  int too_large = 0;
  uint8_t *pre = pre_pass(data, used, count, &n, &too_large);
  if (too_large) {
    napi_throw_range_error(env, NULL, "fastParseBatch: batch too large");
    return NULL;
  }
  if (!pre) return throw_errno(env, "fastParseBatch", ENOMEM);
  napi_value out;
  void *out_data = NULL;
  if (napi_create_arraybuffer(env, n, &out_data, &out) != napi_ok || (n > 0 && out_data == NULL)) {
    free(pre);
    napi_throw_error(env, NULL, "fastParseBatch: could not allocate the result");
    return NULL;
  }
  if (n > 0) memcpy(out_data, pre, n);
  free(pre);
  return out;
}

/*
 * fastPackBatch(data: ArrayBuffer, used, count, ips: string[], lastId, pack: { prefix, prefixChars,
 * origin, originChars }) → { data: ArrayBuffer, used } | undefined: the whole parsed batch the
 * receiver's call hands over with kind 2 (line_pack.h), ids from lastId + 1, computed on the
 * calling thread with the same code (fast path, then packing); undefined when the batch would
 * take the per-record path (a record not handled, a sender text that would need escaping).
 */
static napi_value js_fast_pack_batch(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *data = NULL;
  bool is_arr = false;
  uint32_t used = 0, count = 0, nips = 0;
  double last = -1;
  void *prefix = NULL, *origin = NULL;
  size_t prefix_len = 0, origin_len = 0;
  int64_t prefix_chars = -1, origin_chars = -1;
  if (argc < 6 || !batch_args(env, argv, &data, &used, &count) || napi_is_array(env, argv[3], &is_arr) != napi_ok || !is_arr || napi_get_array_length(env, argv[3], &nips) != napi_ok ||
      napi_get_value_double(env, argv[4], &last) != napi_ok || !(last >= 0 && last <= 9.0e15) || (double)(int64_t)last != last || !typed_prop(env, argv[5], "prefix", napi_uint8_array, NULL, &prefix, &prefix_len) ||
      !typed_prop(env, argv[5], "origin", napi_uint8_array, NULL, &origin, &origin_len) || !get_prop_int(env, argv[5], "prefixChars", -1, &prefix_chars) || prefix_chars < 0 ||
      !get_prop_int(env, argv[5], "originChars", -1, &origin_chars) || origin_chars < 0) {
    napi_throw_type_error(env, NULL, "fastPackBatch(data: ArrayBuffer, used, count, ips: string[], lastId, pack)");
    return NULL;
  }
  napi_value undef;
  napi_get_undefined(env, &undef);
  if (nips > MAX_IPS) return undef;
  char texts[MAX_IPS][IP_TEXT];
  lpk_ip ips[MAX_IPS];
  for (uint32_t i = 0; i < nips; i++) {
    napi_value v;
    size_t n = 0;
    if (napi_get_element(env, argv[3], i, &v) != napi_ok || napi_get_value_string_latin1(env, v, texts[i], IP_TEXT, &n) != napi_ok || n >= IP_TEXT - 1) return undef;
    for (size_t k = 0; k < n; k++) {
      unsigned char c = (unsigned char)texts[i][k];
      if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') return undef;
    }
    ips[i].text = texts[i];
    ips[i].len = (uint32_t)n;
  }
  uint32_t pre_len = 0;
  int too_large = 0;
  uint8_t *pre = pre_pass(data, used, count, &pre_len, &too_large);
  if (too_large) return undef;
  if (!pre) return throw_errno(env, "fastPackBatch", ENOMEM);
  lpk_texts t = {prefix, (uint32_t)prefix_len, (uint32_t)prefix_chars, origin, (uint32_t)origin_len, (uint32_t)origin_chars};
  uint32_t lines = 0, total = 0;
  if (!lpk_size(data, used, count, pre, pre_len, ips, nips, &t, (uint64_t)last + 1, &lines, &total)) {
    free(pre);
    return undef;
  }
  napi_value ab, out;
  void *d = NULL;
  if (napi_create_arraybuffer(env, total, &d, &ab) != napi_ok || d == NULL) {
    free(pre);
    napi_throw_error(env, NULL, "fastPackBatch: could not allocate the result");
    return NULL;
  }
  lpk_write(data, count, pre, ips, &t, (uint64_t)last + 1, lines, d);
  free(pre);
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "data", ab);
  napi_set_named_property(env, out, "used", num(env, lines));
  return out;
}

NAPI_MODULE_INIT() {
  napi_value f0;
  napi_create_function(env, "fastParseBatch", NAPI_AUTO_LENGTH, js_fast_parse_batch, NULL, &f0);
  napi_set_named_property(env, exports, "fastParseBatch", f0);
  napi_create_function(env, "fastPackBatch", NAPI_AUTO_LENGTH, js_fast_pack_batch, NULL, &f0);
  napi_set_named_property(env, exports, "fastPackBatch", f0);
  napi_value f;
  napi_create_function(env, "open", NAPI_AUTO_LENGTH, js_open, NULL, &f);
  napi_set_named_property(env, exports, "open", f);
  napi_create_function(env, "close", NAPI_AUTO_LENGTH, js_close, NULL, &f);
  napi_set_named_property(env, exports, "close", f);
  napi_create_function(env, "stats", NAPI_AUTO_LENGTH, js_stats, NULL, &f);
  napi_set_named_property(env, exports, "stats", f);
  napi_value v;
  napi_create_uint32(env, 1, &v);
  napi_set_named_property(env, exports, "layoutVersion", v);
  return exports;
}
