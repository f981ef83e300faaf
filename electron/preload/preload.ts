/**
 * The preload: runs in the sandboxed renderer's isolated world and gives the page exactly one
 * object, window.taplineBridge, implementing the Bridge contract (common/bridge/bridge.ts) over
 * ipcRenderer.invoke/on. Nothing else is exposed: no ipcRenderer, no Node, no Electron module.
 * Every reply and pushed message is validated here (the main process validates every call).
 * Bundled by build/scripts/bundle-preload.mjs into dist/electron/preload/preload.cjs: a sandboxed
 * preload is CommonJS and can require only `electron` (and a few polyfills), so zod and the
 * schemas are bundled in.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { z } from 'zod';
import { BridgeCallError, filePath, type Bridge, type DownloadResult, type ImportFile, type Unsubscribe } from '../../common/bridge/bridge.js';
import { SliceTargetSchema, type EventBatch, type SliceTarget } from '../../common/bridge/messages.js';
import { APP_ORIGIN, BRIDGE_GLOBAL } from '../main/lib/app-identity.js';
import { apiBaseFromArgv, loopbackApiBase } from '../main/lib/argv.js';
import { pcapUrlFor } from '../main/lib/deep-link.js';
import {
  bridgeErrorMessage,
  EventPushSchema,
  IPC_CHANNELS,
  OpenFlowPushSchema,
  parseIpcReply,
  PUSH_CHANNELS,
  type IpcCall,
  type IpcResult,
} from '../main/lib/ipc-contract.js';

// zod compiles fast paths with new Function(); the page's CSP has no 'unsafe-eval', so skip even
// the probe (a refused probe is still reported as a CSP violation).
z.config({ jitless: true });

/** The desktop bridge: the Bridge plus the one desktop-only event, deep links opening a flow. */
export interface DesktopBridge extends Bridge {
  /** Called with the target of a tapline:// link (also one that arrived before the page subscribed). */
  onOpenFlow(handler: (target: SliceTarget) => void): Unsubscribe;
}

async function call<C extends IpcCall>(c: C, ...args: unknown[]): Promise<IpcResult<C>> {
  const reply: unknown = await ipcRenderer.invoke(IPC_CHANNELS[c], ...args);
  const r = parseIpcReply(c, reply);
  if (!r.ok) throw new BridgeCallError(bridgeErrorMessage(r), r.hint, r.status);
  return r.value;
}

/** The path of a picked or dropped file; files not on this computer cannot be imported in place. */
function pathOf(file: ImportFile): string {
  let path = '';
  try {
    // a DOM File from the page; webUtils throws for anything else
    path = webUtils.getPathForFile(file as unknown as File);
  } catch {
    path = '';
  }
  if (!path) throw new BridgeCallError(`${String(file?.name ?? 'this file')} is not a file on this computer`, 'pick it with File › Import captures… or drop it from the file manager');
  return path;
}

// ---- live events: one IPC listener, routed by subscription id ----
const handlers = new Map<number, (batch: EventBatch) => void>();
/** Batches that arrived before their subscription id did (bounded). */
const early = new Map<number, EventBatch[]>();

ipcRenderer.on(PUSH_CHANNELS.events, (_event, ...args: unknown[]) => {
  const r = EventPushSchema.safeParse(args);
  if (!r.success) {
    console.warn('tapline: dropped a malformed event batch from the main process');
    return;
  }
  const [id, batch] = r.data;
  const h = handlers.get(id);
  if (h) h(batch);
  else {
    const q = early.get(id) ?? [];
    if (q.length < 16 && early.size < 16) early.set(id, [...q, batch]);
  }
});

// ---- deep links: the latest target waits until the page listens ----
const openFlowHandlers = new Set<(target: SliceTarget) => void>();
let pendingOpenFlow: SliceTarget | null = null;

ipcRenderer.on(PUSH_CHANNELS.openFlow, (_event, ...args: unknown[]) => {
  const r = OpenFlowPushSchema.safeParse(args);
  if (!r.success) {
    console.warn('tapline: dropped a malformed open-flow request from the main process');
    return;
  }
  if (openFlowHandlers.size === 0) pendingOpenFlow = r.data[0];
  for (const h of openFlowHandlers) h(r.data[0]);
});

/**
 * The loopback API's base URL: from the command line the window was created with, then from every
 * info() reply (the API moves to another port when the store is switched and its port is taken).
 */
let apiBase = apiBaseFromArgv(process.argv);

const bridge: DesktopBridge = {
  info: async () => {
    const info = await call('info');
    apiBase = loopbackApiBase(info.api_base);
    return info;
  },
  searchFlows: (q) => call('searchFlows', q),
  searchEvents: (q) => call('searchEvents', q),
  stats: () => call('stats'),
  importCaptures: async (files) => {
    if (!Array.isArray(files)) throw new BridgeCallError('importCaptures takes a list of files');
    return call('importCaptures', files.map(pathOf));
  },
  downloadPcap: (target): Promise<DownloadResult> => call('downloadPcap', target),
  pcapUrl: (target) => {
    const t = SliceTargetSchema.safeParse(target);
    if (!t.success) throw new BridgeCallError('pcapUrl: not a slice target (a flow id, or sip and dip)');
    return pcapUrlFor(t.data, apiBase);
  },
  followStream: (flowId, opts) => call('followStream', flowId, { sensor: opts?.sensor, maxBytes: opts?.maxBytes }),
  flowFiles: (flowId, opts) => call('flowFiles', flowId, { sensor: opts?.sensor }),
  // carved files come from the app's own scheme (app-file-route.ts): same origin as the page, no token
  fileUrl: (sha256, opts) => `${APP_ORIGIN}${filePath(sha256, opts)}`,
  subscribe: (onBatch, opts) => {
    if (typeof onBatch !== 'function') throw new BridgeCallError('subscribe takes a callback');
    let id: number | null = null;
    let cancelled = false;
    const since = opts?.since;
    call('subscribe', since === undefined ? {} : { since })
      .then((sid) => {
        if (cancelled) {
          void call('unsubscribe', sid).catch(() => undefined);
          return;
        }
        id = sid;
        handlers.set(sid, onBatch);
        for (const b of early.get(sid) ?? []) onBatch(b);
        early.delete(sid);
      })
      .catch((e: unknown) => console.error(`tapline: live events unavailable: ${(e as Error).message}`));
    return () => {
      cancelled = true;
      if (id === null) return;
      handlers.delete(id);
      void call('unsubscribe', id).catch(() => undefined);
      id = null;
    };
  },
  listSensors: () => call('listSensors'),
  addSensor: (input) => call('addSensor', input),
  removeSensor: async (id) => {
    await call('removeSensor', id);
  },
  listClasses: () => call('listClasses'),
  createClass: (c) => call('createClass', c),
  updateClass: (id, c) => call('updateClass', id, c),
  deleteClass: async (id) => {
    await call('deleteClass', id);
  },
  listThreatLists: () => call('listThreatLists'),
  createThreatList: (l) => call('createThreatList', l),
  updateThreatList: (id, l) => call('updateThreatList', id, l),
  deleteThreatList: async (id) => {
    await call('deleteThreatList', id);
  },
  listInterfaces: (opts) => (opts ? call('listInterfaces', opts) : call('listInterfaces')),
  startCapture: (req) => call('startCapture', req),
  stopCapture: (id, opts) => (opts ? call('stopCapture', id, opts) : call('stopCapture', id)),
  captureStatus: (opts) => (opts ? call('captureStatus', opts) : call('captureStatus')),
  captureGaps: (opts) => (opts ? call('captureGaps', opts) : call('captureGaps')),
  onOpenFlow: (handler) => {
    if (typeof handler !== 'function') throw new BridgeCallError('onOpenFlow takes a callback');
    openFlowHandlers.add(handler);
    if (pendingOpenFlow !== null) {
      const t = pendingOpenFlow;
      pendingOpenFlow = null;
      handler(t);
    }
    return () => {
      openFlowHandlers.delete(handler);
    };
  },
};

contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, bridge);
