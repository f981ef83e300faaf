/** Browser imports: create an upload, send its chunks in order, import it in place. */
import { z } from 'zod';
import { sendJson } from '../http-util.js';
import { int, req, str } from '../params.js';
import { defineRoute } from '../router.js';
import { MAX_CHUNK_BYTES } from '../uploads.js';

export const CreateUploadSchema = z
  .object({
    name: z.string().min(1).max(1024),
    size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    /** The capture's content fingerprint (docs/INDEX-FORMAT.md): lets the import run while the upload does. */
    fingerprint: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  })
  .strict();
export const UploadCreatedSchema = z.object({ id: z.string(), streaming: z.boolean().optional() });
export const UploadProgressSchema = z.object({ received: z.number().int().nonnegative() });

const uploadId = req(str({ max: 32, pattern: /^[0-9a-f]{32}$/, what: 'an upload id' }), 'Upload id from POST /api/uploads');

export const createUploadRoute = defineRoute({
  method: 'POST',
  path: '/api/uploads',
  operationId: 'createUpload',
  summary: 'Start uploading a capture',
  description:
    'The file is stored as STORE/uploads/<id>-<name> (name without path separators or control characters, at most 120 characters) and imported in place. 413 when the declared size exceeds the upload limit. With the capture\'s fingerprint, the import starts at once and reads each chunk as it arrives (`streaming: true`): flows and import-progress events come while the upload runs; an upload abandoned or stalled stops that import and keeps nothing of it.',
  tag: 'uploads',
  query: {},
  pathParams: {},
  body: { kind: 'json', schema: CreateUploadSchema, description: 'File name and size in bytes', docSchema: 'CreateUpload' },
  responses: [
    { status: 201, description: 'Upload created', schema: 'UploadCreated' },
    { status: 413, description: 'Larger than the upload limit', schema: 'Error' },
  ],
  async handle({ res, server, body }) {
    sendJson(res, 201, await server.uploads.create(body.name, body.size, body.fingerprint));
  },
});

export const putChunkRoute = defineRoute({
  method: 'PUT',
  path: '/api/uploads/{id}',
  operationId: 'putUploadChunk',
  summary: 'Send the next chunk of an upload',
  description: `Chunks are sent in order; offset must equal the bytes received so far (409 otherwise). At most ${MAX_CHUNK_BYTES} bytes per chunk (413).`,
  tag: 'uploads',
  query: { offset: req(int({ min: 0, max: Number.MAX_SAFE_INTEGER }), 'Where this chunk starts') },
  pathParams: { id: uploadId },
  body: { kind: 'stream', contentType: 'application/octet-stream', maxBytes: MAX_CHUNK_BYTES, description: 'The chunk bytes' },
  responses: [
    { status: 200, description: 'Bytes received so far', schema: 'UploadProgress' },
    { status: 409, description: 'Offset does not match what was received', schema: 'Error' },
    { status: 413, description: 'Chunk too large, or past the declared size', schema: 'Error' },
  ],
  async handle({ req: request, res, server, path, query }) {
    sendJson(res, 200, await server.uploads.put(path.id, query.offset, request));
  },
});

export const importUploadRoute = defineRoute({
  method: 'POST',
  path: '/api/uploads/{id}/import',
  operationId: 'importUpload',
  summary: 'Import a complete upload (indexed in place)',
  description: 'Progress and the result also arrive on /api/live as import-progress and import events.',
  tag: 'uploads',
  query: {},
  pathParams: { id: uploadId },
  responses: [
    { status: 200, description: 'The import result', schema: 'ImportResult' },
    { status: 409, description: 'The upload is incomplete', schema: 'Error' },
  ],
  async handle({ res, server, path }) {
    sendJson(res, 200, await server.uploads.import(path.id));
  },
});

export const abandonUploadRoute = defineRoute({
  method: 'DELETE',
  path: '/api/uploads/{id}',
  operationId: 'abandonUpload',
  summary: 'Abandon an unfinished upload',
  description: 'Removes the partial file; an import reading it while it arrived stops, fails with the reason (an import event) and keeps nothing of it.',
  tag: 'uploads',
  query: {},
  pathParams: { id: uploadId },
  responses: [
    { status: 204, description: 'Abandoned' },
    { status: 409, description: 'The upload was already imported', schema: 'Error' },
  ],
  async handle({ res, server, path }) {
    await server.uploads.abandon(path.id);
    res.writeHead(204, { 'Cache-Control': 'no-store' });
    res.end();
  },
});
