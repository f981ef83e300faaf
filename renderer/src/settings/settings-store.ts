/** Preferences that outlive the window: time zone and theme, kept in localStorage. */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { createJSONStorage, persist } from 'zustand/middleware';
import { LOCAL_ZONE, isValidZone } from '../format/time.js';

export type Theme = 'dark' | 'light';

export interface SettingsState {
  timeZone: string;
  theme: Theme;
  setTimeZone(zone: string): void;
  setTheme(theme: Theme): void;
}

export type SettingsStore = StoreApi<SettingsState>;

export const SETTINGS_KEY = 'tapline.settings';

export function createSettingsStore(): SettingsStore {
  return createStore<SettingsState>()(
    persist(
      (set) => ({
        timeZone: LOCAL_ZONE,
        theme: 'dark',
        setTimeZone: (zone) => {
          if (isValidZone(zone)) set({ timeZone: zone });
        },
        setTheme: (theme) => set({ theme }),
      }),
      {
        name: SETTINGS_KEY,
        version: 1,
        storage: createJSONStorage(() => window.localStorage),
        partialize: (s) => ({ timeZone: s.timeZone, theme: s.theme }),
        // A zone this browser no longer knows (or a hand-edited value) falls back to local time.
        merge: (persisted, current) => {
          const p = (persisted ?? {}) as Partial<Pick<SettingsState, 'timeZone' | 'theme'>>;
          return {
            ...current,
            timeZone: typeof p.timeZone === 'string' && isValidZone(p.timeZone) ? p.timeZone : current.timeZone,
            theme: p.theme === 'light' || p.theme === 'dark' ? p.theme : current.theme,
          };
        },
      },
    ),
  );
}

/** Puts the theme on <html data-theme> (the stylesheet's variables key off it). */
export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
  document.documentElement.style.colorScheme = theme;
}
