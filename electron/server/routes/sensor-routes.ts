/** The sensor list: this store plus remote `tapline serve` sensors (persisted with their tokens). */
import { AddSensorSchema } from '../../../common/bridge/messages.js';
import { sendJson } from '../http-util.js';
import { req, SENSOR_ID, str } from '../params.js';
import { defineRoute } from '../router.js';

export const listSensorsRoute = defineRoute({
  method: 'GET',
  path: '/api/sensors',
  operationId: 'listSensors',
  summary: 'Sensors and their connection status',
  tag: 'sensors',
  query: {},
  pathParams: {},
  responses: [{ status: 200, description: 'This store first, then remote sensors', schema: 'Sensor', array: true }],
  async handle({ res, server }) {
    sendJson(res, 200, server.services.sensors());
  },
});

export const addSensorRoute = defineRoute({
  method: 'POST',
  path: '/api/sensors',
  operationId: 'addSensor',
  summary: 'Add a remote tapline serve sensor',
  description:
    'url is the sensor\'s base URL; https needs the SHA-256 certificate fingerprint its tapline serve printed (pinned: another certificate is refused), plain http is allowed only to loopback. A wrong fingerprint or token is refused (400); an unreachable sensor is added and retried in the background.',
  tag: 'sensors',
  query: {},
  pathParams: {},
  body: { kind: 'json', schema: AddSensorSchema, description: 'The sensor to add', docSchema: 'AddSensor' },
  responses: [
    { status: 201, description: 'Added', schema: 'Sensor' },
    { status: 409, description: 'The id is taken', schema: 'Error' },
  ],
  async handle({ res, server, body }) {
    sendJson(res, 201, await server.services.addRemoteSensor(body));
  },
});

export const removeSensorRoute = defineRoute({
  method: 'DELETE',
  path: '/api/sensors/{id}',
  operationId: 'removeSensor',
  summary: 'Remove a remote sensor',
  tag: 'sensors',
  query: {},
  pathParams: { id: req(str({ max: 64, pattern: SENSOR_ID, what: 'a sensor id' }), 'Sensor id') },
  responses: [
    { status: 204, description: 'Removed' },
    { status: 404, description: 'No such sensor', schema: 'Error' },
  ],
  async handle({ res, server, path }) {
    await server.services.removeRemoteSensor(path.id);
    res.writeHead(204, { 'Cache-Control': 'no-store' });
    res.end();
  },
});
