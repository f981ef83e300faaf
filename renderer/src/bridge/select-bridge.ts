/**
 * Picks the bridge for this window: the Electron preload's IPC bridge when it exposed one, else
 * the HTTP + WebSocket bridge to the server that served this page.
 */
import type { Bridge } from '../../../common/bridge/bridge.js';
import { HttpBridge } from './http-bridge.js';
import type { SocketLike } from './live-socket.js';
import { ValidatedBridge, looksLikeBridge } from './validated-bridge.js';
import { WorkerLiveIntake, type LiveIntakeFactory } from './worker-intake.js';

declare global {
  interface Window {
    /** Set by the Electron preload through contextBridge. Unknown until checked. */
    readonly taplineBridge?: unknown;
  }
}

function startDownload(url: string, filename: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
}

/** Adapts the DOM WebSocket to the small callback interface LiveSocket is written against. */
function openSocket(url: string): SocketLike {
  const ws = new WebSocket(url);
  const s: SocketLike = { onopen: null, onmessage: null, onclose: null, onerror: null, close: (code, reason) => ws.close(code, reason) };
  ws.onopen = (ev) => s.onopen?.(ev);
  ws.onmessage = (ev: MessageEvent<unknown>) => s.onmessage?.({ data: ev.data });
  ws.onclose = (ev) => s.onclose?.({ code: ev.code, reason: ev.reason });
  ws.onerror = (ev) => s.onerror?.(ev);
  return s;
}

/**
 * Live batches are parsed and validated in a Web Worker (live-check.worker.ts); where none can
 * start (no Worker, an origin that cannot load one) they are checked in the page as before.
 */
const liveIntake: LiveIntakeFactory = (cb) => {
  let worker: Worker | null = null;
  try {
    worker = new Worker(new URL('./live-check.worker.ts', import.meta.url), { type: 'module', name: 'tapline-live-check' });
  } catch {
    worker = null;
  }
  const intake = new WorkerLiveIntake(worker, cb);
  if (worker) {
    worker.onmessage = (ev: MessageEvent<unknown>) => intake.handleReply(ev.data);
    worker.onerror = (ev: ErrorEvent) => {
      ev.preventDefault();
      intake.handleFailure();
    };
  }
  return intake;
};

export function selectBridge(): Bridge {
  if (looksLikeBridge(window.taplineBridge)) return new ValidatedBridge(window.taplineBridge, undefined, liveIntake);
  return new HttpBridge({
    origin: window.location.origin,
    fetch: (url, init) => window.fetch(url, init),
    openSocket,
    startDownload,
    setTimer: (fn, ms) => window.setTimeout(fn, ms),
    clearTimer: (h) => window.clearTimeout(h as number),
    now: () => Date.now(),
    random: () => Math.random(),
    liveIntake,
  });
}
