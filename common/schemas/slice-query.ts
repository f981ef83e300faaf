/**
 * A CapMe-style slice query (sip, spt, dip, dpt, proto, stime, etime), as it arrives from an NDJSON
 * line, an HTTP query string or the UI: one schema for the type and the runtime check.
 */
import { z } from 'zod';
import { parseAddressRange } from '../net/address-range.js';
import type { TupleQuery } from '../index/index-reader.js';
import { parseTimestamp } from '../time/timestamp.js';

const PROTOS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, icmp6: 58, icmpv6: 58, sctp: 132, gre: 47 };

const port = z.union([z.number().int().min(0).max(65535), z.string().regex(/^\d{1,5}$/).transform(Number).pipe(z.number().max(65535))]);
const time = z.union([z.number().nonnegative().transform(String), z.string()]).transform((v, ctx) => {
  const t = parseTimestamp(v);
  if (!t) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a time (epoch seconds or ISO 8601)` });
    return z.NEVER;
  }
  return t;
});
const host = z.string().transform((v, ctx) => {
  const r = parseAddressRange(v);
  if (!r) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not an IP address or CIDR block` });
    return z.NEVER;
  }
  return r;
});
const proto = z.union([z.number().int().min(0).max(255), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const n = PROTOS[v.toLowerCase()] ?? (/^\d{1,3}$/.test(v) && Number(v) <= 255 ? Number(v) : undefined);
  if (n === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a protocol` });
    return z.NEVER;
  }
  return n;
});

export const SliceQuerySchema = z
  .object({
    sip: host,
    dip: host,
    spt: port.nullish(),
    dpt: port.nullish(),
    proto: proto.nullish(),
    stime: time.nullish(),
    etime: time.nullish(),
  })
  .strict()
  .transform(
    (q): TupleQuery => ({
      sip: q.sip,
      dip: q.dip,
      spt: q.spt ?? undefined,
      dpt: q.dpt ?? undefined,
      proto: q.proto ?? undefined,
      stime: q.stime ?? undefined,
      etime: q.etime ?? undefined,
    }),
  );

export type SliceQueryInput = z.input<typeof SliceQuerySchema>;

/** The first problem of a failed parse, as "field: message". */
export function firstIssue(e: z.ZodError): string {
  const i = e.issues[0];
  if (!i) return 'invalid';
  return i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message;
}
