/*
 * The UDP parse thread's per-message work for the messages it can do exactly, in C: the facts
 * of common/logs/log-facts.ts (extractLogFacts) and the message-dependent part of the compact
 * journal line (common/logs/log-journal-line.ts writeCompactLogLineFromFacts, from `,"ts":` to
 * the closing brace), per record of a batch in node/logs/udp-batch.ts's layout. Every message it
 * is not sure of is marked "not handled" and is parsed by the TypeScript path as before.
 *
 * Output ("pre" buffer, little-endian int32 words):
 *   int32 off[count]: record i's result at byte offset off[i] (4-aligned), or -1: not handled
 *   at off: int32 h[LFP_HEADER_WORDS] then h[0] tail bytes (padded to 4):
 *     h[0] tail length   h[1] format (LOG_FORMATS index)   h[2] src port   h[3] dst port
 *     h[4] protocol (-1 null)   h[5] 1: the stated time names its zone and is kept (correlation
 *     uses it)   h[6], h[7] stated time seconds (low, high 32 bits)   h[8] its nanoseconds
 *     h[9..14] marks relative to the tail's start: src_ip [start, end), dst_ip, message
 *     (-1: null, -2: read the message from the event), as JsonLineWriter.marks
 */
#ifndef TAPLINE_LOG_FAST_PATH_H
#define TAPLINE_LOG_FAST_PATH_H

#include <stdint.h>

#define LFP_MAX_BYTES 4096
#define LFP_MAX_PAIRS 256
#define LFP_HEADER_WORDS 15

typedef struct lfp_ctx lfp_ctx;

lfp_ctx *lfp_new(void);
void lfp_free(lfp_ctx *c);

/*
 * Runs the fast path over a batch's records (data[0, used), count records) into pre[0, cap);
 * returns the bytes of pre used (at least 4 * count when cap allows; 0 when cap < 4 * count).
 * A record whose result does not fit is marked not handled.
 */
uint32_t lfp_batch(lfp_ctx *c, const uint8_t *data, uint32_t used, uint32_t count, uint8_t *pre, uint32_t cap);

/*
 * One record's message (msg[0, len), received at sec.nsec) into out[0, room): the header and tail
 * as above; returns the bytes written (4-aligned), 0 when not handled (or out of room). lfp_batch
 * is this per record; the receive thread calls it per datagram as it stores it (udp_intake.c).
 */
uint32_t lfp_record(lfp_ctx *c, const uint8_t *msg, uint32_t len, uint32_t sec, uint32_t nsec, uint8_t *out, uint32_t room);

#endif
