/**
 * Follow-stream and carved files. Carved bytes come from the wire (attacker-controlled), so the
 * file route never lets a browser render them: only raster images keep their type; text is
 * text/plain; everything else (HTML, SVG, scripts, XML, binaries) is text/plain for an inline
 * preview or application/octet-stream as an attachment — always with a sandbox CSP and nosniff.
 */
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { FOLLOW_DEFAULT_MAX_BYTES, FOLLOW_MAX_BYTES } from '../../../common/bridge/messages.js';
import { sendJson } from '../http-util.js';
import { FLOW_ID, int, opt, req, sensorParam, str } from '../params.js';
import { defineRoute } from '../router.js';
import { carvedFileHeaders } from '../../services/carved-file-headers.js';

const flowIdParam = req(str({ max: 64, pattern: FLOW_ID, what: 'a flow id (<12 hex digits>-<number>)' }), 'Flow id from GET /api/flows');

export const followRoute = defineRoute({
  method: 'GET',
  path: '/api/flows/{id}/follow',
  operationId: 'followFlow',
  summary: 'A TCP or UDP flow\'s reassembled payload in order (as `tapline follow`)',
  description: `Segments in delivery order with direction (0 = client → server), stream offset, base64 data, bytes missing before each (gaps are never filled) and time. At most max_bytes of payload (default ${FOLLOW_DEFAULT_MAX_BYTES}); truncated says when the cap cut the stream.`,
  tag: 'files',
  query: {
    sensor: sensorParam,
    max_bytes: opt(int({ min: 1, max: FOLLOW_MAX_BYTES, what: `a byte count (1-${FOLLOW_MAX_BYTES})` }), `Payload cap, both directions together (default ${FOLLOW_DEFAULT_MAX_BYTES})`),
  },
  pathParams: { id: flowIdParam },
  responses: [
    { status: 200, description: 'The stream', schema: 'FollowResult' },
    { status: 400, description: 'Not a TCP or UDP flow, or a bad parameter', schema: 'Error' },
    { status: 404, description: 'No such flow', schema: 'Error' },
  ],
  async handle({ res, server, query, path }) {
    const r = await server.services.followFlow(path.id, query.max_bytes ?? FOLLOW_DEFAULT_MAX_BYTES, query.sensor);
    sendJson(res, 200, r);
  },
});

export const flowFilesRoute = defineRoute({
  method: 'GET',
  path: '/api/flows/{id}/files',
  operationId: 'flowFiles',
  summary: 'Files carved from a flow (carved on the first request, then the stored records)',
  tag: 'files',
  query: { sensor: sensorParam },
  pathParams: { id: flowIdParam },
  responses: [
    { status: 200, description: 'The carved files (empty when none)', schema: 'CarvedFile', array: true },
    { status: 404, description: 'No such flow', schema: 'Error' },
  ],
  async handle({ res, server, query, path }) {
    sendJson(res, 200, await server.services.flowFiles(path.id, query.sensor));
  },
});

export const fileRoute = defineRoute({
  method: 'GET',
  path: '/api/files/{sha256}',
  operationId: 'getFile',
  summary: 'A carved file by SHA-256',
  description:
    'Raster images are served with their type, text as text/plain; everything else (HTML, SVG, scripts, binaries) as text/plain inline or application/octet-stream — never as a type a browser renders or runs. Always with Content-Security-Policy: sandbox and X-Content-Type-Options: nosniff. download=1 makes it an attachment.',
  tag: 'files',
  query: {
    sensor: sensorParam,
    download: opt(str({ max: 1, pattern: /^[01]$/, what: '1 or 0' }), '1: as an attachment'),
    name: opt(str({ max: 200, what: 'a file name' }), 'File name for the attachment (sanitized)'),
  },
  pathParams: { sha256: req(str({ max: 64, pattern: /^[0-9a-f]{64}$/, what: 'a SHA-256 (64 lowercase hex digits)' }), 'SHA-256 of the file') },
  responses: [
    { status: 200, description: 'The bytes', contentTypes: ['image/png', 'image/jpeg', 'image/gif', 'text/plain', 'application/octet-stream'] },
    { status: 404, description: 'No carved file with that SHA-256', schema: 'Error' },
  ],
  async handle({ res, server, query, path }) {
    const download = query.download === '1';
    const f = await server.services.fileContent(path.sha256, query.sensor);
    try {
      res.writeHead(200, carvedFileHeaders(path.sha256, f.mime, f.size, { download, name: query.name }));
      try {
        await pipeline(createReadStream(f.path), res);
      } catch (e) {
        server.log(`file download ended early: ${(e as Error).message}`);
      }
    } finally {
      if (f.temporary) await rm(f.path, { force: true });
    }
  },
});
