/** Browser imports: create an upload, send its chunks in order, import it in place. */
import { z } from 'zod';
import { sendJson } from '../http-util.js';
import { int, req, str } from '../params.js';
import { defineRoute } from '../router.js';
import { MAX_CHUNK_BYTES } from '../uploads.js';

export const CreateUploadSchema = z.object({ name: z.string().min(1).max(1024), size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }).strict();
export const UploadCreatedSchema = z.object({ id: z.string() });
export const UploadProgressSchema = z.object({ received: z.number().int().nonnegative() });

const uploadId = req(str({ max: 32, pattern: /^[0-9a-f]{32}$/, what: 'an upload id' }), 'Upload id from POST /api/uploads');

export const createUploadRoute = defineRoute({
  method: 'POST',
  path: '/api/uploads',
  operationId: 'createUpload',
  summary: 'Start uploading a capture',
  description: 'The file is stored as STORE/uploads/<id>-<name> (name without path separators or control characters, at most 120 characters) and imported in place. 413 when the declared size exceeds the upload limit.',
  tag: 'uploads',
  query: {},
  pathParams: {},
  body: { kind: 'json', schema: CreateUploadSchema, description: 'File name and size in bytes', docSchema: 'CreateUpload' },
  responses: [
    { status: 201, description: 'Upload created', schema: 'UploadCreated' },
    { status: 413, description: 'Larger than the upload limit', schema: 'Error' },
  ],
  async handle({ res, server, body }) {
    sendJson(res, 201, await server.uploads.create(body.name, body.size));
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
