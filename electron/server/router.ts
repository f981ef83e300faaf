/**
 * The route table's types and the matcher. Every API route is one declaration (method, path
 * template, parameters, body, responses, handler): the server dispatches from it and
 * openapi.ts describes it, so the document cannot drift from what is served.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { TaplineServices } from '../services/tapline-services.js';
import type { AuthResult, Authenticator } from './auth.js';
import type { ParamDefs, ParamValues } from './params.js';
import type { UploadManager } from './uploads.js';
import type { ServerImports } from './server-imports.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** What every handler can reach. */
export interface ServerContext {
  services: TaplineServices;
  auth: Authenticator;
  uploads: UploadManager;
  /** Captures already on the server (serve --import-dir). */
  serverImports: ServerImports;
  tls: boolean;
  /** SHA-256 fingerprint of the serve certificate (null without TLS). */
  fingerprint: string | null;
  log: (line: string) => void;
  routes: () => readonly Route[];
}

export interface RequestInfo<Q extends ParamDefs, P extends ParamDefs, B> {
  req: IncomingMessage;
  res: ServerResponse;
  query: ParamValues<Q>;
  path: ParamValues<P>;
  body: B;
  auth: AuthResult | null;
  /** scheme://host:port as the client addressed this server. */
  origin: string;
  server: ServerContext;
}

export type BodySpec<B> =
  | { kind: 'json'; schema: z.ZodType<B>; description: string; docSchema?: string }
  | { kind: 'form'; schema: z.ZodType<B>; description: string }
  /** The handler reads the request stream itself (uploads). */
  | { kind: 'stream'; contentType: string; maxBytes: number; description: string };

export interface ResponseDoc {
  status: number;
  description: string;
  /** A named schema from openapi.ts's component list, or an array of one. */
  schema?: string;
  array?: boolean;
  /** Non-JSON answers: the media types. */
  contentTypes?: string[];
  headers?: Record<string, string>;
}

export interface RouteSpec<Q extends ParamDefs, P extends ParamDefs, B> {
  method: Method;
  /** Template with {name} segments, e.g. /api/flows/{id}/pcap. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** Requires the token or a session (default true). */
  auth?: boolean;
  query: Q;
  pathParams: P;
  body?: BodySpec<B>;
  responses: ResponseDoc[];
  handle(r: RequestInfo<Q, P, B>): Promise<void>;
}

/** A route with its parameter types erased, as the table holds it. */
export interface Route {
  readonly method: Method;
  readonly path: string;
  readonly segments: readonly string[];
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  readonly auth: boolean;
  readonly query: ParamDefs;
  readonly pathParams: ParamDefs;
  readonly body?: BodySpec<unknown>;
  readonly responses: readonly ResponseDoc[];
  handle(r: RequestInfo<ParamDefs, ParamDefs, unknown>): Promise<void>;
}

export function defineRoute<Q extends ParamDefs, P extends ParamDefs, B = undefined>(spec: RouteSpec<Q, P, B>): Route {
  return {
    ...spec,
    auth: spec.auth ?? true,
    segments: spec.path.split('/').slice(1),
    body: spec.body as BodySpec<unknown> | undefined,
    // the dispatcher builds query/path/body from these same declarations, so the types hold
    handle: spec.handle as unknown as Route['handle'],
  };
}

export type Match = { kind: 'found'; route: Route; path: Record<string, string> } | { kind: 'method'; allow: Method[] } | { kind: 'none' };

function matchSegments(template: readonly string[], segments: readonly string[]): Record<string, string> | null {
  if (template.length !== segments.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < template.length; i++) {
    const t = template[i];
    if (t.startsWith('{') && t.endsWith('}')) {
      if (segments[i] === '') return null;
      out[t.slice(1, -1)] = segments[i];
    } else if (t !== segments[i]) return null;
  }
  return out;
}

export function matchRoute(routes: readonly Route[], method: string, segments: readonly string[]): Match {
  const allow: Method[] = [];
  for (const r of routes) {
    const p = matchSegments(r.segments, segments);
    if (!p) continue;
    if (r.method === method) return { kind: 'found', route: r, path: p };
    allow.push(r.method);
  }
  return allow.length ? { kind: 'method', allow } : { kind: 'none' };
}
