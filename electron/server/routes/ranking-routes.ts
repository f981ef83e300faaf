/**
 * Ranking and classification: the store's event classes and threat lists (STORE/classes.json,
 * STORE/threat-lists.json). Changes apply at once to live events and to every later search.
 */
import type { ServerResponse } from 'node:http';
import { NewEventClassSchema, NewThreatListSchema } from '../../../common/bridge/messages.js';
import { sendJson } from '../http-util.js';
import { req, SENSOR_ID, str } from '../params.js';
import { defineRoute } from '../router.js';

const idParam = (what: string) => ({ id: req(str({ max: 64, pattern: SENSOR_ID, what: `a ${what} id` }), `${what[0].toUpperCase()}${what.slice(1)} id`) });

const DAMAGED = { status: 503, description: 'The file on disk is damaged; it is left as it is until fixed', schema: 'Error' };

function noContent(res: ServerResponse): void {
  res.writeHead(204, { 'Cache-Control': 'no-store' });
  res.end();
}

export const listClassesRoute = defineRoute({
  method: 'GET',
  path: '/api/classes',
  operationId: 'listClasses',
  summary: 'Event classes',
  description: 'A class matches events and flows (every criterion given must hold), labels them with its name and raises, lowers or sets their rank; matching events emit class-match and ranking events.',
  tag: 'ranking',
  query: {},
  pathParams: {},
  responses: [{ status: 200, description: 'Every class, enabled or not', schema: 'EventClass', array: true }, DAMAGED],
  async handle({ res, server }) {
    sendJson(res, 200, await server.services.listClasses());
  },
});

export const createClassRoute = defineRoute({
  method: 'POST',
  path: '/api/classes',
  operationId: 'createClass',
  summary: 'Create an event class',
  tag: 'ranking',
  query: {},
  pathParams: {},
  body: { kind: 'json', schema: NewEventClassSchema, description: 'The class; exactly one of rank_delta and set_rank', docSchema: 'NewEventClass' },
  responses: [{ status: 201, description: 'Created (with its id)', schema: 'EventClass' }, { status: 409, description: 'Too many classes', schema: 'Error' }, DAMAGED],
  async handle({ res, server, body }) {
    sendJson(res, 201, await server.services.createClass(body));
  },
});

export const updateClassRoute = defineRoute({
  method: 'PUT',
  path: '/api/classes/{id}',
  operationId: 'updateClass',
  summary: 'Replace an event class',
  tag: 'ranking',
  query: {},
  pathParams: idParam('class'),
  body: { kind: 'json', schema: NewEventClassSchema, description: 'The class as it should be', docSchema: 'NewEventClass' },
  responses: [{ status: 200, description: 'Replaced', schema: 'EventClass' }, { status: 404, description: 'No such class', schema: 'Error' }, DAMAGED],
  async handle({ res, server, path, body }) {
    sendJson(res, 200, await server.services.updateClass(path.id, body));
  },
});

export const deleteClassRoute = defineRoute({
  method: 'DELETE',
  path: '/api/classes/{id}',
  operationId: 'deleteClass',
  summary: 'Delete an event class',
  tag: 'ranking',
  query: {},
  pathParams: idParam('class'),
  responses: [{ status: 204, description: 'Deleted' }, { status: 404, description: 'No such class', schema: 'Error' }, DAMAGED],
  async handle({ res, server, path }) {
    await server.services.deleteClass(path.id);
    noContent(res);
  },
});

export const listThreatListsRoute = defineRoute({
  method: 'GET',
  path: '/api/threat-lists',
  operationId: 'listThreatLists',
  summary: 'Local threat lists',
  description: 'Named lists of IP addresses and CIDR blocks with a rank: a flow or event touching a listed address gets that rank (added to its rule priority rank; the highest list rank counts).',
  tag: 'ranking',
  query: {},
  pathParams: {},
  responses: [{ status: 200, description: 'Every list', schema: 'ThreatList', array: true }, DAMAGED],
  async handle({ res, server }) {
    sendJson(res, 200, await server.services.listThreatLists());
  },
});

export const createThreatListRoute = defineRoute({
  method: 'POST',
  path: '/api/threat-lists',
  operationId: 'createThreatList',
  summary: 'Create a threat list',
  tag: 'ranking',
  query: {},
  pathParams: {},
  body: { kind: 'json', schema: NewThreatListSchema, description: 'The list (entries: IP addresses or CIDR blocks)', docSchema: 'NewThreatList' },
  responses: [{ status: 201, description: 'Created (with its id)', schema: 'ThreatList' }, { status: 409, description: 'Too many lists', schema: 'Error' }, DAMAGED],
  async handle({ res, server, body }) {
    sendJson(res, 201, await server.services.createThreatList(body));
  },
});

export const updateThreatListRoute = defineRoute({
  method: 'PUT',
  path: '/api/threat-lists/{id}',
  operationId: 'updateThreatList',
  summary: 'Replace a threat list',
  tag: 'ranking',
  query: {},
  pathParams: idParam('threat list'),
  body: { kind: 'json', schema: NewThreatListSchema, description: 'The list as it should be', docSchema: 'NewThreatList' },
  responses: [{ status: 200, description: 'Replaced', schema: 'ThreatList' }, { status: 404, description: 'No such list', schema: 'Error' }, DAMAGED],
  async handle({ res, server, path, body }) {
    sendJson(res, 200, await server.services.updateThreatList(path.id, body));
  },
});

export const deleteThreatListRoute = defineRoute({
  method: 'DELETE',
  path: '/api/threat-lists/{id}',
  operationId: 'deleteThreatList',
  summary: 'Delete a threat list',
  tag: 'ranking',
  query: {},
  pathParams: idParam('threat list'),
  responses: [{ status: 204, description: 'Deleted' }, { status: 404, description: 'No such list', schema: 'Error' }, DAMAGED],
  async handle({ res, server, path }) {
    await server.services.deleteThreatList(path.id);
    noContent(res);
  },
});
