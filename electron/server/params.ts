/**
 * Query-string and path parameters: each one declared once with its check, its type and its
 * description, so the same declaration validates requests and writes the OpenAPI document.
 * Unknown parameters and repeated single parameters are errors ("<field>: <problem>").
 */
import { z } from 'zod';
import { HttpError } from './http-util.js';

export type JsonSchema = Record<string, unknown>;

export interface Param<Out> {
  readonly required: boolean;
  readonly multiple: boolean;
  readonly description: string;
  /** JSON Schema of one value (for the OpenAPI document). */
  readonly schema: JsonSchema;
  /** Checks the raw values (none, one, or several); throws the problem as a message. */
  read(values: string[]): Out;
}

export type ParamDefs = Record<string, Param<unknown>>;
export type ParamValues<D extends ParamDefs> = { [K in keyof D]: D[K] extends Param<infer O> ? O : never };

export const PARAM_HINT = 'check the parameter against GET /api/openapi.json';

/** One value's check: returns the value, or throws the problem as the error message. */
interface One<T> {
  schema: JsonSchema;
  parse(v: string): T;
}

function optional<T>(one: One<T>, description: string): Param<T | undefined> {
  return {
    required: false,
    multiple: false,
    description,
    schema: one.schema,
    read(values) {
      // an empty optional value counts as absent (SIEM URL templates leave unknown fields empty)
      if (values.length === 0 || (values.length === 1 && values[0] === '')) return undefined;
      if (values.length > 1) throw new Error('given more than once');
      return one.parse(values[0]);
    },
  };
}

function problem(msg: string): never {
  throw new Error(msg);
}

/** A value quoted in an error message, shortened (messages never echo long input). */
function shown(v: string): string {
  return JSON.stringify(v.length > 64 ? `${v.slice(0, 61)}...` : v);
}

export function str(opts: { max: number; pattern?: RegExp; what?: string }): One<string> {
  return {
    schema: { type: 'string', maxLength: opts.max, ...(opts.pattern ? { pattern: opts.pattern.source } : {}) },
    parse(v) {
      if (v === '') return problem('must not be empty');
      if (v.length > opts.max) return problem(`must be at most ${opts.max} characters`);
      if (opts.pattern && !opts.pattern.test(v)) return problem(`${shown(v)} is not ${opts.what ?? `of the form ${opts.pattern.source}`}`);
      return v;
    },
  };
}

export function int(opts: { min: number; max: number; what?: string }): One<number> {
  return {
    schema: { type: 'integer', minimum: opts.min, maximum: opts.max },
    parse(v) {
      if (!/^\d{1,16}$/.test(v) || Number(v) < opts.min || Number(v) > opts.max) return problem(`${shown(v)} is not ${opts.what ?? `a whole number from ${opts.min} to ${opts.max}`}`);
      return Number(v);
    },
  };
}

export const opt = optional;

export function req<T>(one: One<T>, description: string): Param<T> {
  const o = optional(one, description);
  return {
    ...o,
    required: true,
    read(values) {
      if (values.length === 0 || (values.length === 1 && values[0] === '')) throw new Error('is required');
      return o.read(values) as T;
    },
  };
}

export function many<T>(one: One<T>, description: string, maxCount: number): Param<T[]> {
  return {
    required: false,
    multiple: true,
    description: `${description} (repeat the parameter, at most ${maxCount} times)`,
    schema: { type: 'array', items: one.schema, maxItems: maxCount },
    read(values) {
      if (values.length > maxCount) throw new Error(`given more than ${maxCount} times`);
      return values.map((v) => one.parse(v));
    },
  };
}

/** Reads every declared parameter; refuses undeclared ones. */
export function readParams<D extends ParamDefs>(defs: D, values: (name: string) => string[], given: Iterable<string>, where: 'query' | 'path'): ParamValues<D> {
  for (const name of given) {
    if (!Object.hasOwn(defs, name)) {
      const known = Object.keys(defs);
      throw new HttpError(400, `${name.length > 64 ? `${name.slice(0, 61)}...` : name}: unknown ${where} parameter`, known.length ? `this request takes: ${known.join(', ')}` : 'this request takes no query parameters');
    }
  }
  const out: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(defs)) {
    try {
      out[name] = def.read(values(name));
    } catch (e) {
      throw new HttpError(400, `${name}: ${(e as Error).message}`, PARAM_HINT);
    }
  }
  return out as ParamValues<D>;
}

/** Runs a zod schema from common/bridge/messages.ts; the first problem becomes "<field>: <problem>". */
export function check<S extends z.ZodType>(schema: S, value: unknown, fieldNames: Record<string, string> = {}): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const first = r.error.issues[0];
  const path = first?.path.map(String) ?? [];
  const field = path.length ? path.map((p, i) => (i === 0 ? (fieldNames[p] ?? p) : p)).join('.') : 'body';
  throw new HttpError(400, `${field}: ${first?.message ?? 'invalid'}`, PARAM_HINT);
}

// ---- parameters shared by several routes ----

export const IP_TEXT = /^[0-9A-Fa-f:.]{2,45}(\/\d{1,3})?$/;
export const TIME_TEXT = /^(\d{1,15}(\.\d{1,9})?|\d{4}-\d{2}-\d{2}([T ][0-9:.,]+)?(Z|[+-]\d{2}:?\d{2})?)$/;
export const FLOW_ID = /^[0-9a-f]{12}-\d{1,10}$/;
export const SENSOR_ID = /^[0-9A-Za-z._-]{1,64}$/;

export const timeParam = str({ max: 64, pattern: TIME_TEXT, what: 'a time (decimal epoch seconds or ISO 8601)' });
export const sensorParam = opt(str({ max: 64, pattern: SENSOR_ID, what: 'a sensor id' }), 'Sensor id (see GET /api/sensors); the local store when absent for slices, all sensors for searches');
export const protoParam = str({ max: 16, pattern: /^([A-Za-z0-9]{1,16})$/, what: 'a protocol (tcp, udp, icmp, icmp6, sctp, gre, or 0-255)' });
export const portParam = int({ min: 0, max: 65535, what: 'a port (0-65535)' });
