/*
 * Benchmark packet sender for the capture suite (tests/bench/suites/capture.ts,
 * BENCH_CAPTURE_SENDER=afpacket): replays the packets of a pcap file onto a network interface
 * through an AF_PACKET socket, fast enough to outrun the captures under test, which tcpreplay on
 * this machine cannot (it tops out near the captures' own rates, so the ladder found the rig's
 * limit, not the tools').
 *
 * The packets are read into memory first (at most COUNT of them and at most 1 GiB; a COUNT
 * larger than that replays them again from the first), so the timed loop touches no file. They go
 * out in sendmmsg batches on a socket bound to IFACE with protocol 0 (it never receives) and
 * PACKET_QDISC_BYPASS (no queueing discipline: the sender's own cost per packet is the copy into a
 * socket buffer and the veth's hand-off). RATE 0 sends as fast as it can; otherwise the loop is
 * paced in 1 ms ticks and sleeps between them. The loop stops after COUNT packets or SECONDS,
 * whichever comes first. Prints one JSON line:
 *   {"sent":N,"bytes":B,"seconds":S,"errors":E,"loaded":L}
 * where sent/bytes count the packets the kernel accepted and errors those it refused (ENOBUFS
 * and the like, retried never: a refused packet is not counted as sent).
 *
 * (A PACKET_TX_RING version was tried: 0.84-0.93 M pps against sendmmsg's 1.14-1.27 M with
 * nobody listening, so it went; docs/CAPTURE.md "Session 8 (capten)".)
 *
 * usage: pcap-sender IFACE RATE COUNT SECONDS FILE
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define BATCH 256
#define MAX_BYTES (1024L * 1024L * 1024L)
#define MAX_PACKET 65535u
#define TICK_NS 1000000L

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint32_t rd32(const unsigned char *p, int swap) {
  uint32_t v;
  memcpy(&v, p, 4);
  return swap ? __builtin_bswap32(v) : v;
}

/* Loaded packets: one buffer, offsets and lengths. */
struct packets {
  unsigned char *data;
  size_t *off;
  uint32_t *len;
  long n;
};

/* Reads up to `want` packets (at most MAX_BYTES of them) of an Ethernet pcap file. */
static int load(const char *path, long want, struct packets *out) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror("pcap-sender: capture file");
    return -1;
  }
  unsigned char gh[24];
  if (fread(gh, 1, 24, f) != 24) {
    fprintf(stderr, "pcap-sender: %s: no pcap header\n", path);
    fclose(f);
    return -1;
  }
  uint32_t magic;
  memcpy(&magic, gh, 4);
  int swap;
  if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du) swap = 0;
  else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u) swap = 1;
  else {
    fprintf(stderr, "pcap-sender: %s: not a classic pcap file (pcapng is not read)\n", path);
    fclose(f);
    return -1;
  }
  uint32_t linktype = rd32(gh + 20, swap) & 0x0fffffffu;
  if (linktype != 1) {
    fprintf(stderr, "pcap-sender: %s: link type %u, only Ethernet (1) is replayed\n", path, linktype);
    fclose(f);
    return -1;
  }
  size_t cap = 64u * 1024u * 1024u;
  long ncap = 1 << 16;
  out->data = malloc(cap);
  out->off = malloc((size_t)ncap * sizeof(size_t));
  out->len = malloc((size_t)ncap * sizeof(uint32_t));
  out->n = 0;
  if (!out->data || !out->off || !out->len) {
    fclose(f);
    return -1;
  }
  size_t used = 0;
  unsigned char rh[16];
  while (out->n < want && fread(rh, 1, 16, f) == 16) {
    uint32_t incl = rd32(rh + 8, swap);
    if (incl > MAX_PACKET) {
      fprintf(stderr, "pcap-sender: %s: record %ld of %u bytes, larger than %u\n", path, out->n, incl, MAX_PACKET);
      fclose(f);
      return -1;
    }
    if (used + incl > (size_t)MAX_BYTES) break;
    if (used + incl > cap) {
      size_t ncapb = cap * 2;
      if (ncapb > (size_t)MAX_BYTES) ncapb = (size_t)MAX_BYTES;
      unsigned char *d = realloc(out->data, ncapb);
      if (!d) {
        fclose(f);
        return -1;
      }
      out->data = d;
      cap = ncapb;
    }
    if (out->n == ncap) {
      ncap *= 2;
      size_t *o = realloc(out->off, (size_t)ncap * sizeof(size_t));
      if (!o) {
        fclose(f);
        return -1;
      }
      out->off = o;
      uint32_t *l = realloc(out->len, (size_t)ncap * sizeof(uint32_t));
      if (!l) {
        fclose(f);
        return -1;
      }
      out->len = l;
    }
    if (incl > 0 && fread(out->data + used, 1, incl, f) != incl) break; /* a torn last record */
    if (incl >= 14) { /* shorter than an Ethernet header: nothing a NIC could send */
      out->off[out->n] = used;
      out->len[out->n] = incl;
      out->n++;
      used += incl;
    }
  }
  fclose(f);
  if (out->n == 0) {
    fprintf(stderr, "pcap-sender: %s: no packets\n", path);
    return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: pcap-sender IFACE RATE COUNT SECONDS FILE\n");
    return 2;
  }
  double rate = strtod(argv[2], NULL);
  long count = strtol(argv[3], NULL, 10);
  double seconds = strtod(argv[4], NULL);
  unsigned ifindex = if_nametoindex(argv[1]);
  if (ifindex == 0 || rate < 0 || count < 1 || seconds <= 0 || seconds > 3600) {
    fprintf(stderr, "pcap-sender: bad arguments (interface %s: index %u)\n", argv[1], ifindex);
    return 2;
  }
  struct packets pk;
  if (load(argv[5], count, &pk) != 0) return 1;

  /* protocol 0: a socket that only sends (no receive hook, so it never sees its own packets) */
  int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) {
    perror("pcap-sender: socket");
    return 1;
  }
  int one = 1;
  if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) != 0) perror("pcap-sender: PACKET_QDISC_BYPASS (ignored)");
  int sndbuf = 8 * 1024 * 1024;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf));
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof(sll));
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = (int)ifindex;
  sll.sll_protocol = 0;
  if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
    perror("pcap-sender: bind");
    return 1;
  }

  static struct mmsghdr msgs[BATCH];
  static struct iovec iov[BATCH];
  memset(msgs, 0, sizeof(msgs));
  long sent = 0, errors = 0, next = 0;
  unsigned long long bytes = 0;
  double t0 = now_s();
  double deadline = t0 + seconds;
  struct timespec tick;
  clock_gettime(CLOCK_MONOTONIC, &tick);
  while (sent + errors < count) {
    double t = now_s();
    if (t >= deadline) break;
    long due = count - sent - errors;
    if (rate > 0) {
      long target = (long)((t - t0) * rate) + 1;
      if (target > count) target = count;
      due = target - sent - errors;
      if (due <= 0) {
        /* ahead of the rate: sleep to the next 1 ms tick */
        tick.tv_nsec += TICK_NS;
        if (tick.tv_nsec >= 1000000000L) {
          tick.tv_sec++;
          tick.tv_nsec -= 1000000000L;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &tick, NULL);
        continue;
      }
    }
    int b = due < BATCH ? (int)due : BATCH;
    for (int i = 0; i < b; i++) {
      iov[i].iov_base = pk.data + pk.off[next];
      iov[i].iov_len = pk.len[next];
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      next = next + 1 == pk.n ? 0 : next + 1;
    }
    int done = 0;
    while (done < b) {
      int r = sendmmsg(fd, msgs + done, (unsigned)(b - done), 0);
      if (r < 0) {
        if (errno == EINTR) continue;
        errors++; /* the kernel refused msgs[done]: count it and go on with the rest */
        done++;
        continue;
      }
      for (int i = 0; i < r; i++) bytes += iov[done + i].iov_len;
      sent += r;
      done += r;
    }
  }
  double elapsed = now_s() - t0;
  close(fd);
  printf("{\"sent\":%ld,\"bytes\":%llu,\"seconds\":%.6f,\"errors\":%ld,\"loaded\":%ld}\n", sent, bytes, elapsed, errors, pk.n);
  return 0;
}
