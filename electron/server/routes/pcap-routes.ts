/** Slices as pcap downloads: the CapMe URL, a flow by id, and the flow of a SIEM alert. */
import { z } from 'zod';
import { SliceTargetSchema } from '../../../common/bridge/messages.js';
import { alertTarget, EVE_WINDOW_SEC } from '../eve-alert.js';
import { check, FLOW_ID, opt, portParam, protoParam, req, sensorParam, str, timeParam } from '../params.js';
import { PCAP_TYPES, sendSlice } from '../pcap-response.js';
import { defineRoute, type ResponseDoc } from '../router.js';

const ipParam = str({ max: 64, pattern: /^[0-9A-Fa-f:.]{2,45}$/, what: 'an IP address' });

const PCAP_RESPONSES: ResponseDoc[] = [
  {
    status: 200,
    description: 'The slice, with a meaningful file name (Content-Disposition) and X-Tapline-Packets',
    contentTypes: PCAP_TYPES,
    headers: { 'Content-Disposition': 'attachment; filename="…"', 'X-Tapline-Packets': 'number of packets in the slice' },
  },
  { status: 404, description: 'No flow matches', schema: 'Error' },
];

export const capmeRoute = defineRoute({
  method: 'GET',
  path: '/pcap',
  operationId: 'capmePcap',
  summary: 'Slice by 5-tuple and time window (CapMe parameter names)',
  description: 'Both directions of the tuple match; stime and etime are inclusive. Packets of every matching flow inside the window, in capture order.',
  tag: 'pcap',
  query: {
    sip: req(ipParam, 'One endpoint address'),
    spt: opt(portParam, 'Its port'),
    dip: req(ipParam, 'The other endpoint address'),
    dpt: opt(portParam, 'Its port'),
    proto: opt(protoParam, 'Protocol name or number'),
    stime: opt(timeParam, 'Window start (inclusive; epoch seconds or ISO 8601)'),
    etime: opt(timeParam, 'Window end (inclusive)'),
    sensor: sensorParam,
  },
  pathParams: {},
  responses: PCAP_RESPONSES,
  async handle({ res, server, query }) {
    const target = check(SliceTargetSchema, {
      ...query,
      proto: query.proto === undefined ? undefined : /^\d+$/.test(query.proto) ? Number(query.proto) : query.proto,
    });
    await sendSlice(res, server.services, target, server.log);
  },
});

export const flowPcapRoute = defineRoute({
  method: 'GET',
  path: '/api/flows/{id}/pcap',
  operationId: 'flowPcap',
  summary: 'Slice one flow by id (as `tapline slice --flow`)',
  tag: 'pcap',
  query: { sensor: sensorParam },
  pathParams: { id: req(str({ max: 64, pattern: FLOW_ID, what: 'a flow id (<12 hex digits>-<number>)' }), 'Flow id from GET /api/flows') },
  responses: PCAP_RESPONSES,
  async handle({ res, server, query, path }) {
    await sendSlice(res, server.services, check(SliceTargetSchema, { flow: path.id, sensor: query.sensor }), server.log);
  },
});

export const alertPcapRoute = defineRoute({
  method: 'POST',
  path: '/api/alerts/pcap',
  operationId: 'alertPcap',
  summary: 'The pcap of an alert (Suricata eve alert or Tapline flow event)',
  description: `For a Suricata eve alert (src_ip, src_port, dest_ip, dest_port, proto, timestamp, optional flow.start and community_id): when community_id is given and a flow with that Community ID is found, that whole flow; otherwise the 5-tuple (both directions) within the window [flow.start, or timestamp − ${EVE_WINDOW_SEC / 3600} h; timestamp + ${EVE_WINDOW_SEC / 3600} h]. For a Tapline flow event ({kind: "flow", flow}): the flow by id on its sensor.`,
  tag: 'pcap',
  query: { sensor: sensorParam },
  pathParams: {},
  // alertTarget checks the body (eve alert or flow event) with messages that name the field
  body: { kind: 'json', schema: z.unknown(), description: 'A Suricata eve alert object, or a Tapline flow event', docSchema: 'AlertBody' },
  responses: PCAP_RESPONSES,
  async handle({ res, server, query, body }) {
    const target = await alertTarget(body, server.services, query.sensor);
    await sendSlice(res, server.services, target, server.log);
  },
});
