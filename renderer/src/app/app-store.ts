/**
 * Window-wide state: the back end's info, the live connection, whether the session was lost
 * (401 anywhere), the current view, and the notices shown as toasts.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { BackendInfo } from '../../../common/bridge/messages.js';
import type { ConnectionState } from '../bridge/capabilities.js';

export type ViewId = 'realtime' | 'flows' | 'historical' | 'files' | 'store' | 'settings';

export interface Notice {
  id: number;
  level: 'info' | 'success' | 'warning' | 'error';
  text: string;
  hint?: string | null;
  /** Sticky notices stay until dismissed. */
  sticky: boolean;
}

export interface AppState {
  view: ViewId;
  info: BackendInfo | null;
  infoError: { message: string; hint: string | null } | null;
  connection: ConnectionState;
  /** The server said 401: show the log-in message until a request succeeds again. */
  loggedOut: boolean;
  notices: Notice[];
  setView(v: ViewId): void;
  setInfo(info: BackendInfo | null, error?: { message: string; hint: string | null } | null): void;
  setConnection(s: ConnectionState): void;
  setLoggedOut(v: boolean): void;
  notify(n: Omit<Notice, 'id' | 'sticky'> & { sticky?: boolean }): number;
  dismiss(id: number): void;
  /** A sensor's display name. */
  sensorName(id: string): string;
}

export type AppStore = StoreApi<AppState>;

const MAX_NOTICES = 5;

export function createAppStore(): AppStore {
  let nextId = 0;
  return createStore<AppState>()((set, get) => ({
    view: 'flows',
    info: null,
    infoError: null,
    connection: { kind: 'connecting' },
    loggedOut: false,
    notices: [],
    setView: (view) => set({ view }),
    setInfo: (info, error = null) => set({ info, infoError: error }),
    setConnection: (connection) =>
      set((s) => ({
        connection,
        loggedOut: connection.kind === 'logged-out' ? true : connection.kind === 'connected' ? false : s.loggedOut,
      })),
    setLoggedOut: (loggedOut) => set({ loggedOut }),
    notify: (n) => {
      const id = ++nextId;
      const notice: Notice = { sticky: n.level === 'error', ...n, id };
      set((s) => ({ notices: [...s.notices.filter((x) => x.text !== n.text), notice].slice(-MAX_NOTICES) }));
      return id;
    },
    dismiss: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
    sensorName: (id) => get().info?.sensors.find((s) => s.id === id)?.name || id,
  }));
}
