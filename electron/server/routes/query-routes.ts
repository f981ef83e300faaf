/** Read-only API: backend info, flow and event search, store statistics. */
import { EventSearchSchema, FlowSearchSchema } from '../../../common/bridge/messages.js';
import { sendJson } from '../http-util.js';
import { check, int, IP_TEXT, many, opt, portParam, protoParam, sensorParam, str, timeParam } from '../params.js';
import { defineRoute } from '../router.js';

const limitParam = opt(int({ min: 1, max: 100_000 }), 'At most this many results (default 1000)');

export const infoRoute = defineRoute({
  method: 'GET',
  path: '/api/info',
  operationId: 'getInfo',
  summary: 'Version, sensors and the API base URL',
  tag: 'queries',
  query: {},
  pathParams: {},
  responses: [{ status: 200, description: 'Backend info', schema: 'BackendInfo' }],
  async handle({ res, server, origin }) {
    sendJson(res, 200, server.services.info(origin));
  },
});

export const flowsRoute = defineRoute({
  method: 'GET',
  path: '/api/flows',
  operationId: 'searchFlows',
  summary: 'Search flows on every sensor (or one)',
  description: 'Rows use the field names of `tapline flows --json`, plus the sensor that holds the flow and its rank and class labels under this instance\'s threat lists and event classes. Newest first.',
  tag: 'queries',
  query: {
    host: many(str({ max: 64, pattern: IP_TEXT, what: 'an IP address or CIDR block' }), 'IP address or CIDR block that must be an endpoint; with two, one on each side', 8),
    port: opt(portParam, 'Either endpoint port'),
    proto: opt(protoParam, 'Protocol name (tcp, udp, icmp, icmp6, sctp, gre) or number'),
    since: opt(timeParam, 'Flows active at or after this time (epoch seconds or ISO 8601)'),
    until: opt(timeParam, 'Flows active at or before this time'),
    community_id: opt(str({ max: 64, pattern: /^1:[A-Za-z0-9+/=]{1,60}$/, what: 'a Community ID (1:…)' }), 'Community ID v1'),
    limit: limitParam,
    sensor: sensorParam,
  },
  pathParams: {},
  responses: [{ status: 200, description: 'Matching flows', schema: 'FlowRow', array: true }],
  async handle({ res, server, query }) {
    const q = check(
      FlowSearchSchema,
      {
        hosts: query.host.length ? query.host : undefined,
        port: query.port,
        proto: query.proto === undefined ? undefined : /^\d+$/.test(query.proto) ? Number(query.proto) : query.proto,
        since: query.since,
        until: query.until,
        community_id: query.community_id,
        limit: query.limit,
        sensor: query.sensor,
      },
      { hosts: 'host' },
    );
    sendJson(res, 200, await server.services.searchFlows(q));
  },
});

export const eventsRoute = defineRoute({
  method: 'GET',
  path: '/api/events',
  operationId: 'searchEvents',
  summary: 'Search recorded events on every sensor',
  tag: 'queries',
  query: {
    kind: opt(str({ max: 32, pattern: /^[a-z-]{1,32}$/, what: 'an event kind (flow, import, import-progress, notice, class-match, ranking)' }), 'Event kind'),
    since: opt(timeParam, 'Events at or after this time'),
    until: opt(timeParam, 'Events at or before this time'),
    host: opt(str({ max: 64, pattern: /^[0-9A-Fa-f:.]{2,45}$/, what: 'an IP address' }), 'An IP address the event names'),
    limit: limitParam,
  },
  pathParams: {},
  responses: [{ status: 200, description: 'Matching events, newest first', schema: 'TaplineEvent', array: true }],
  async handle({ res, server, query }) {
    const q = check(EventSearchSchema, { kind: query.kind, since: query.since, until: query.until, host: query.host, limit: query.limit });
    sendJson(res, 200, await server.services.searchEvents(q));
  },
});

export const statsRoute = defineRoute({
  method: 'GET',
  path: '/api/stats',
  operationId: 'getStats',
  summary: 'What each sensor’s store holds',
  tag: 'queries',
  query: {},
  pathParams: {},
  responses: [{ status: 200, description: 'One entry per sensor', schema: 'StoreStats', array: true }],
  async handle({ res, server }) {
    sendJson(res, 200, await server.services.stats());
  },
});
