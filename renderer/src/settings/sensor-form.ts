/**
 * The "add a sensor" form: id, base URL, token and the pinned certificate fingerprint, checked
 * here with the back end's rules so a mistake is named next to its field.
 */
import { AddSensorSchema, ID_PATTERN, type AddSensor } from '../../../common/bridge/messages.js';

export interface SensorForm {
  id: string;
  url: string;
  token: string;
  fingerprint: string;
}

export type SensorFormErrors = Partial<Record<keyof SensorForm, string>>;

export const EMPTY_SENSOR_FORM: Readonly<SensorForm> = Object.freeze({ id: '', url: '', token: '', fingerprint: '' });

function loopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

export function formToSensor(f: SensorForm): { value: AddSensor } | { errors: SensorFormErrors } {
  const errors: SensorFormErrors = {};
  const id = f.id.trim();
  if (!ID_PATTERN.test(id)) errors.id = 'A short name: letters, digits, . _ - (at most 64).';
  const url = f.url.trim();
  let u: URL | null = null;
  try {
    u = new URL(url);
  } catch {
    errors.url = 'The sensor’s base URL, e.g. https://10.0.0.7:7880';
  }
  if (u) {
    if (u.protocol !== 'https:' && u.protocol !== 'http:') errors.url = 'The URL must start with https:// (or http:// for this machine).';
    else if (u.username || u.password) errors.url = 'No user name or password in the URL: the token is sent separately.';
    else if (u.search || u.hash || (u.pathname !== '/' && u.pathname !== '')) errors.url = 'Only the base URL (scheme, host and port), e.g. https://10.0.0.7:7880';
    else if (u.protocol === 'http:' && !loopback(u.hostname)) errors.url = 'Plain http only to this machine (127.0.0.1); other sensors use https with the fingerprint.';
  }
  const token = f.token.trim();
  if (token.length < 16 || token.length > 1024 || !/^[\x21-\x7e]+$/.test(token)) errors.token = 'The sensor’s token (its STORE/serve-token file): 16 or more characters, no spaces.';
  const fp = f.fingerprint.trim().replace(/^sha256[:=]\s*/i, '');
  if (fp && !/^[0-9A-Fa-f]{64}$/.test(fp.replace(/:/g, ''))) errors.fingerprint = 'The SHA-256 fingerprint tapline serve printed: 64 hex digits, colons optional.';
  else if (!fp && u?.protocol === 'https:') errors.fingerprint = 'An https sensor needs the fingerprint its tapline serve printed (it is pinned).';
  if (Object.keys(errors).length) return { errors };
  const value: AddSensor = { id, url: (u as URL).origin, token, fingerprint: fp || null };
  const r = AddSensorSchema.safeParse(value);
  if (!r.success) return { errors: { url: r.error.issues[0]?.message ?? 'invalid' } };
  return { value };
}
