/**
 * Live capture on the sensor: its interfaces, the captures (status and stats), start and stop.
 * A remote ssh source names key and known_hosts files on the sensor; key material never crosses
 * the API (capture-messages.ts refuses a value that looks like a key).
 */
import { StartCaptureSchema } from '../../../common/bridge/capture-messages.js';
import { sendJson } from '../http-util.js';
import { int, opt, req, str, SENSOR_ID } from '../params.js';
import { defineRoute } from '../router.js';

/** Which sensor: a registered remote `serve` sensor (proxied with its token), this store when absent. */
const captureSensor = opt(str({ max: 64, pattern: SENSOR_ID, what: 'a sensor id' }), 'Sensor id (see GET /api/sensors): a registered remote sensor, whose own API is called; this store when absent');

export const listInterfacesRoute = defineRoute({
  method: 'GET',
  path: '/api/capture/interfaces',
  operationId: 'listInterfaces',
  summary: 'Network interfaces the sensor can capture on',
  tag: 'capture',
  query: { sensor: captureSensor },
  pathParams: {},
  responses: [{ status: 200, description: 'Interfaces as the capture worker sees them', schema: 'CaptureInterface', array: true }],
  async handle({ res, server, query }) {
    sendJson(res, 200, await server.services.listInterfaces({ sensor: query.sensor }));
  },
});

export const captureStatusRoute = defineRoute({
  method: 'GET',
  path: '/api/captures',
  operationId: 'captureStatus',
  summary: 'Live captures on this sensor (running and recently finished) with their stats',
  description: 'The same status arrives about once a second on /api/live as `capture` events.',
  tag: 'capture',
  query: { sensor: captureSensor },
  pathParams: {},
  responses: [{ status: 200, description: 'Captures, oldest first', schema: 'CaptureStatus', array: true }],
  async handle({ res, server, query }) {
    sendJson(res, 200, await server.services.captureStatus({ sensor: query.sensor }));
  },
});

export const startCaptureRoute = defineRoute({
  method: 'POST',
  path: '/api/captures',
  operationId: 'startCapture',
  summary: 'Start a live capture into this store',
  description:
    'sensor: a registered remote sensor\'s id to capture there (its own API is called with its token); this store when absent. source.kind "iface": a local interface (BPF filter, snap length). source.kind "ssh": tcpdump on a remote host over ssh; identity_file and known_hosts_file are paths on the sensor. An invalid filter or interface is 400, missing capture privileges 403 (the hint says how to grant cap_net_raw,cap_net_admin), a capture already running 409.',
  tag: 'capture',
  query: {},
  pathParams: {},
  body: { kind: 'json', schema: StartCaptureSchema, description: 'What to capture', docSchema: 'StartCapture' },
  responses: [
    { status: 201, description: 'Capturing', schema: 'CaptureStatus' },
    { status: 400, description: 'Bad source, filter or option', schema: 'Error' },
    { status: 403, description: 'The capture worker lacks privileges', schema: 'Error' },
    { status: 409, description: 'A capture is already running on this store', schema: 'Error' },
  ],
  async handle({ res, server, body }) {
    sendJson(res, 201, await server.services.startCapture(body));
  },
});

export const stopCaptureRoute = defineRoute({
  method: 'POST',
  path: '/api/captures/{id}/stop',
  operationId: 'stopCapture',
  summary: 'Stop a live capture (everything received is written and indexed first)',
  tag: 'capture',
  query: { sensor: captureSensor },
  pathParams: { id: req(str({ max: 20, pattern: /^cap-[0-9a-z]{1,16}$/, what: 'a capture id (cap-…)' }), 'Capture id') },
  responses: [
    { status: 200, description: 'Stopped: the final status', schema: 'CaptureStatus' },
    { status: 404, description: 'No such capture', schema: 'Error' },
  ],
  async handle({ res, server, path, query }) {
    sendJson(res, 200, await server.services.stopCapture(path.id, { sensor: query.sensor }));
  },
});

export const captureGapsRoute = defineRoute({
  method: 'GET',
  path: '/api/captures/gaps',
  operationId: 'captureGaps',
  summary: 'Spans live capture could not record (an ssh feed lost and reconnected, a restarted remote tcpdump)',
  description: 'From the local store\'s segments/gaps.ndjson, oldest first; with more than `limit`, the newest `limit`. A torn line (a crash mid-write) is skipped and counted in unreadableLines.',
  tag: 'capture',
  query: { limit: opt(int({ min: 1, max: 100000 }), 'Most gaps returned (default 1000, the newest)') },
  pathParams: {},
  responses: [{ status: 200, description: 'Gaps, oldest first', schema: 'CaptureGaps' }],
  async handle({ res, server, query }) {
    sendJson(res, 200, await server.services.captureGaps({ limit: query.limit ?? undefined }));
  },
});
