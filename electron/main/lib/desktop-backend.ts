/**
 * The desktop app's back end, without Electron: the services on a store, plus the local HTTP API
 * on loopback — the same server as `tapline serve` (electron/server/), plain HTTP on 127.0.0.1,
 * with the store's token (STORE/serve-token) — so SIEM CapMe URLs, the REST API and scripts work
 * against the desktop app. main.ts runs it; tests/integration/desktop-backend.test.ts drives it.
 *
 * The API is a convenience: when it cannot start (token file refused, no loopback), the app
 * still works over IPC and Bridge.pcapUrl falls back to tapline:// links.
 */
import { join } from 'node:path';
import { loadToken } from '../../server/auth.js';
import { TaplineServer } from '../../server/server.js';
import { TaplineServices } from '../../services/tapline-services.js';

export { DEFAULT_API_PORT } from './settings.js';
export const LOOPBACK_HOST = '127.0.0.1';

export interface DesktopBackendOptions {
  storeDir: string;
  /** The port the API prefers (settings; default 7880); a taken port falls back to an ephemeral one. 0: always ephemeral. */
  apiPort: number;
  sensorId?: string;
  /** The built renderer the API also serves (default: the server's default, dist/renderer). */
  staticDir?: string;
  log: (line: string) => void;
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | null)?.code;
}

/**
 * Starts the API for services on 127.0.0.1: the preferred port, else (taken, or not allowed) an
 * ephemeral one. Null, with the reason logged, when it cannot start at all.
 */
export async function startLoopbackApi(
  services: TaplineServices,
  opts: Pick<DesktopBackendOptions, 'storeDir' | 'apiPort' | 'staticDir' | 'log'>,
): Promise<TaplineServer | null> {
  let token: string;
  try {
    token = (await loadToken({ defaultPath: join(opts.storeDir, 'serve-token') })).token;
  } catch (e) {
    opts.log(`local API not started: ${(e as Error).message}`);
    return null;
  }
  const start = (port: number): Promise<TaplineServer> =>
    TaplineServer.start({ services, storeDir: opts.storeDir, host: LOOPBACK_HOST, port, token, tls: null, staticDir: opts.staticDir, log: opts.log });
  try {
    return await start(opts.apiPort);
  } catch (e) {
    const code = errno(e);
    if (opts.apiPort !== 0 && (code === 'EADDRINUSE' || code === 'EACCES')) {
      try {
        const s = await start(0);
        opts.log(`port ${opts.apiPort} is ${code === 'EADDRINUSE' ? 'taken' : 'not allowed'}: the local API listens on ${s.url} instead`);
        return s;
      } catch (e2) {
        opts.log(`local API not started: ${(e2 as Error).message}`);
        return null;
      }
    }
    opts.log(`local API not started: ${(e as Error).message}`);
    return null;
  }
}

export class DesktopBackend {
  private constructor(
    private currentServices: TaplineServices,
    private currentApi: TaplineServer | null,
    private dir: string,
    private readonly opts: DesktopBackendOptions,
  ) {}

  /** Opens the services (throws when the store cannot be opened), restores sensors, starts the API. */
  static async open(opts: DesktopBackendOptions): Promise<DesktopBackend> {
    const services = await TaplineServices.open({ storeDir: opts.storeDir, sensorId: opts.sensorId, log: opts.log });
    const backend = new DesktopBackend(services, null, opts.storeDir, opts);
    await backend.restore(services);
    backend.currentApi = await startLoopbackApi(services, { ...opts, storeDir: opts.storeDir });
    if (backend.currentApi) opts.log(`local API on ${backend.currentApi.url}`);
    return backend;
  }

  private async restore(services: TaplineServices): Promise<void> {
    // the IPC bridge needs the saved remote sensors even when the API does not start
    await services.restoreSensors().catch((e: unknown) => this.opts.log(`remote sensors not restored: ${(e as Error).message}`));
  }

  get services(): TaplineServices {
    return this.currentServices;
  }

  get storeDir(): string {
    return this.dir;
  }

  get api(): TaplineServer | null {
    return this.currentApi;
  }

  /** http://127.0.0.1:PORT of the loopback API, or null when it is not running (BackendInfo.api_base). */
  get apiBase(): string | null {
    return this.currentApi?.url ?? null;
  }

  /**
   * Moves to another store: the new services open first (a failure leaves everything as it was),
   * then the API restarts on them (the preferred port again, freed by the old API), then the old
   * services close.
   */
  async switchStore(storeDir: string): Promise<void> {
    const next = await TaplineServices.open({ storeDir, sensorId: this.opts.sensorId, log: this.opts.log });
    const old = this.currentServices;
    const oldApi = this.currentApi;
    this.currentServices = next;
    this.dir = storeDir;
    this.currentApi = null;
    await oldApi?.close(1000).catch((e: unknown) => this.opts.log(`closing the local API: ${(e as Error).message}`));
    await this.restore(next);
    // the port in the settings again, so CapMe URLs copied before keep working when it is free
    this.currentApi = await startLoopbackApi(next, { ...this.opts, storeDir });
    await old.close().catch((e: unknown) => this.opts.log(`closing the previous store: ${(e as Error).message}`));
  }

  async close(): Promise<void> {
    const api = this.currentApi;
    this.currentApi = null;
    await api?.close(1000).catch((e: unknown) => this.opts.log(`closing the local API: ${(e as Error).message}`));
    await this.currentServices.close();
  }
}
