/** The live stream's HTTP face (it is a WebSocket: see live-socket.ts) and the API description. */
import { HttpError, sendJson } from '../http-util.js';
import { int, opt } from '../params.js';
import { defineRoute } from '../router.js';
import { openApiDocument } from '../openapi.js';

export const liveRoute = defineRoute({
  method: 'GET',
  path: '/api/live',
  operationId: 'liveEvents',
  summary: 'Live events (WebSocket)',
  description:
    'Upgrade to a WebSocket. Each message is one EventBatch (JSON); resume after a reconnect with ?since=<seq of the last batch> and the missed events are replayed from a bounded buffer (what fell out of it is counted in `missed`). Origin must be this server\'s own origin, or absent for non-browser clients using the Bearer token. The server pings every 30 s; it closes the socket with code 4401 when the session ends, and 4008 when the client reads too slowly (reconnect with ?since=).',
  tag: 'live',
  query: { since: opt(int({ min: 0, max: Number.MAX_SAFE_INTEGER }), 'Replay events after this sequence number') },
  pathParams: {},
  responses: [
    { status: 101, description: 'Switching to the WebSocket protocol; messages are EventBatch', schema: 'EventBatch' },
    { status: 426, description: 'Not a WebSocket request', schema: 'Error' },
  ],
  async handle() {
    throw new HttpError(426, '/api/live is a WebSocket', 'connect with a WebSocket client (Upgrade: websocket)', { Upgrade: 'websocket', Connection: 'Upgrade' });
  },
});

export const openApiRoute = defineRoute({
  method: 'GET',
  path: '/api/openapi.json',
  operationId: 'openApi',
  summary: 'This document',
  tag: 'meta',
  query: {},
  pathParams: {},
  responses: [{ status: 200, description: 'OpenAPI 3.1 document', contentTypes: ['application/json'] }],
  async handle({ res, server, origin }) {
    sendJson(res, 200, openApiDocument(server.routes(), origin));
  },
});
