/**
 * POST /api/alerts/pcap bodies: a Suricata eve alert or Tapline's own flow event, turned into a
 * slice target. An eve alert is sliced by its 5-tuple within [flow.start (or timestamp − 1 h),
 * timestamp + 1 h]; when it carries a community_id, the matching flow is sliced whole instead.
 */
import { z } from 'zod';
import { FlowRowSchema, SliceTargetSchema, type SliceTarget } from '../../common/bridge/messages.js';
import { formatTs, parseTimestamp, type Timestamp } from '../../common/time/timestamp.js';
import type { TaplineServices } from '../services/tapline-services.js';
import { HttpError } from './http-util.js';
import { check, PARAM_HINT } from './params.js';

const port = z.number().int().min(0).max(65535);

/** The fields of an eve alert that locate its packets; every other eve field is allowed and ignored. */
export const EveAlertSchema = z
  .object({
    src_ip: z.string().max(64),
    src_port: port.optional(),
    dest_ip: z.string().max(64),
    dest_port: port.optional(),
    proto: z.union([z.string().max(16), z.number().int().min(0).max(255)]),
    timestamp: z.string().max(64).describe('ISO 8601 with offset, e.g. 2023-11-14T22:13:20.123456+0000'),
    flow: z.object({ start: z.string().max(64).optional() }).loose().optional(),
    community_id: z.string().max(64).optional(),
  })
  .loose();
export type EveAlert = z.infer<typeof EveAlertSchema>;

/** Tapline's flow event (as the UI and the live stream carry it). */
export const FlowAlertSchema = z.object({ kind: z.literal('flow'), flow: FlowRowSchema }).loose();

export const AlertBodySchema = z.union([FlowAlertSchema, EveAlertSchema]);

export const EVE_WINDOW_SEC = 3600;

function ts(text: string, field: string): Timestamp {
  const t = parseTimestamp(text);
  if (!t) throw new HttpError(400, `${field}: "${text}" is not a time (ISO 8601 with offset, or decimal epoch seconds)`, PARAM_HINT);
  return t;
}

/** Suricata's protocol names, as numbers where the store's parser would not know them. */
function eveProto(p: string | number): string | number {
  if (typeof p === 'number') return p;
  const l = p.toLowerCase();
  return l === 'ipv6-icmp' ? 58 : l;
}

export async function alertTarget(body: unknown, services: TaplineServices, sensor: string | undefined): Promise<SliceTarget> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'body: expected a Suricata eve alert or a Tapline flow event (a JSON object)', PARAM_HINT);
  if ('kind' in body) {
    const ev = check(FlowAlertSchema, body);
    return check(SliceTargetSchema, { flow: ev.flow.id, sensor: sensor ?? ev.flow.sensor });
  }
  const eve = check(EveAlertSchema, body);
  const at = ts(eve.timestamp, 'timestamp');
  const start = eve.flow?.start !== undefined ? ts(eve.flow.start, 'flow.start') : { sec: Math.max(0, at.sec - EVE_WINDOW_SEC), nsec: at.nsec };
  const end = { sec: at.sec + EVE_WINDOW_SEC, nsec: at.nsec };
  const stime = formatTs(start.sec, start.nsec);
  const etime = formatTs(end.sec, end.nsec);
  if (eve.community_id) {
    const rows = await services.searchFlows({ hosts: [eve.src_ip, eve.dest_ip], community_id: eve.community_id, since: stime, until: etime, limit: 1000, sensor });
    const atNum = at.sec + at.nsec / 1e9;
    const exact = rows.filter((r) => r.community_id === eve.community_id);
    // prefer the flow that was open at the alert's time, else the nearest one
    const distance = (first: string, last: string): number => Math.max(0, Number(first) - atNum, atNum - Number(last));
    exact.sort((a, b) => distance(a.first_ts, a.last_ts) - distance(b.first_ts, b.last_ts));
    if (exact.length) return check(SliceTargetSchema, { flow: exact[0].id, sensor: exact[0].sensor });
  }
  return check(SliceTargetSchema, {
    sip: eve.src_ip,
    spt: eve.src_port,
    dip: eve.dest_ip,
    dpt: eve.dest_port,
    proto: eveProto(eve.proto),
    stime,
    etime,
    sensor,
  });
}
