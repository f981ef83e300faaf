/*
 * tapline_capture: the libpcap loop in a native thread of its own.
 *
 * Why: through the npm `pcap` binding every packet costs one native -> JS call on the capture
 * worker's event loop (plus a poll wake-up per block). Here a pthread runs pcap_dispatch on a
 * TPACKET_V3 ring (immediate mode off, block timeout), writes every packet straight into a batch
 * buffer in the layout the store writer consumes (node/store/live/packet-batch.ts: runs of
 * u32 linkId, u32 length, then pcap records tsSec, tsNsec, capLen, origLen little-endian + bytes),
 * and hands a batch to JS once it is full or old (napi_threadsafe_function): one call per ~1 MiB.
 *
 * Buffers are ArrayBuffers or Uint8Arrays (shared-memory slots) that JS lends (give): the thread writes only into buffers it holds and
 * never touches one after handing it back, so the batch crosses to the writer thread without a
 * copy. JS must not use a buffer between give() and getting it back in onBatch.
 *
 * When JS has lent no free buffer, the thread waits (the kernel ring keeps filling, and drops
 * there are counted by the kernel: ps_drop). A packet is dropped here only when stopping and no
 * buffer came back within STOP_WAIT_MS, or when the process is going away; counted as ringDrops.
 *
 * Interface (all on the JS thread): version, interfaceVersion, findAllDevs, compileFilter, open, start, give,
 * stats, stop, close. Lifetime: open -> start(onBatch, onEnd) -> stop -> (onEnd) -> close.
 * An environment cleanup hook stops and joins the thread when the process or worker goes away.
 */
#include <node_api.h>
#include <pcap/pcap.h>

#include "segment_io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RUN_HEADER 8
#define REC_HEADER 16
/* Buffers the thread may hold at once (lent by JS and not yet handed back). */
#define MAX_HELD 64
#define MIN_SNAPLEN 64
#define MAX_SNAPLEN 262144
/* Smallest buffer JS may lend: one run header and one full-snaplen record. */
#define MIN_BUFFER(snap) ((size_t)RUN_HEADER + REC_HEADER + (size_t)(snap))
#define MAX_BUFFER ((size_t)64 << 20)
/* A partly filled batch goes to JS once its first packet is this old. */
#define FLUSH_NS (20ull * 1000 * 1000)
#define STATS_NS (200ull * 1000 * 1000)
#define STOP_WAIT_MS 5000
#define DRAIN_NS (1000ull * 1000 * 1000)
#define MAX_FILTER (64 * 1024)
/* Stop: drain at most this many non-blocking dispatches (a flood must not keep us forever). */
#define DRAIN_MAX 4096

#define CHECK(env, call)                                    \
  do {                                                      \
    if ((call) != napi_ok) return throw_last(env, #call);   \
  } while (0)

typedef struct {
  uint8_t *data;
  size_t cap;
  napi_ref ref;
} lent_buf;

enum item_kind { ITEM_BATCH = 1, ITEM_END = 2 };

typedef struct {
  enum item_kind kind;
  lent_buf buf;
  size_t len;
  uint32_t packets;
  double bytes;
  char error[PCAP_ERRBUF_SIZE + 64];
} item;

typedef struct {
  pcap_t *p;
  int snaplen;
  int timeout_ms;
  int nano;
  uint32_t link_id;
  napi_env env;
  int cleanup_hooked;

  /* wakes the thread's poll on stop (the ring's fd is polled here, libpcap runs non-blocking) */
  int wake_fd;
  pthread_t thread;
  int thread_started;
  int thread_joined;
  napi_threadsafe_function tsfn;
  napi_ref on_batch;
  napi_ref on_end;

  pthread_mutex_t mu;
  pthread_cond_t cv;
  lent_buf held[MAX_HELD]; /* free buffers lent by JS (under mu) */
  int nheld;
  /* published counters (under mu) */
  double ps_recv, ps_drop, ps_ifdrop;
  int stats_ok;
  double ring_drops;
  double packets, bytes;

  atomic_int stopping;
  atomic_int abandon; /* the environment is going away: never wait for JS */

  /* the batch being filled (capture thread only) */
  lent_buf cur;
  int has_cur;
  size_t len;
  uint32_t batch_packets;
  double batch_bytes;
  uint64_t first_ns;
  double t_packets, t_bytes, t_ring_drops;
  uint64_t stop_deadline;
  int fatal;
  char error[PCAP_ERRBUF_SIZE + 64];
  /* freed when both the JS handle and the threadsafe function are gone (either may go first) */
  int refs;
} cap;

static napi_value throw_last(napi_env env, const char *what) {
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) {
    char msg[256];
    snprintf(msg, sizeof msg, "tapline_capture: %s failed: %s", what, info && info->error_message ? info->error_message : "unknown");
    napi_throw_error(env, NULL, msg);
  }
  return NULL;
}

static napi_value throw_msg(napi_env env, const char *code, const char *msg) {
  napi_throw_error(env, code, msg);
  return NULL;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void put_le32(uint8_t *d, uint32_t v) {
  d[0] = (uint8_t)v;
  d[1] = (uint8_t)(v >> 8);
  d[2] = (uint8_t)(v >> 16);
  d[3] = (uint8_t)(v >> 24);
}

/* ---------- capture thread ---------- */

static void publish_stats(cap *c) {
  struct pcap_stat st;
  int ok = pcap_stats(c->p, &st) == 0;
  pthread_mutex_lock(&c->mu);
  if (ok) {
    c->ps_recv = st.ps_recv;
    c->ps_drop = st.ps_drop;
    c->ps_ifdrop = st.ps_ifdrop;
    c->stats_ok = 1;
  }
  c->packets = c->t_packets;
  c->bytes = c->t_bytes;
  c->ring_drops = c->t_ring_drops;
  pthread_mutex_unlock(&c->mu);
}

/* Takes a lent buffer as the current batch; waits for JS to lend one (bounded when stopping). */
static int take_buffer(cap *c) {
  int ok = 0;
  pthread_mutex_lock(&c->mu);
  for (;;) {
    if (c->nheld > 0) {
      c->cur = c->held[--c->nheld];
      ok = 1;
      break;
    }
    if (atomic_load(&c->abandon)) break;
    if (atomic_load(&c->stopping)) {
      /* one deadline for the whole stop, not per packet */
      uint64_t t = now_ns();
      if (c->stop_deadline == 0) c->stop_deadline = t + (uint64_t)STOP_WAIT_MS * 1000000ull;
      else if (t >= c->stop_deadline) break;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 20 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&c->cv, &c->mu, &ts);
  }
  pthread_mutex_unlock(&c->mu);
  if (ok) {
    c->has_cur = 1;
    c->len = 0;
    c->batch_packets = 0;
    c->batch_bytes = 0;
  }
  return ok;
}

/* Hands the current batch to JS (a batch without packets stays: nothing to say). */
static void deliver(cap *c) {
  if (!c->has_cur || c->batch_packets == 0) return;
  item *it = calloc(1, sizeof *it);
  if (it == NULL) {
    /* cannot tell JS: the packets are lost, counted; the buffer is reused */
    c->t_ring_drops += c->batch_packets;
    c->len = 0;
    c->batch_packets = 0;
    c->batch_bytes = 0;
    return;
  }
  it->kind = ITEM_BATCH;
  it->buf = c->cur;
  it->len = c->len;
  it->packets = c->batch_packets;
  it->bytes = c->batch_bytes;
  c->has_cur = 0;
  if (atomic_load(&c->abandon) || napi_call_threadsafe_function(c->tsfn, it, napi_tsfn_nonblocking) != napi_ok) {
    /* the environment is going away: the ArrayBuffer goes with it, the packets are counted lost */
    c->t_ring_drops += it->packets;
    free(it);
    return;
  }
  c->t_packets += it->packets;
  c->t_bytes += it->bytes;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
  cap *c = (cap *)user;
  uint32_t caplen = h->caplen;
  if (caplen > (uint32_t)c->snaplen) caplen = (uint32_t)c->snaplen;
  size_t need = REC_HEADER + (size_t)caplen;
  if (c->has_cur && c->len + need > c->cur.cap) deliver(c);
  if (!c->has_cur && !take_buffer(c)) {
    c->t_ring_drops += 1;
    return;
  }
  uint8_t *d = c->cur.data;
  if (c->len == 0) {
    /* buffers are at least MIN_BUFFER(snaplen): a run header and one record always fit */
    put_le32(d, c->link_id);
    put_le32(d + 4, 0);
    c->len = RUN_HEADER;
    c->first_ns = now_ns();
  }
  uint8_t *r = d + c->len;
  uint32_t sub = (uint32_t)h->ts.tv_usec;
  put_le32(r, (uint32_t)h->ts.tv_sec);
  put_le32(r + 4, c->nano ? sub : sub * 1000u);
  put_le32(r + 8, caplen);
  put_le32(r + 12, h->len);
  memcpy(r + REC_HEADER, bytes, caplen);
  c->len += need;
  put_le32(d + 4, (uint32_t)(c->len - RUN_HEADER));
  c->batch_packets++;
  c->batch_bytes += h->len;
}

/*
 * The loop: libpcap is non-blocking and the thread polls the ring's fd itself, so that a partly
 * filled batch goes to JS within FLUSH_NS even when no further block arrives (a blocking
 * pcap_dispatch on TPACKET_V3 polls without a timeout until the next block is retired).
 */
static void *capture_main(void *arg) {
  cap *c = (cap *)arg;
  // a name of its own (otherwise "node", like every thread of the process), so that per-thread
  // CPU (/proc/PID/task/TID/comm, top -H) tells the copy out of the ring from the JS threads
  pthread_setname_np(pthread_self(), "tl-capture");
  uint64_t last_stats = now_ns();
  int fd = pcap_get_selectable_fd(c->p);
  while (!atomic_load(&c->stopping)) {
    int n = pcap_dispatch(c->p, -1, on_packet, (u_char *)c);
    if (n == PCAP_ERROR_BREAK) break;
    if (n == PCAP_ERROR) {
      snprintf(c->error, sizeof c->error, "libpcap read error: %s", pcap_geterr(c->p));
      c->fatal = 1;
      break;
    }
    uint64_t t = now_ns();
    int pending = c->has_cur && c->batch_packets > 0;
    if (pending && t - c->first_ns >= FLUSH_NS) {
      deliver(c);
      pending = 0;
    }
    if (t - last_stats >= STATS_NS) {
      publish_stats(c);
      last_stats = t;
    }
    if (n > 0) continue;
    /* nothing ready: sleep until a block is retired, the batch is due, or stop */
    int wait_ms = 100;
    if (pending) {
      uint64_t due = c->first_ns + FLUSH_NS;
      wait_ms = due > t ? (int)((due - t) / 1000000ull) + 1 : 0;
    }
    struct pollfd pf[2] = {{.fd = fd, .events = POLLIN}, {.fd = c->wake_fd, .events = POLLIN}};
    if (poll(pf, 2, wait_ms) < 0 && errno != EINTR) {
      snprintf(c->error, sizeof c->error, "poll on the capture ring failed: %s", strerror(errno));
      c->fatal = 1;
      break;
    }
  }
  if (!c->fatal && !atomic_load(&c->abandon)) {
    /* what the ring holds now goes to the store too */
    /* a block the kernel has not retired yet is invisible: wait one block timeout for it */
    uint64_t until = now_ns() + DRAIN_NS;
    int breaks = 0;
    for (int i = 0; i < DRAIN_MAX && !atomic_load(&c->abandon) && now_ns() < until; i++) {
      int n = pcap_dispatch(c->p, -1, on_packet, (u_char *)c);
      /* a pending breakloop is consumed by one dispatch, then the drain goes on */
      if (n == PCAP_ERROR_BREAK && ++breaks <= 2) continue;
      if (n < 0) break;
      if (n > 0) continue;
      struct pollfd pf = {.fd = fd, .events = POLLIN};
      if (poll(&pf, 1, c->timeout_ms + 20) <= 0) break;
    }
  }
  deliver(c);
  publish_stats(c);
  if (c->has_cur) {
    /* an unused buffer goes back to the free list, released at close */
    pthread_mutex_lock(&c->mu);
    if (c->nheld < MAX_HELD) c->held[c->nheld++] = c->cur;
    pthread_mutex_unlock(&c->mu);
    c->has_cur = 0;
  }
  item *end = calloc(1, sizeof *end);
  if (end != NULL) {
    end->kind = ITEM_END;
    if (c->fatal) snprintf(end->error, sizeof end->error, "%s", c->error);
    if (atomic_load(&c->abandon) || napi_call_threadsafe_function(c->tsfn, end, napi_tsfn_nonblocking) != napi_ok) free(end);
  }
  napi_release_threadsafe_function(c->tsfn, napi_tsfn_release);
  return NULL;
}

/* ---------- JS thread ---------- */

static void call_js(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)js_cb;
  cap *c = (cap *)context;
  item *it = (item *)data;
  if (env == NULL || it == NULL) {
    free(it);
    return;
  }
  napi_value undefined, fn, ret;
  napi_get_undefined(env, &undefined);
  if (it->kind == ITEM_BATCH) {
    napi_value ab = NULL;
    napi_get_reference_value(env, it->buf.ref, &ab);
    napi_delete_reference(env, it->buf.ref);
    napi_value argv[4];
    argv[0] = ab;
    napi_create_double(env, (double)it->len, &argv[1]);
    napi_create_double(env, (double)it->packets, &argv[2]);
    napi_create_double(env, it->bytes, &argv[3]);
    if (ab != NULL && napi_get_reference_value(env, c->on_batch, &fn) == napi_ok) napi_call_function(env, undefined, fn, 4, argv, &ret);
  } else {
    napi_value argv[1];
    if (it->error[0]) napi_create_string_utf8(env, it->error, NAPI_AUTO_LENGTH, &argv[0]);
    else napi_get_null(env, &argv[0]);
    if (napi_get_reference_value(env, c->on_end, &fn) == napi_ok) napi_call_function(env, undefined, fn, 1, argv, &ret);
  }
  free(it);
}

/* Wakes the thread wherever it waits: its poll (eventfd), libpcap, a wait for a buffer. */
static void wake(cap *c) {
  uint64_t one = 1;
  if (c->wake_fd >= 0) {
    ssize_t w = write(c->wake_fd, &one, sizeof one);
    (void)w; /* a full eventfd counter is awake already */
  }
  if (c->p != NULL) pcap_breakloop(c->p);
  pthread_mutex_lock(&c->mu);
  pthread_cond_broadcast(&c->cv);
  pthread_mutex_unlock(&c->mu);
}

/* Stops and joins the thread; never waits for JS (used by close and by teardown). */
static void halt_thread(cap *c, int abandon) {
  if (!c->thread_started || c->thread_joined) return;
  if (abandon) atomic_store(&c->abandon, 1);
  atomic_store(&c->stopping, 1);
  wake(c);
  pthread_join(c->thread, NULL);
  c->thread_joined = 1;
}

static void release_all(napi_env env, cap *c) {
  if (c->p != NULL) {
    pcap_close(c->p);
    c->p = NULL;
  }
  if (env != NULL) {
    pthread_mutex_lock(&c->mu);
    for (int i = 0; i < c->nheld; i++) napi_delete_reference(env, c->held[i].ref);
    c->nheld = 0;
    pthread_mutex_unlock(&c->mu);
    if (c->on_batch) napi_delete_reference(env, c->on_batch);
    if (c->on_end) napi_delete_reference(env, c->on_end);
  }
  c->on_batch = c->on_end = NULL;
}

static void cap_unref(cap *c) {
  if (--c->refs > 0) return;
  if (c->wake_fd >= 0) close(c->wake_fd);
  pthread_mutex_destroy(&c->mu);
  pthread_cond_destroy(&c->cv);
  free(c);
}

static void tsfn_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  cap_unref((cap *)data);
}

static void env_cleanup(void *arg) {
  cap *c = (cap *)arg;
  c->cleanup_hooked = 0;
  halt_thread(c, 1);
  /* the environment frees its references itself */
  if (c->p != NULL) {
    pcap_close(c->p);
    c->p = NULL;
  }
}

static void cap_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  cap *c = (cap *)data;
  halt_thread(c, 1);
  if (c->cleanup_hooked) napi_remove_env_cleanup_hook(env, env_cleanup, c);
  release_all(env, c);
  cap_unref(c);
}

static cap *get_cap(napi_env env, napi_value v) {
  void *p = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external || napi_get_value_external(env, v, &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, NULL, "tapline_capture: expected a capture handle");
    return NULL;
  }
  return (cap *)p;
}

static int get_string(napi_env env, napi_value v, char *out, size_t outlen, const char *what) {
  size_t n = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &n) != napi_ok) {
    char m[128];
    snprintf(m, sizeof m, "tapline_capture: %s must be a string", what);
    napi_throw_type_error(env, NULL, m);
    return 0;
  }
  if (n + 1 > outlen) {
    char m[128];
    snprintf(m, sizeof m, "tapline_capture: %s is too long", what);
    napi_throw_range_error(env, NULL, m);
    return 0;
  }
  napi_get_value_string_utf8(env, v, out, outlen, &n);
  if (strlen(out) != n) {
    char m[128];
    snprintf(m, sizeof m, "tapline_capture: %s contains a NUL character", what);
    napi_throw_type_error(env, NULL, m);
    return 0;
  }
  return 1;
}

static int get_prop_int(napi_env env, napi_value obj, const char *name, int64_t lo, int64_t hi, int64_t *out) {
  napi_value v;
  napi_valuetype t;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || napi_typeof(env, v, &t) != napi_ok || t != napi_number) {
    char m[128];
    snprintf(m, sizeof m, "tapline_capture: option %s must be a number", name);
    napi_throw_type_error(env, NULL, m);
    return 0;
  }
  int64_t x = 0;
  napi_get_value_int64(env, v, &x);
  if (x < lo || x > hi) {
    char m[160];
    snprintf(m, sizeof m, "tapline_capture: option %s must be from %lld to %lld", name, (long long)lo, (long long)hi);
    napi_throw_range_error(env, NULL, m);
    return 0;
  }
  *out = x;
  return 1;
}

static int get_prop_bool(napi_env env, napi_value obj, const char *name, bool *out) {
  napi_value v;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || napi_get_value_bool(env, v, out) != napi_ok) {
    char m[128];
    snprintf(m, sizeof m, "tapline_capture: option %s must be a boolean", name);
    napi_throw_type_error(env, NULL, m);
    return 0;
  }
  return 1;
}

/* interfaceVersion(): 2 since give takes Uint8Array views (1: ArrayBuffers only); JS refuses older builds. */
static napi_value js_interface_version(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  CHECK(env, napi_create_uint32(env, 2, &v));
  return v;
}

static napi_value js_version(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value s;
  CHECK(env, napi_create_string_utf8(env, pcap_lib_version(), NAPI_AUTO_LENGTH, &s));
  return s;
}

static void set_addr(napi_env env, napi_value obj, const char *key, const struct sockaddr *sa) {
  if (sa == NULL) return;
  char txt[INET6_ADDRSTRLEN] = {0};
  const char *ok = NULL;
  if (sa->sa_family == AF_INET) ok = inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, txt, sizeof txt);
  else if (sa->sa_family == AF_INET6) ok = inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, txt, sizeof txt);
  if (ok == NULL) return;
  napi_value s;
  if (napi_create_string_utf8(env, txt, NAPI_AUTO_LENGTH, &s) == napi_ok) napi_set_named_property(env, obj, key, s);
}

/* findAllDevs(): [{ name, description?, flags, addresses: [{ addr, netmask?, broadaddr?, dstaddr? }] }] */
static napi_value js_find_all_devs(napi_env env, napi_callback_info info) {
  (void)info;
  char eb[PCAP_ERRBUF_SIZE] = {0};
  pcap_if_t *all = NULL;
  if (pcap_findalldevs(&all, eb) != 0) return throw_msg(env, "ERR_PCAP_FINDALLDEVS", eb[0] ? eb : "pcap_findalldevs failed");
  napi_value arr;
  if (napi_create_array(env, &arr) != napi_ok) {
    pcap_freealldevs(all);
    return throw_last(env, "napi_create_array");
  }
  uint32_t i = 0;
  for (pcap_if_t *d = all; d != NULL; d = d->next) {
    napi_value o, s, addrs, f;
    napi_create_object(env, &o);
    napi_create_string_utf8(env, d->name, NAPI_AUTO_LENGTH, &s);
    napi_set_named_property(env, o, "name", s);
    if (d->description) {
      napi_create_string_utf8(env, d->description, NAPI_AUTO_LENGTH, &s);
      napi_set_named_property(env, o, "description", s);
    }
    napi_create_uint32(env, d->flags, &f);
    napi_set_named_property(env, o, "flags", f);
    napi_create_array(env, &addrs);
    uint32_t j = 0;
    for (pcap_addr_t *a = d->addresses; a != NULL; a = a->next) {
      if (a->addr == NULL || (a->addr->sa_family != AF_INET && a->addr->sa_family != AF_INET6)) continue;
      napi_value ao;
      napi_create_object(env, &ao);
      set_addr(env, ao, "addr", a->addr);
      set_addr(env, ao, "netmask", a->netmask);
      set_addr(env, ao, "broadaddr", a->broadaddr);
      set_addr(env, ao, "dstaddr", a->dstaddr);
      napi_set_element(env, addrs, j++, ao);
    }
    napi_set_named_property(env, o, "addresses", addrs);
    napi_set_element(env, arr, i++, o);
  }
  pcap_freealldevs(all);
  return arr;
}

/* compileFilter(filter, dlt, snapLen): throws libpcap's message when the filter does not compile. */
static napi_value js_compile_filter(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) return throw_msg(env, NULL, "tapline_capture: compileFilter(filter, dlt, snapLen)");
  int32_t dlt = 0, snap = 0;
  if (napi_get_value_int32(env, argv[1], &dlt) != napi_ok || napi_get_value_int32(env, argv[2], &snap) != napi_ok || snap < MIN_SNAPLEN || snap > MAX_SNAPLEN || dlt < 0) {
    return throw_msg(env, NULL, "tapline_capture: compileFilter needs a link type and a snap length from 64 to 262144");
  }
  char *filter = malloc(MAX_FILTER + 1);
  if (filter == NULL) return throw_msg(env, NULL, "tapline_capture: out of memory");
  if (!get_string(env, argv[0], filter, MAX_FILTER + 1, "filter")) {
    free(filter);
    return NULL;
  }
  pcap_t *p = pcap_open_dead(dlt, snap);
  if (p == NULL) {
    free(filter);
    return throw_msg(env, NULL, "tapline_capture: pcap_open_dead failed");
  }
  struct bpf_program prog;
  int rc = pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN);
  free(filter);
  if (rc != 0) {
    char msg[PCAP_ERRBUF_SIZE + 32];
    snprintf(msg, sizeof msg, "%s", pcap_geterr(p));
    pcap_close(p);
    return throw_msg(env, "ERR_BAD_FILTER", msg);
  }
  pcap_freecode(&prog);
  pcap_close(p);
  return NULL;
}

/*
 * open({ iface, filter, snapLen, promiscuous, bufferSize, timeoutMs, linkId }) ->
 * { handle, dlt, nano, warning }. Activates the TPACKET ring; throws libpcap's message (err.code
 * ERR_PCAP_PERM, ERR_PCAP_NO_DEVICE, ERR_BAD_FILTER or ERR_PCAP_OPEN).
 */
static napi_value open_capture(napi_env env, const char *iface, const char *filter, int snap, int buffer, int timeout, uint32_t link_id, bool promisc);

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value o;
  CHECK(env, napi_get_cb_info(env, info, &argc, &o, NULL, NULL));
  if (argc < 1) return throw_msg(env, NULL, "tapline_capture: open(options)");
  char iface[256];
  napi_value v;
  if (napi_get_named_property(env, o, "iface", &v) != napi_ok || !get_string(env, v, iface, sizeof iface, "iface")) return NULL;
  int64_t snap, buffer, timeout, link_id;
  bool promisc;
  if (!get_prop_int(env, o, "snapLen", MIN_SNAPLEN, MAX_SNAPLEN, &snap)) return NULL;
  if (!get_prop_int(env, o, "bufferSize", 65536, 0x7fffffff, &buffer)) return NULL;
  if (!get_prop_int(env, o, "timeoutMs", 1, 10000, &timeout)) return NULL;
  if (!get_prop_int(env, o, "linkId", 0, 0xffffffffll, &link_id)) return NULL;
  if (!get_prop_bool(env, o, "promiscuous", &promisc)) return NULL;
  char *filter = malloc(MAX_FILTER + 1);
  if (filter == NULL) return throw_msg(env, NULL, "tapline_capture: out of memory");
  if (napi_get_named_property(env, o, "filter", &v) != napi_ok || !get_string(env, v, filter, MAX_FILTER + 1, "filter")) {
    free(filter);
    return NULL;
  }
  napi_value res = open_capture(env, iface, filter, (int)snap, (int)buffer, (int)timeout, (uint32_t)link_id, promisc);
  free(filter);
  return res;
}

static napi_value open_capture(napi_env env, const char *iface, const char *filter, int snap, int buffer, int timeout, uint32_t link_id, bool promisc) {

  char eb[PCAP_ERRBUF_SIZE] = {0};
  pcap_t *p = pcap_create(iface, eb);
  if (p == NULL) return throw_msg(env, "ERR_PCAP_OPEN", eb[0] ? eb : "pcap_create failed");
  pcap_set_snaplen(p, snap);
  pcap_set_promisc(p, promisc ? 1 : 0);
  pcap_set_timeout(p, timeout);
  pcap_set_buffer_size(p, buffer);
  pcap_set_immediate_mode(p, 0);
  int nano = pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO) == 0;
  int rc = pcap_activate(p);
  char warning[PCAP_ERRBUF_SIZE + 64] = {0};
  if (rc < 0) {
    char msg[PCAP_ERRBUF_SIZE + 128];
    const char *code = "ERR_PCAP_OPEN";
    if (rc == PCAP_ERROR_PERM_DENIED || rc == PCAP_ERROR_PROMISC_PERM_DENIED) code = "ERR_PCAP_PERM";
    else if (rc == PCAP_ERROR_NO_SUCH_DEVICE) code = "ERR_PCAP_NO_DEVICE";
    const char *detail = pcap_geterr(p);
    if (detail && detail[0]) snprintf(msg, sizeof msg, "%s (%s)", pcap_statustostr(rc), detail);
    else snprintf(msg, sizeof msg, "%s", pcap_statustostr(rc));
    pcap_close(p);
    return throw_msg(env, code, msg);
  }
  if (rc > 0) snprintf(warning, sizeof warning, "%s: %s", pcap_statustostr(rc), pcap_geterr(p));
  if (nano && pcap_get_tstamp_precision(p) != PCAP_TSTAMP_PRECISION_NANO) nano = 0;
  if (filter[0]) {
    struct bpf_program prog;
    if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
      char msg[PCAP_ERRBUF_SIZE + 32];
      snprintf(msg, sizeof msg, "%s", pcap_geterr(p));
      pcap_close(p);
      return throw_msg(env, "ERR_BAD_FILTER", msg);
    }
    int set = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (set != 0) {
      char msg[PCAP_ERRBUF_SIZE + 32];
      snprintf(msg, sizeof msg, "cannot set the filter: %s", pcap_geterr(p));
      pcap_close(p);
      return throw_msg(env, "ERR_BAD_FILTER", msg);
    }
  }

  if (pcap_setnonblock(p, 1, eb) != 0 || pcap_get_selectable_fd(p) < 0) {
    char msg[PCAP_ERRBUF_SIZE + 64];
    snprintf(msg, sizeof msg, "cannot poll the capture handle: %s", eb);
    pcap_close(p);
    return throw_msg(env, "ERR_PCAP_OPEN", msg);
  }
  int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) {
    pcap_close(p);
    return throw_msg(env, "ERR_PCAP_OPEN", "eventfd failed");
  }
  cap *c = calloc(1, sizeof *c);
  if (c == NULL) {
    close(wake_fd);
    pcap_close(p);
    return throw_msg(env, NULL, "tapline_capture: out of memory");
  }
  c->wake_fd = wake_fd;
  c->timeout_ms = timeout;
  c->p = p;
  c->snaplen = pcap_snapshot(p) > 0 && pcap_snapshot(p) < snap ? pcap_snapshot(p) : snap;
  c->nano = nano;
  c->link_id = link_id;
  c->env = env;
  pthread_mutex_init(&c->mu, NULL);
  pthread_cond_init(&c->cv, NULL);
  atomic_init(&c->stopping, 0);
  atomic_init(&c->abandon, 0);
  c->refs = 1;

  napi_value handle, res, x;
  if (napi_create_external(env, c, cap_finalize, NULL, &handle) != napi_ok) {
    close(wake_fd);
    pcap_close(p);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c);
    return throw_last(env, "napi_create_external");
  }
  if (napi_add_env_cleanup_hook(env, env_cleanup, c) == napi_ok) c->cleanup_hooked = 1;
  CHECK(env, napi_create_object(env, &res));
  napi_set_named_property(env, res, "handle", handle);
  napi_create_int32(env, pcap_datalink(p), &x);
  napi_set_named_property(env, res, "dlt", x);
  napi_get_boolean(env, nano != 0, &x);
  napi_set_named_property(env, res, "nano", x);
  if (warning[0]) napi_create_string_utf8(env, warning, NAPI_AUTO_LENGTH, &x);
  else napi_get_null(env, &x);
  napi_set_named_property(env, res, "warning", x);
  return res;
}

/*
 * give(handle, buffer): lends an empty buffer to the capture thread: an ArrayBuffer, or a
 * Uint8Array (e.g. a view of a SharedArrayBuffer slot: the store writer's batches are shared
 * memory, so that no ArrayBuffer is ever detached by a transfer, which makes V8 drop its
 * optimized code of every typed-array access in the isolate). onBatch hands back the same object.
 */
static napi_value js_give(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return throw_msg(env, NULL, "tapline_capture: give(handle, buffer)");
  cap *c = get_cap(env, argv[0]);
  if (c == NULL) return NULL;
  bool isab = false, isview = false, detached = false;
  void *data = NULL;
  size_t len = 0;
  napi_is_arraybuffer(env, argv[1], &isab);
  if (isab) {
    napi_is_detached_arraybuffer(env, argv[1], &detached);
    CHECK(env, napi_get_arraybuffer_info(env, argv[1], &data, &len));
  } else {
    napi_is_typedarray(env, argv[1], &isview);
    if (!isview) return throw_msg(env, NULL, "tapline_capture: give needs an ArrayBuffer or a Uint8Array");
    napi_typedarray_type type;
    size_t offset = 0;
    CHECK(env, napi_get_typedarray_info(env, argv[1], &type, &len, &data, NULL, &offset));
    if (type != napi_uint8_array) return throw_msg(env, NULL, "tapline_capture: give needs an ArrayBuffer or a Uint8Array");
  }
  if (detached || data == NULL || len < MIN_BUFFER(c->snaplen) || len > MAX_BUFFER) {
    return throw_msg(env, NULL, "tapline_capture: a lent buffer must be an attached ArrayBuffer or Uint8Array from one run header and one full-snaplen record to 64 MiB");
  }
  if (c->p == NULL || c->thread_joined) return throw_msg(env, NULL, "tapline_capture: the capture is closed");
  napi_ref ref;
  CHECK(env, napi_create_reference(env, argv[1], 1, &ref));
  pthread_mutex_lock(&c->mu);
  int ok = c->nheld < MAX_HELD;
  if (ok) {
    c->held[c->nheld].data = (uint8_t *)data;
    c->held[c->nheld].cap = len;
    c->held[c->nheld].ref = ref;
    c->nheld++;
    pthread_cond_signal(&c->cv);
  }
  pthread_mutex_unlock(&c->mu);
  if (!ok) {
    napi_delete_reference(env, ref);
    return throw_msg(env, NULL, "tapline_capture: the capture thread already holds 64 buffers");
  }
  return NULL;
}

/* start(handle, onBatch(buf, len, packets, bytes), onEnd(errorOrNull)): starts the thread. */
static napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) return throw_msg(env, NULL, "tapline_capture: start(handle, onBatch, onEnd)");
  cap *c = get_cap(env, argv[0]);
  if (c == NULL) return NULL;
  if (c->thread_started || c->p == NULL) return throw_msg(env, NULL, "tapline_capture: already started or closed");
  napi_valuetype t1, t2;
  napi_typeof(env, argv[1], &t1);
  napi_typeof(env, argv[2], &t2);
  if (t1 != napi_function || t2 != napi_function) return throw_msg(env, NULL, "tapline_capture: onBatch and onEnd must be functions");
  CHECK(env, napi_create_reference(env, argv[1], 1, &c->on_batch));
  CHECK(env, napi_create_reference(env, argv[2], 1, &c->on_end));
  napi_value name;
  napi_create_string_utf8(env, "tapline_capture", NAPI_AUTO_LENGTH, &name);
  CHECK(env, napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, c, tsfn_finalize, c, call_js, &c->tsfn));
  c->refs++;
  if (pthread_create(&c->thread, NULL, capture_main, c) != 0) {
    napi_release_threadsafe_function(c->tsfn, napi_tsfn_abort);
    return throw_msg(env, NULL, "tapline_capture: cannot start the capture thread");
  }
  c->thread_started = 1;
  return NULL;
}

/* stats(handle) -> { psRecv, psDrop, psIfdrop, statsOk, ringDrops, packets, bytes, held } */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value h;
  CHECK(env, napi_get_cb_info(env, info, &argc, &h, NULL, NULL));
  cap *c = get_cap(env, h);
  if (c == NULL) return NULL;
  double recv, drop, ifdrop, ring, packets, bytes;
  int ok, held;
  pthread_mutex_lock(&c->mu);
  recv = c->ps_recv;
  drop = c->ps_drop;
  ifdrop = c->ps_ifdrop;
  ok = c->stats_ok;
  ring = c->ring_drops;
  packets = c->packets;
  bytes = c->bytes;
  held = c->nheld;
  pthread_mutex_unlock(&c->mu);
  napi_value o, x;
  CHECK(env, napi_create_object(env, &o));
  napi_create_double(env, recv, &x);
  napi_set_named_property(env, o, "psRecv", x);
  napi_create_double(env, drop, &x);
  napi_set_named_property(env, o, "psDrop", x);
  napi_create_double(env, ifdrop, &x);
  napi_set_named_property(env, o, "psIfdrop", x);
  napi_get_boolean(env, ok != 0, &x);
  napi_set_named_property(env, o, "statsOk", x);
  napi_create_double(env, ring, &x);
  napi_set_named_property(env, o, "ringDrops", x);
  napi_create_double(env, packets, &x);
  napi_set_named_property(env, o, "packets", x);
  napi_create_double(env, bytes, &x);
  napi_set_named_property(env, o, "bytes", x);
  napi_create_int32(env, held, &x);
  napi_set_named_property(env, o, "held", x);
  return o;
}

/* stop(handle): asks the thread to drain the ring, hand over the last batch and end (onEnd). */
static napi_value js_stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value h;
  CHECK(env, napi_get_cb_info(env, info, &argc, &h, NULL, NULL));
  cap *c = get_cap(env, h);
  if (c == NULL) return NULL;
  if (c->p == NULL) return NULL;
  atomic_store(&c->stopping, 1);
  wake(c);
  return NULL;
}

/* close(handle): joins the thread (stopping it without waiting for JS) and closes the handle. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value h;
  CHECK(env, napi_get_cb_info(env, info, &argc, &h, NULL, NULL));
  cap *c = get_cap(env, h);
  if (c == NULL) return NULL;
  halt_thread(c, 1);
  if (c->cleanup_hooked) {
    napi_remove_env_cleanup_hook(env, env_cleanup, c);
    c->cleanup_hooked = 0;
  }
  release_all(env, c);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"version", NULL, js_version, NULL, NULL, NULL, napi_enumerable, NULL},
      {"interfaceVersion", NULL, js_interface_version, NULL, NULL, NULL, napi_enumerable, NULL},
      {"findAllDevs", NULL, js_find_all_devs, NULL, NULL, NULL, napi_enumerable, NULL},
      {"compileFilter", NULL, js_compile_filter, NULL, NULL, NULL, napi_enumerable, NULL},
      {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"give", NULL, js_give, NULL, NULL, NULL, napi_enumerable, NULL},
      {"start", NULL, js_start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stop", NULL, js_stop, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  if (segment_io_define(env, exports) != 0) return NULL;
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
