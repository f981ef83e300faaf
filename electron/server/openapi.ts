/**
 * The OpenAPI 3.1 document, generated from the route table and the zod schemas in
 * common/bridge/messages.ts (zod emits JSON Schema 2020-12, which OpenAPI 3.1 uses as is).
 */
import { z } from 'zod';
import {
  AddSensorSchema,
  BackendInfoSchema,
  BridgeErrorSchema,
  CarvedFileSchema,
  EventBatchSchema,
  EventClassSchema,
  EventSchema,
  FlowRowSchema,
  FollowResultSchema,
  ImportResultSchema,
  NewEventClassSchema,
  NewThreatListSchema,
  SensorSchema,
  StoreStatsSchema,
  ThreatListSchema,
} from '../../common/bridge/messages.js';
import { CaptureInterfaceSchema, CaptureStatusSchema, StartCaptureSchema } from '../../common/bridge/capture-messages.js';
import { CaptureGapsSchema } from '../../common/capture/capture-gap.js';
import { TAPLINE_VERSION } from '../../node/version.js';
import { SESSION_COOKIE } from './auth.js';
import { AlertBodySchema } from './eve-alert.js';
import type { JsonSchema } from './params.js';
import type { Route } from './router.js';
import { CreateUploadSchema, UploadCreatedSchema, UploadProgressSchema } from './routes/upload-routes.js';
import { ImportServerFileSchema, ServerFileSchema } from '../../common/bridge/server-files.js';

const RESPONSE_SCHEMAS: Record<string, z.ZodType> = {
  Error: BridgeErrorSchema,
  BackendInfo: BackendInfoSchema,
  FlowRow: FlowRowSchema,
  TaplineEvent: EventSchema,
  EventBatch: EventBatchSchema,
  StoreStats: StoreStatsSchema,
  Sensor: SensorSchema,
  ImportResult: ImportResultSchema,
  UploadCreated: UploadCreatedSchema,
  UploadProgress: UploadProgressSchema,
  ServerFile: ServerFileSchema,
  EventClass: EventClassSchema,
  ThreatList: ThreatListSchema,
  FollowResult: FollowResultSchema,
  CarvedFile: CarvedFileSchema,
  CaptureInterface: CaptureInterfaceSchema,
  CaptureStatus: CaptureStatusSchema,
  CaptureGaps: CaptureGapsSchema,
};

const REQUEST_SCHEMAS: Record<string, z.ZodType> = {
  CreateUpload: CreateUploadSchema,
  ImportServerFile: ImportServerFileSchema,
  AddSensor: AddSensorSchema,
  AlertBody: AlertBodySchema,
  NewEventClass: NewEventClassSchema,
  NewThreatList: NewThreatListSchema,
  StartCapture: StartCaptureSchema,
};

function jsonSchema(s: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

const CSRF_HEADER = {
  name: 'X-Tapline-Request',
  in: 'header',
  required: false,
  schema: { type: 'string', const: '1' },
  description: 'Must be 1 when the request is authenticated by the session cookie (CSRF defence); not needed with the Bearer token.',
};

function operation(r: Route): JsonSchema {
  const parameters: JsonSchema[] = [];
  for (const [name, p] of Object.entries(r.pathParams)) parameters.push({ name, in: 'path', required: true, description: p.description, schema: p.schema });
  for (const [name, p] of Object.entries(r.query)) {
    parameters.push({ name, in: 'query', required: p.required, description: p.description, schema: p.schema, ...(p.multiple ? { style: 'form', explode: true } : {}) });
  }
  const stateChanging = r.method !== 'GET';
  if (stateChanging && r.auth) parameters.push(CSRF_HEADER);

  const responses: Record<string, JsonSchema> = {};
  for (const d of r.responses) {
    const content: Record<string, JsonSchema> = {};
    if (d.schema) content['application/json'] = { schema: d.array ? { type: 'array', items: ref(d.schema) } : ref(d.schema) };
    for (const t of d.contentTypes ?? []) content[t] = { schema: t.startsWith('application/json') ? {} : { type: 'string', format: 'binary' } };
    const headers = d.headers ? Object.fromEntries(Object.entries(d.headers).map(([h, desc]) => [h, { description: desc, schema: { type: 'string' } }])) : undefined;
    responses[String(d.status)] = { description: d.description, ...(Object.keys(content).length ? { content } : {}), ...(headers ? { headers } : {}) };
  }
  const error = (description: string): JsonSchema => ({ description, content: { 'application/json': { schema: ref('Error') } } });
  responses['400'] ??= error('A parameter or the body is invalid ("<field>: <problem>"), or an unknown parameter was given');
  if (r.auth) responses['401'] ??= error('No valid token or session: open the login URL printed by tapline serve');
  if (stateChanging) responses['403'] ??= error('Cross-origin request, or a cookie-authenticated request without X-Tapline-Request: 1');
  if (r.body && r.body.kind !== 'stream') responses['413'] ??= error('Body larger than allowed (JSON bodies: 1 MiB)');

  const op: JsonSchema = {
    operationId: r.operationId,
    summary: r.summary,
    ...(r.description ? { description: r.description } : {}),
    tags: [r.tag],
    parameters,
    responses,
    security: r.auth ? [{ bearerAuth: [] }, { sessionCookie: [] }] : [],
  };
  if (r.body) {
    const b = r.body;
    const media =
      b.kind === 'json'
        ? { 'application/json': { schema: b.docSchema ? ref(b.docSchema) : jsonSchema(b.schema, 'input') } }
        : b.kind === 'form'
          ? { 'application/x-www-form-urlencoded': { schema: jsonSchema(b.schema, 'input') } }
          : { [b.contentType]: { schema: { type: 'string', format: 'binary', maxLength: b.maxBytes } } };
    op.requestBody = { required: true, description: b.description, content: media };
  }
  return op;
}

export function openApiDocument(routes: readonly Route[], serverUrl: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const r of routes) (paths[r.path] ??= {})[r.method.toLowerCase()] = operation(r);
  const schemas: Record<string, JsonSchema> = {};
  for (const [name, s] of Object.entries(RESPONSE_SCHEMAS)) schemas[name] = jsonSchema(s, 'output');
  for (const [name, s] of Object.entries(REQUEST_SCHEMAS)) schemas[name] = jsonSchema(s, 'input');
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tapline API',
      version: TAPLINE_VERSION.replace(/^tapline /, ''),
      description:
        'The API of `tapline serve`: flow and event search, exact pcap slices (CapMe URLs, flow ids, SIEM alerts), uploads, live events, sensors, event classes and threat lists. Authenticate with `Authorization: Bearer <token>` (the token file printed by serve) or the session cookie set by /login. State-changing requests must carry no Origin header or this server\'s own, and cookie-authenticated ones also `X-Tapline-Request: 1`. Unknown query parameters are refused (400). Errors are JSON {error, hint}.',
    },
    servers: [{ url: serverUrl }],
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'The serve token (STORE/serve-token or --token-file)' },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'Set by GET/POST /login' },
      },
    },
  };
}
