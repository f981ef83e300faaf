/** The Capture panel's form and its translation to a Bridge StartCapture request. */
import { StartCaptureSchema, type StartCapture } from '../../../common/bridge/capture-messages.js';

export type SourceKind = 'iface' | 'ssh';

export interface CaptureForm {
  kind: SourceKind;
  iface: string;
  destination: string;
  remoteIface: string;
  identityFile: string;
  knownHostsFile: string;
  /** A pinned host key (SHA256:… as ssh-keygen -l prints it), instead of or beside known_hosts. */
  hostKeyFingerprint: string;
  sudo: boolean;
  filter: string;
}

export const EMPTY_FORM: CaptureForm = { kind: 'iface', iface: '', destination: '', remoteIface: '', identityFile: '', knownHostsFile: '', hostKeyFingerprint: '', sudo: false, filter: '' };

/**
 * Is this failure the worker lacking capture privilege (403), which a start allowing
 * administrator rights may overcome? Only for a local interface: an ssh source's privilege is
 * the remote host's.
 */
export function mayRetryElevated(f: CaptureForm, failure: { status: number | null } | null): boolean {
  return f.kind === 'iface' && failure?.status === 403;
}

/** The form as a Bridge request, or the first problem in words (checked by the same schema as the server). */
export function formRequest(f: CaptureForm, opts: { elevate?: boolean } = {}): { ok: true; value: StartCapture } | { ok: false; error: string } {
  const filter = f.filter.trim() || undefined;
  const source =
    f.kind === 'iface'
      ? { kind: 'iface' as const, iface: f.iface, filter }
      : {
          kind: 'ssh' as const,
          destination: f.destination.trim(),
          remote_iface: f.remoteIface.trim(),
          filter,
          sudo: f.sudo || undefined,
          identity_file: f.identityFile.trim() || undefined,
          known_hosts_file: f.knownHostsFile.trim() || undefined,
          host_key_fingerprint: f.hostKeyFingerprint.trim() || undefined,
        };
  // elevate: the sensor may start its packaged worker through pkexec (an administrator password on its screen)
  const r = StartCaptureSchema.safeParse(opts.elevate ? { source, elevate: true } : { source });
  if (r.success) return { ok: true, value: r.data };
  const i = r.error.issues[0];
  const field = String(i.path.at(-1) ?? 'source');
  const names: Record<string, string> = { iface: 'Interface', destination: 'SSH host', remote_iface: 'Remote interface', filter: 'BPF filter', identity_file: 'Key file', known_hosts_file: 'known_hosts file', host_key_fingerprint: 'Host key fingerprint' };
  return { ok: false, error: `${names[field] ?? field}: ${i.message}` };
}
