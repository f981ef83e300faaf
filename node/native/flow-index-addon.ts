/**
 * The flow-index addon (native/flow-index): the live writer's indexing of packets of existing
 * flows in C, on a FlowTable's own columns (see native/flow-index/src/flow_stretch.h for what it
 * does and where it stops). Loaded through loadNativeAddon, so a missing or stale build, or
 * TAPLINE_NATIVE=0, yields a reason and the writer indexes every packet in TypeScript.
 */
import type { FlowTableNativeColumns } from '../../common/flow/flow-table.js';
import { loadNativeAddon, type NativeAddonLoad } from './native-addon.js';

/** The batch record and FlowTable layout this code expects of the addon (flow_index_addon.c LAYOUT_VERSION). */
export const FLOW_INDEX_LAYOUT_VERSION = 1;

/** Words of a context's in/out array, in flow_stretch.h's FS_IO_* order. */
export const FlowIndexIo = {
  base: 0,
  limit: 1,
  nextBlock: 2,
  packets: 3,
  origBytes: 4,
  newestRawSec: 5,
  firstSec: 6,
  firstNsec: 7,
  lastSec: 8,
  lastNsec: 9,
  words: 10,
} as const;

/** A context (an external): one bound table, one batch, one in/out array. */
export type FlowIndexContext = { readonly __flowIndexContext: unique symbol };

export interface FlowIndexAddon {
  layoutVersion(): number;
  createContext(io: Float64Array): FlowIndexContext;
  bindTable(ctx: FlowIndexContext, columns: FlowTableNativeColumns): void;
  setBatch(ctx: FlowIndexContext, batch: Uint8Array): void;
  /** Indexes batch records from `at` (see flow_stretch.h); returns the first record not taken. */
  run(ctx: FlowIndexContext, at: number, len: number): number;
}

const FUNCTIONS = ['layoutVersion', 'createContext', 'bindTable', 'setBatch', 'run'] as const;

function isFlowIndexAddon(m: unknown): m is FlowIndexAddon {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  return FUNCTIONS.every((f) => typeof o[f] === 'function') && (o.layoutVersion as () => unknown)() === FLOW_INDEX_LAYOUT_VERSION;
}

export function loadFlowIndexAddon(): NativeAddonLoad<FlowIndexAddon> {
  return loadNativeAddon('flow-index', 'tapline_flow_index', isFlowIndexAddon);
}
