/** Captures already on the server (serve --import-dir): list them, import one in place (no upload). */
import { ImportServerFileSchema } from '../../../common/bridge/server-files.js';
import { sendJson } from '../http-util.js';
import { defineRoute } from '../router.js';

export const listServerFilesRoute = defineRoute({
  method: 'GET',
  path: '/api/server-files',
  operationId: 'listServerFiles',
  summary: 'Capture files in the import directory',
  description: 'Files named like captures (.pcap, .pcapng, .cap, .dmp, optionally .gz) under the directory given to serve --import-dir, sub-directories included (at most 2,000). 404 when serve has no import directory.',
  tag: 'uploads',
  query: {},
  pathParams: {},
  responses: [
    { status: 200, description: 'The files, by name', schema: 'ServerFile', array: true },
    { status: 404, description: 'No import directory', schema: 'Error' },
  ],
  async handle({ res, server }) {
    sendJson(res, 200, await server.serverImports.list());
  },
});

export const importServerFileRoute = defineRoute({
  method: 'POST',
  path: '/api/server-files/import',
  operationId: 'importServerFile',
  summary: 'Import a capture from the import directory (indexed in place)',
  description: 'name is relative to the import directory, as listed; a name that resolves outside it (.., absolute paths, symbolic links leading out) is refused with 403. Flows, progress and the result also arrive on /api/live as flow, import-progress and import events while it runs.',
  tag: 'uploads',
  query: {},
  pathParams: {},
  body: { kind: 'json', schema: ImportServerFileSchema, description: 'The file to import', docSchema: 'ImportServerFile' },
  responses: [
    { status: 200, description: 'The import result', schema: 'ImportResult' },
    { status: 403, description: 'Outside the import directory', schema: 'Error' },
    { status: 404, description: 'No such file, or no import directory', schema: 'Error' },
  ],
  async handle({ res, server, body }) {
    sendJson(res, 200, await server.serverImports.import(body.name));
  },
});
