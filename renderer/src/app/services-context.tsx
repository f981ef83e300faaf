/** The window's services for components, and typed hooks into each store. */
import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { FlowsActions, FlowsState } from '../flows/flows-store.js';
import type { ImportActions, ImportState } from '../import/import-store.js';
import type { PayloadState } from '../payload/payload-store.js';
import type { RankingState } from '../ranking/ranking-store.js';
import type { SensorsState } from '../settings/sensors-store.js';
import type { SettingsState } from '../settings/settings-store.js';
import type { StatsState } from '../store-panel/stats-store.js';
import type { FilesPageState } from '../files-page/files-page-store.js';
import type { HistoricalState } from '../historical/historical-store.js';
import type { RealtimeState } from '../realtime/realtime-store.js';
import type { AppState } from './app-store.js';
import type { Services } from './services.js';

const ServicesContext = createContext<Services | null>(null);

export function ServicesProvider({ services, children }: { services: Services; children: ReactNode }) {
  return <ServicesContext.Provider value={services}>{children}</ServicesContext.Provider>;
}

export function useServices(): Services {
  const s = useContext(ServicesContext);
  if (!s) throw new Error('useServices outside ServicesProvider');
  return s;
}

export function useApp<T>(select: (s: AppState) => T): T {
  return useStore(useServices().app, select);
}
export function useFlows<T>(select: (s: FlowsState & FlowsActions) => T): T {
  return useStore(useServices().flows, select);
}
export function useImports<T>(select: (s: ImportState & ImportActions) => T): T {
  return useStore(useServices().imports, select);
}
export function useSettings<T>(select: (s: SettingsState) => T): T {
  return useStore(useServices().settings, select);
}
export function useStats<T>(select: (s: StatsState) => T): T {
  return useStore(useServices().stats, select);
}
export function useRanking<T>(select: (s: RankingState) => T): T {
  return useStore(useServices().ranking, select);
}
export function usePayload<T>(select: (s: PayloadState) => T): T {
  return useStore(useServices().payload, select);
}
export function useSensors<T>(select: (s: SensorsState) => T): T {
  return useStore(useServices().sensors, select);
}
export function useRealtime<T>(select: (s: RealtimeState) => T): T {
  return useStore(useServices().realtime, select);
}
export function useHistorical<T>(select: (s: HistoricalState) => T): T {
  return useStore(useServices().historical, select);
}
export function useFilesPage<T>(select: (s: FilesPageState) => T): T {
  return useStore(useServices().files, select);
}
