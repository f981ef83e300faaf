/*
 * Benchmark UDP sender for the logs suite (tests/bench/suites/logs.ts): sends COUNT datagrams to
 * HOST:PORT at RATE per second, paced in 1 ms ticks with sendmmsg batches, cycling through the
 * lines of FILE (one message per line). Sleeps between ticks instead of spinning, so the
 * receivers under test get the rest of the machine, and reaches rates a Node sender cannot
 * (~100-120k msg/s here). Prints {"sent":N,"errors":N,"seconds":S}.
 *
 * usage: udp-sender HOST PORT RATE COUNT FILE
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAX_LINES 100000

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: udp-sender HOST PORT RATE COUNT FILE\n");
    return 2;
  }
  long port = strtol(argv[2], NULL, 10);
  double rate = strtod(argv[3], NULL);
  long long count = strtoll(argv[4], NULL, 10);
  struct sockaddr_in dst;
  memset(&dst, 0, sizeof(dst));
  dst.sin_family = AF_INET;
  dst.sin_port = htons((uint16_t)port);
  if (port <= 0 || port > 65535 || rate <= 0 || count < 0 || inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1) {
    fprintf(stderr, "udp-sender: bad arguments\n");
    return 2;
  }
  FILE *f = fopen(argv[5], "rb");
  if (!f) {
    perror("udp-sender: messages file");
    return 2;
  }
  static char *lines[MAX_LINES];
  static size_t lens[MAX_LINES];
  int n = 0;
  char *line = NULL;
  size_t cap = 0;
  ssize_t got;
  while (n < MAX_LINES && (got = getline(&line, &cap, f)) > 0) {
    if (line[got - 1] == '\n') got--;
    lines[n] = malloc((size_t)got + 1);
    if (!lines[n]) return 1;
    memcpy(lines[n], line, (size_t)got);
    lens[n] = (size_t)got;
    n++;
  }
  free(line);
  fclose(f);
  if (n == 0) {
    fprintf(stderr, "udp-sender: no messages\n");
    return 2;
  }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0) {
    perror("udp-sender: socket");
    return 1;
  }
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  long long sent = 0, errors = 0;
  double t0 = now_s();
  while (sent < count) {
    double elapsed = now_s() - t0;
    long long due = (long long)(elapsed * rate) + 1;
    if (due > count) due = count;
    while (sent < due) {
      int k = (int)((due - sent) < BATCH ? (due - sent) : BATCH);
      for (int i = 0; i < k; i++) {
        int m = (int)((sent + i) % n);
        iov[i].iov_base = lines[m];
        iov[i].iov_len = lens[m];
        memset(&msgs[i], 0, sizeof(msgs[i]));
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      int r = sendmmsg(fd, msgs, (unsigned)k, 0);
      if (r < 0) {
        if (errno == EINTR) continue;
        /* the datagram at the head failed (e.g. ECONNREFUSED after an ICMP): counted, skipped */
        errors++;
        sent++;
        continue;
      }
      sent += r;
    }
    if (sent < count) {
      struct timespec tick = {0, 1000000};
      nanosleep(&tick, NULL);
    }
  }
  double seconds = now_s() - t0;
  close(fd);
  printf("{\"sent\":%lld,\"errors\":%lld,\"seconds\":%.6f}\n", sent - errors, errors, seconds);
  return 0;
}
