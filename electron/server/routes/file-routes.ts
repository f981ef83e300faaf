/** Carved files: the routes exist (the UI and SIEM links can be written against them) but carving is not built yet. */
import { HttpError } from '../http-util.js';
import { FLOW_ID, req, sensorParam, str } from '../params.js';
import { defineRoute } from '../router.js';

function notYet(): never {
  throw new HttpError(501, 'file carving is not available yet', 'slice the flow as a pcap (GET /api/flows/{id}/pcap) and extract files with a tool such as Wireshark or tshark --export-objects');
}

export const flowFilesRoute = defineRoute({
  method: 'GET',
  path: '/api/flows/{id}/files',
  operationId: 'flowFiles',
  summary: 'Files carved from a flow (not available yet: 501)',
  tag: 'files',
  query: { sensor: sensorParam },
  pathParams: { id: req(str({ max: 64, pattern: FLOW_ID, what: 'a flow id (<12 hex digits>-<number>)' }), 'Flow id') },
  responses: [{ status: 501, description: 'File carving is not built yet', schema: 'Error' }],
  async handle() {
    notYet();
  },
});

export const fileRoute = defineRoute({
  method: 'GET',
  path: '/api/files/{sha256}',
  operationId: 'getFile',
  summary: 'A carved file by SHA-256 (not available yet: 501)',
  tag: 'files',
  query: { sensor: sensorParam },
  pathParams: { sha256: req(str({ max: 64, pattern: /^[0-9A-Fa-f]{64}$/, what: 'a SHA-256 (64 hex digits)' }), 'SHA-256 of the file') },
  responses: [{ status: 501, description: 'File carving is not built yet', schema: 'Error' }],
  async handle() {
    notYet();
  },
});
