/**
 * Remote sensors the user added (through the serve API or the desktop app's Settings), persisted
 * in STORE/sensors.json (mode 0600: it holds their tokens) and restored when the services start.
 * One implementation for `serve` and the desktop: both reach it through TaplineServices.
 */
import type { AddSensor, Sensor } from '../../common/bridge/messages.js';
import { Mutex } from './mutex.js';
import { PinMismatchError, RemoteAuthError, checkEndpoint, normalizeFingerprint } from './remote-client.js';
import { RemoteSensor } from './remote-sensor.js';
import { ServiceError, type SensorBackend } from './sensor-backend.js';
import { loadSensorConfig, saveSensorConfig, type RemoteSensorConfig } from './sensor-config.js';

/** What the registry needs from the services (kept narrow: the services own the registry). */
export interface SensorHost {
  readonly localId: string;
  sensorIds(): string[];
  attach(s: SensorBackend): void;
  detach(id: string): Promise<void>;
  log(line: string): void;
}

export class SensorRegistry {
  private configs: RemoteSensorConfig[] = [];
  private readonly lock = new Mutex();
  private restored: Promise<void> | null = null;

  constructor(
    private readonly host: SensorHost,
    private readonly storeDir: string,
    private readonly make: (c: RemoteSensorConfig) => RemoteSensor,
  ) {}

  /**
   * Restores the saved sensors (they connect in the background). Once per services: serve and the
   * desktop's loopback API both ask, and a second restore must not register them twice.
   */
  restore(): Promise<void> {
    this.restored ??= this.lock.run(async () => {
      this.configs = await loadSensorConfig(this.storeDir);
      for (const c of this.configs) {
        try {
          const r = this.make(c);
          this.host.attach(r);
          r.start();
        } catch (e) {
          // one bad entry must not keep the others (or the server) down
          this.host.log(`sensor ${c.id} not restored: ${(e as Error).message}`);
        }
      }
    });
    return this.restored;
  }

  /**
   * Adds a sensor after one probe: a wrong fingerprint or token is refused at once; an
   * unreachable sensor is added and keeps retrying (it may be switched on later).
   */
  async add(input: AddSensor): Promise<Sensor> {
    // the saved list is loaded first so a save cannot drop it; a damaged sensors.json fails here
    // (with the file's name and what to do) instead of being overwritten
    await this.restore();
    return this.lock.run(async () => {
      const fingerprint = input.fingerprint ? normalizeFingerprint(input.fingerprint) : null;
      if (input.fingerprint && !fingerprint) throw new ServiceError('fingerprint: not a SHA-256 fingerprint (64 hex digits, colons optional)', 400);
      const problem = checkEndpoint(input.url, fingerprint);
      if (problem) throw new ServiceError(`url: ${problem}`, 400);
      const url = new URL(input.url).origin;
      if (this.host.sensorIds().includes(input.id)) throw new ServiceError(`a sensor named ${input.id} is already registered`, 409, 'choose another id, or remove the existing sensor first');
      const config: RemoteSensorConfig = { id: input.id, url, token: input.token, fingerprint };
      const sensor = this.make(config);
      try {
        await sensor.probe();
      } catch (e) {
        const cause = e instanceof ServiceError ? e.cause : undefined;
        if (cause instanceof PinMismatchError || cause instanceof RemoteAuthError) {
          await sensor.close();
          // the fingerprint or token given is wrong: the caller's input, hence 400
          throw new ServiceError((e as ServiceError).message, 400, (e as ServiceError).hint);
        }
        this.host.log(`sensor ${input.id}: not reachable yet (${(e as Error).message}); added, retrying in the background`);
      }
      this.host.attach(sensor);
      this.configs = [...this.configs, config];
      try {
        await saveSensorConfig(this.storeDir, this.configs);
      } catch (e) {
        this.configs = this.configs.filter((c) => c.id !== input.id);
        await this.host.detach(input.id).catch(() => undefined);
        throw e;
      }
      sensor.start();
      return sensor.describe();
    });
  }

  async remove(id: string): Promise<void> {
    await this.restore();
    return this.lock.run(async () => {
      if (id === this.host.localId) throw new ServiceError(`${id} is this instance's own store; it cannot be removed`, 400);
      await this.host.detach(id);
      this.configs = this.configs.filter((c) => c.id !== id);
      await saveSensorConfig(this.storeDir, this.configs);
    });
  }
}
