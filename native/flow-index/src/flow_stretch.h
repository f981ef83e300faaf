/*
 * The live writer's per-packet work for packets of existing flows, in C: for a stretch of pcap
 * records of an Ethernet link in a capture batch (node/store/live/packet-batch.ts), exactly what
 * decodeFastIpv4 (common/packet/ipv4-fast-path.ts), FlowTable.addFastIpv4 and its accountRaw /
 * appendOffset (common/flow/flow-table.ts) do, on the FlowTable's own typed-array columns, hash
 * slots and offset arena pages. It stops, having changed nothing for it, at the first record the
 * TypeScript fast path would not take for an existing flow (a new flow, a restart, a packet for
 * the general decoder), at one that would need a new arena page, and at the segment boundary;
 * the caller handles that record the usual way and calls again.
 */
#ifndef TAPLINE_FLOW_STRETCH_H
#define TAPLINE_FLOW_STRETCH_H

#include <stddef.h>
#include <stdint.h>

/* offset-arena.ts */
#define FS_BLOCK_SIZE 32
#define FS_PAYLOAD (FS_BLOCK_SIZE - 4)
#define FS_PAGE_SHIFT 15
#define FS_PAGE_MASK ((1u << FS_PAGE_SHIFT) - 1)
#define FS_PAGE_BYTES ((size_t)FS_BLOCK_SIZE << FS_PAGE_SHIFT)
/* carried-flows.ts KEY_WORDS */
#define FS_KEY_WORDS 12
#define FS_MAX_PAGES 4096

/* The FlowTable's columns (pointers into its typed arrays), valid until its layout changes. */
typedef struct {
  const uint32_t *keys;
  const int32_t *slots;
  uint32_t slot_mask;
  /* flows the columns hold (the shortest column's length) */
  uint32_t capacity;
  double *first_sec;
  uint32_t *first_nsec;
  double *last_sec;
  uint32_t *last_nsec;
  double *pkts_a;
  double *pkts_b;
  double *bytes_a;
  double *bytes_b;
  uint16_t *tcp_flags;
  uint8_t *tcp_state;
  int32_t *off_head;
  int32_t *off_tail;
  uint8_t *off_tail_pos;
  uint32_t *off_bytes;
  double *off_last;
  uint8_t *off_unsorted;
  uint8_t *pages[FS_MAX_PAGES];
  uint32_t npages;
  double tcp_idle;
  double udp_idle;
} fs_table;

/* In and out of one fs_run call (the JS side's Float64Array, same order). */
enum {
  /* in: file offset of the record at batch position x is base + x */
  FS_IO_BASE = 0,
  /* in: the segment size bound: a record ending past it (base + end > limit) is not taken */
  FS_IO_LIMIT = 1,
  /* in and out: the offset arena's next free block */
  FS_IO_NEXT_BLOCK = 2,
  /* out: packets taken, their original bytes */
  FS_IO_PACKETS = 3,
  FS_IO_ORIG_BYTES = 4,
  /* out: the largest raw tsSec of the records taken (before the nanosecond carry) */
  FS_IO_NEWEST_RAW_SEC = 5,
  /* out: earliest and latest (sec, nsec) taken, nanoseconds carried into the seconds */
  FS_IO_FIRST_SEC = 6,
  FS_IO_FIRST_NSEC = 7,
  FS_IO_LAST_SEC = 8,
  FS_IO_LAST_NSEC = 9,
  FS_IO_WORDS = 10
};

/*
 * Takes the records of batch[at, len) from `at` on while each is a fast-path packet of an
 * existing flow that does not restart it; returns the position of the first record not taken
 * (len when all were). io as above.
 */
uint32_t fs_run(fs_table *t, const uint8_t *batch, uint32_t at, uint32_t len, double *io);

#endif
