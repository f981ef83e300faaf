/**
 * Bench-only page hooks for the UI benchmark (never part of the app): installed with
 * page.addInitScript before the app loads. `installBenchBridge` puts a stand-in for the Electron
 * preload's `window.taplineBridge` whose live stream delivers synthetic flow events — at a fixed
 * rate for a while, or a fixed total as fast as the app takes them — through the renderer's own
 * validation, stores and archive. `installPerfProbe` records long tasks from the first moment.
 * Both run inside the page: no imports, only what the function bodies define.
 */

export interface BenchStreamPlan {
  /** 'rate': `rate` events/s for `seconds` (100 ms batches, as the back end's bus sends them); 'bulk': `total` events in batches of 5,000. */
  mode: 'rate' | 'bulk';
  rate: number;
  seconds: number;
  total: number;
  /** Start only when the page sets window.__benchGo = true (so the view can be prepared first). */
  waitForGo: boolean;
}

export interface BenchPageState {
  delivered: number;
  done: boolean;
  startedAt: number;
  finishedAt: number;
  /** Batches that were due but late by more than one interval (the page could not keep up). */
  lateBatches: number;
}

export interface PerfProbe {
  longTasks: { start: number; duration: number }[];
}

interface BenchGlobals {
  taplineBridge?: unknown;
  __bench?: BenchPageState;
  __benchGo?: boolean;
  __perf?: PerfProbe;
}

export function installPerfProbe(): void {
  const g = globalThis as unknown as BenchGlobals & { PerformanceObserver: typeof PerformanceObserver };
  const probe: PerfProbe = { longTasks: [] };
  g.__perf = probe;
  try {
    new g.PerformanceObserver((list) => {
      for (const e of list.getEntries()) probe.longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask' as never, buffered: true });
  } catch {
    // no Long Tasks API: the report says so (longTasks stays empty and `supported` is checked separately)
  }
}

export function installBenchBridge(plan: BenchStreamPlan): void {
  const g = globalThis as unknown as BenchGlobals;
  const state: BenchPageState = { delivered: 0, done: false, startedAt: 0, finishedAt: 0, lateBatches: 0 };
  g.__bench = state;
  const flow = (i: number) => {
    // live load: 40,000 clients (rows aggregate); bulk: one client per flow (a row per flow)
    const c = plan.mode === 'bulk' ? i : i % 40_000;
    return {
      id: `0123456789ab-${i}`,
      sensor: 'bench',
      kind: 'ip',
      proto: i % 4 === 0 ? 17 : 6,
      client_ip: plan.mode === 'bulk' ? `10.${(c >> 16) & 255}.${(c >> 8) & 255}.${c & 255}` : `10.${(c >> 8) & 255}.${c & 255}.${(i >> 16) & 255}`,
      client_port: 1024 + (i % 60_000),
      server_ip: `192.0.2.${i % 200}`,
      server_port: i % 4 === 0 ? 53 : [443, 80, 22, 25][i % 4],
      first_ts: `${1_700_000_000 + Math.floor(i / 100)}.${String((i % 100) * 10_000_000).padStart(9, '0')}`,
      last_ts: `${1_700_000_001 + Math.floor(i / 100)}.000000000`,
      packets: 10 + (i % 90),
      bytes: 1000 + (i % 100_000),
      client_packets: 5,
      client_bytes: 400,
      server_packets: 5 + (i % 90),
      server_bytes: 600 + (i % 100_000),
      community_id: null,
      vlan: null,
      tcp_flags: i % 4 === 0 ? null : 27,
      icmp_type: null,
      icmp_code: null,
      l2_type: null,
      fragmented: false,
      note: null,
      rank: 0,
      classes: [],
    };
  };
  const event = (i: number) => ({ kind: 'flow', id: `e${i}`, sensor: 'bench', ts: `${1_700_000_000 + Math.floor(i / 100)}.5`, rank: (i % 21) - 10, flow: flow(i) });
  const notHere = async () => {
    throw new Error('not available in the UI benchmark');
  };
  g.taplineBridge = {
    info: async () => ({ version: 'ui-bench', sensors: [{ id: 'bench', name: 'Bench', url: null, status: 'connected', message: null }], api_base: null }),
    searchFlows: async () => [],
    searchEvents: async () => [],
    stats: async () => [],
    importCaptures: async () => [],
    downloadPcap: async () => ({ saved: null }),
    pcapUrl: () => 'about:blank',
    followStream: notHere,
    flowFiles: async () => [],
    fileUrl: () => 'about:blank',
    listSensors: async () => [],
    addSensor: notHere,
    removeSensor: async () => undefined,
    listClasses: async () => [],
    createClass: notHere,
    updateClass: notHere,
    deleteClass: async () => undefined,
    listThreatLists: async () => [],
    createThreatList: notHere,
    updateThreatList: notHere,
    deleteThreatList: async () => undefined,
    listInterfaces: async () => [],
    startCapture: notHere,
    stopCapture: notHere,
    captureStatus: async () => [],
    captureGaps: async () => ({ gaps: [], total: 0, unreadableLines: 0 }),
    subscribe: (cb: (batch: unknown) => void) => {
      let i = 0;
      let seq = 0;
      const send = (n: number) => {
        const events = [];
        for (let k = 0; k < n; k++, i++) events.push(event(i));
        seq += events.length;
        cb({ seq, events, missed: 0 });
        state.delivered = i;
      };
      const start = () => {
        state.startedAt = performance.now();
        if (plan.mode === 'bulk') {
          const step = () => {
            send(Math.min(5000, plan.total - i));
            if (i < plan.total) setTimeout(step, 0);
            else {
              state.done = true;
              state.finishedAt = performance.now();
            }
          };
          setTimeout(step, 0);
          return;
        }
        // fixed rate: a batch every 100 ms, on schedule; a late timer sends what was due
        const perBatch = Math.round(plan.rate / 10);
        const batches = plan.seconds * 10;
        let sent = 0;
        const tick = () => {
          const due = Math.min(batches, Math.floor((performance.now() - state.startedAt) / 100) + 1);
          if (due - sent > 1) state.lateBatches += due - sent - 1;
          while (sent < due) {
            send(perBatch);
            sent++;
          }
          if (sent < batches) setTimeout(tick, Math.max(0, state.startedAt + sent * 100 - performance.now()));
          else {
            state.done = true;
            state.finishedAt = performance.now();
          }
        };
        tick();
      };
      if (!plan.waitForGo) setTimeout(start, 50);
      else {
        const wait = () => (g.__benchGo ? start() : setTimeout(wait, 20));
        wait();
      }
      return () => undefined;
    },
  };
}
