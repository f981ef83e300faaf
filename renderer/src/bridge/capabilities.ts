/**
 * What some bridges can tell beyond the Bridge contract: the state of a network link (HTTP bridge)
 * and upload progress (only the HTTP bridge uploads). The UI asks for them with the guards below
 * and does without them otherwise (Electron's IPC bridge has no link to lose and no upload).
 */
import type { Bridge, ImportFile, Unsubscribe } from '../../../common/bridge/bridge.js';
import type { ImportResult } from '../../../common/bridge/messages.js';
import type { ServerFile } from '../../../common/bridge/server-files.js';

export type ConnectionState =
  /** No network between UI and back end (Electron IPC). */
  | { kind: 'local' }
  | { kind: 'connecting' }
  | { kind: 'connected' }
  /** The link dropped; the next attempt is at retryAt (epoch ms). */
  | { kind: 'reconnecting'; attempt: number; retryAt: number; reason: string }
  /** The server answered 401: the session cookie is gone or expired. */
  | { kind: 'logged-out' };

export interface ConnectionSource {
  connectionState(): ConnectionState;
  onConnectionChange(cb: (s: ConnectionState) => void): Unsubscribe;
}

/** One step of moving a file to the back end before it is indexed. */
export interface TransferProgress {
  file: ImportFile;
  phase: 'uploading' | 'indexing';
  sent: number;
  total: number;
}

export interface TransferSource {
  onTransferProgress(cb: (p: TransferProgress) => void): Unsubscribe;
}

/** Live messages that failed validation and were dropped, so the UI can say so. */
export interface RejectionSource {
  onRejected(cb: (detail: string) => void): Unsubscribe;
}

/** Captures already on the server (serve --import-dir), imported in place without an upload. */
export interface ServerFileSource {
  /** The files offered; rejects (404) when the server has no import directory. */
  listServerFiles(): Promise<ServerFile[]>;
  importServerFile(name: string): Promise<ImportResult>;
}

export function hasServerFileSource(b: Bridge): b is Bridge & ServerFileSource {
  const s = b as Partial<ServerFileSource>;
  return typeof s.listServerFiles === 'function' && typeof s.importServerFile === 'function';
}

export function hasRejectionSource(b: Bridge): b is Bridge & RejectionSource {
  return typeof (b as Partial<RejectionSource>).onRejected === 'function';
}

export function hasConnectionSource(b: Bridge): b is Bridge & ConnectionSource {
  const c = b as Partial<ConnectionSource>;
  return typeof c.connectionState === 'function' && typeof c.onConnectionChange === 'function';
}

export function hasTransferSource(b: Bridge): b is Bridge & TransferSource {
  return typeof (b as Partial<TransferSource>).onTransferProgress === 'function';
}

/** A tiny listener set shared by the capability implementations. */
export class Listeners<T> {
  private readonly set = new Set<(v: T) => void>();

  add(cb: (v: T) => void): Unsubscribe {
    this.set.add(cb);
    return () => {
      this.set.delete(cb);
    };
  }

  emit(v: T): void {
    for (const cb of [...this.set]) cb(v);
  }
}
