/** Log management routes: a flow's correlated logs and the receivers' counters (docs/LOGS.md). */
import { sendJson } from '../http-util.js';
import { FLOW_ID, int, opt, req, str } from '../params.js';
import { defineRoute } from '../router.js';

export const flowLogsRoute = defineRoute({
  method: 'GET',
  path: '/api/flows/{id}/logs',
  operationId: 'flowLogs',
  summary: 'Log events correlated with a flow of the local store (oldest first)',
  description:
    'Logs naming the flow\'s hosts within the correlation window (default ±5 min) whose best match is this flow (5-tuple, else host pair, else host), and syslog messages read from the flow itself. Correlation is recomputed, so logs received before the capture was imported are found too.',
  tag: 'logs',
  query: { limit: opt(int({ min: 1, max: 100_000, what: 'a count (1-100000)' }), 'At most this many (default 1000)') },
  pathParams: { id: req(str({ max: 64, pattern: FLOW_ID, what: 'a flow id (<12 hex digits>-<number>)' }), 'Flow id from GET /api/flows') },
  responses: [{ status: 200, description: 'The log events (kind "log")', schema: 'TaplineEvent', array: true }],
  async handle({ res, server, query, path }) {
    sendJson(res, 200, await server.services.flowLogs(path.id, query.limit));
  },
});

export const logStatsRoute = defineRoute({
  method: 'GET',
  path: '/api/logs/stats',
  operationId: 'logStats',
  summary: 'Log receivers, intake counters (received, stored, dropped by cause, per format) and SIEM export counters',
  tag: 'logs',
  query: {},
  pathParams: {},
  responses: [{ status: 200, description: 'Counters since the server started' }],
  async handle({ res, server }) {
    sendJson(res, 200, server.services.logs.stats());
  },
});
