/*
 * A whole parsed batch in C: when the parse fast path (log_fast_path.h) handled every record of a
 * batch, the batch's journal lines, facts table and line ends are written here straight into the
 * one buffer the parse thread transfers to the main thread (node/logs/udp-batch-parser.ts
 * packBatch's layout: the lines [0, lines), then 8-aligned the facts table, FACT_STRIDE doubles a
 * message, then the ends, two uint32 a message). Each line is what UdpBatchParser.parse writes
 * for a record with a fast-path result: writeCompactLineStart's bytes (the id prefix's text, the
 * id's digits, the origin's text, received_ts, the sender's address and port), the result's
 * tail, LF; its facts row is writeFactsCoded's. The texts that depend on the receiver's id
 * prefix and sensor come from TypeScript (log-journal-line.ts compactLineTexts), bytes and
 * UTF-16 length, so nothing is JSON-escaped here: the rest is ASCII digits and the sender's
 * address text (inet_ntop's, nothing to escape).
 *
 * A batch with any record not handled (or a reception time the line's text would not give back)
 * is not packed: the parse thread then runs the per-record path as before.
 */
#ifndef TAPLINE_LINE_PACK_H
#define TAPLINE_LINE_PACK_H

#include <stdint.h>

#define LPK_FACT_STRIDE 13

typedef struct {
  const uint8_t *prefix; /* `{"kind":"log","v":2,"id":"PREFIX` */
  uint32_t prefix_len, prefix_chars;
  const uint8_t *origin; /* `","sensor":…,"transport":"udp","received_ts":` */
  uint32_t origin_len, origin_chars;
} lpk_texts;

typedef struct {
  const char *text;
  uint32_t len;
} lpk_ip;

/*
 * The packed batch's sizes for records data[0, used) (count of them, udp-batch.ts's layout) with
 * their fast-path results pre[0, pre_len) (int32 off[count] into pre, then results), ids
 * first_id, first_id + 1, …: 1 with *lines (the lines' bytes) and *total (the buffer's bytes)
 * when every record is handled and fits, else 0.
 */
int lpk_size(const uint8_t *data, uint32_t used, uint32_t count, const uint8_t *pre, uint32_t pre_len, const lpk_ip *ips, uint32_t nips, const lpk_texts *t, uint64_t first_id, uint32_t *lines,
             uint32_t *total);

/* Writes the packed batch lpk_size sized (same arguments) into out[0, total). */
void lpk_write(const uint8_t *data, uint32_t count, const uint8_t *pre, const lpk_ip *ips, const lpk_texts *t, uint64_t first_id, uint32_t lines, uint8_t *out);

#endif
