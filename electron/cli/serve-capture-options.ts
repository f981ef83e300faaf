/**
 * `serve`'s capture options: a sensor on a tap port serves and captures at once.
 *   --iface NAME [--filter BPF] [--snaplen N] [--no-promisc]
 *   --ssh user@host --remote-iface NAME [--sudo] [--known-hosts FILE | --host-key-fingerprint FP] [--identity FILE]
 *   [--max-store SIZE] [--max-age DUR]
 * They become one Bridge StartCapture request, checked by its schema like an API request.
 */
import { resolve } from 'node:path';
import { StartCaptureSchema, type StartCapture } from '../../common/bridge/capture-messages.js';
import { parseSshDestination } from '../../node/capture/sources/ssh-command.js';
import { parseDurationArg, parseSizeArg } from './capture-command.js';
import { UsageError } from './cli-args.js';

export const SERVE_CAPTURE_OPTIONS = {
  iface: { type: 'string' },
  ssh: { type: 'string' },
  'remote-iface': { type: 'string' },
  sudo: { type: 'boolean' },
  'known-hosts': { type: 'string' },
  'host-key-fingerprint': { type: 'string' },
  identity: { type: 'string' },
  filter: { type: 'string' },
  snaplen: { type: 'string' },
  'no-promisc': { type: 'boolean' },
  'max-store': { type: 'string' },
  'max-age': { type: 'string' },
} as const;

type Values = { [K in keyof typeof SERVE_CAPTURE_OPTIONS]?: (typeof SERVE_CAPTURE_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

/** The capture to start with the server, or null when no source was given. */
export function serveCaptureRequest(v: Values): StartCapture | null {
  if (v.iface !== undefined && v.ssh !== undefined) throw new UsageError('give --iface or --ssh, not both');
  if (v.iface === undefined && v.ssh === undefined) {
    const stray = (Object.keys(SERVE_CAPTURE_OPTIONS) as (keyof Values)[]).filter((k) => v[k] !== undefined);
    if (stray.length) throw new UsageError(`${stray.map((k) => `--${k}`).join(', ')} need --iface or --ssh`);
    return null;
  }
  let snaplen: number | undefined;
  if (v.snaplen !== undefined) {
    if (!/^\d{1,6}$/.test(v.snaplen)) throw new UsageError(`--snaplen "${v.snaplen}" is not a whole number`);
    snaplen = Number(v.snaplen);
  }
  const raw: unknown = {
    source:
      v.iface !== undefined
        ? { kind: 'iface', iface: v.iface, filter: v.filter, snaplen, promiscuous: v['no-promisc'] ? false : undefined }
        : {
            kind: 'ssh',
            ...parseSshDestination(v.ssh ?? ''),
            remote_iface: v['remote-iface'],
            filter: v.filter,
            sudo: v.sudo,
            snaplen,
            known_hosts_file: v['known-hosts'] && resolve(v['known-hosts']),
            host_key_fingerprint: v['host-key-fingerprint'],
            identity_file: v.identity && resolve(v.identity),
          },
    max_store_bytes: v['max-store'] !== undefined ? parseSizeArg(v['max-store'], 'max-store') : undefined,
    max_age_sec: v['max-age'] !== undefined ? Math.ceil(parseDurationArg(v['max-age'], 'max-age')) : undefined,
  };
  if (v.ssh !== undefined && v['remote-iface'] === undefined) throw new UsageError('--ssh needs --remote-iface NAME');
  const r = StartCaptureSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new UsageError(`capture: ${i.path.join('.')}: ${i.message}`);
  }
  return r.data;
}
