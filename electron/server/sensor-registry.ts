/**
 * Remote sensors of this serve instance: added and removed through the API, persisted in
 * STORE/sensors.json (mode 0600: it holds their tokens), restored on start.
 */
import type { Sensor } from '../../common/bridge/messages.js';
import { PinMismatchError, RemoteAuthError, checkEndpoint } from '../services/remote-client.js';
import { RemoteSensor } from '../services/remote-sensor.js';
import { ServiceError } from '../services/sensor-backend.js';
import { loadSensorConfig, saveSensorConfig, type RemoteSensorConfig } from '../services/sensor-config.js';
import type { TaplineServices } from '../services/tapline-services.js';
import { Mutex } from './mutex.js';
import { normalizeFingerprint } from './tls.js';

export class SensorRegistry {
  private configs: RemoteSensorConfig[] = [];
  private readonly lock = new Mutex();

  constructor(
    private readonly services: TaplineServices,
    private readonly storeDir: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Restores the saved sensors (they connect in the background). */
  async restore(): Promise<void> {
    this.configs = await loadSensorConfig(this.storeDir);
    for (const c of this.configs) {
      try {
        const r = this.make(c);
        this.services.addSensor(r);
        r.start();
      } catch (e) {
        // one bad entry must not keep the others (or the server) down
        this.log(`sensor ${c.id} not restored: ${(e as Error).message}`);
      }
    }
  }

  private make(c: RemoteSensorConfig): RemoteSensor {
    return new RemoteSensor({ id: c.id, url: c.url, token: c.token, fingerprint: c.fingerprint, bus: this.services.bus, log: this.log });
  }

  /**
   * Adds a sensor after one probe: a wrong fingerprint or token is refused at once; an
   * unreachable sensor is added and keeps retrying (it may be switched on later).
   */
  async add(input: { id: string; url: string; token: string; fingerprint?: string | null }): Promise<Sensor> {
    return this.lock.run(async () => {
      const fingerprint = input.fingerprint ? normalizeFingerprint(input.fingerprint) : null;
      if (input.fingerprint && !fingerprint) throw new ServiceError('fingerprint: not a SHA-256 fingerprint (64 hex digits, colons optional)', 400);
      const url = new URL(input.url).origin;
      const problem = checkEndpoint(input.url, fingerprint);
      if (problem) throw new ServiceError(`url: ${problem}`, 400);
      if (this.services.sensorIds.includes(input.id)) throw new ServiceError(`a sensor named ${input.id} is already registered`, 409, 'choose another id, or remove the existing sensor first');
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
        this.log(`sensor ${input.id}: not reachable yet (${(e as Error).message}); added, retrying in the background`);
      }
      this.services.addSensor(sensor);
      this.configs = [...this.configs, config];
      try {
        await saveSensorConfig(this.storeDir, this.configs);
      } catch (e) {
        this.configs = this.configs.filter((c) => c.id !== input.id);
        await this.services.removeSensor(input.id).catch(() => undefined);
        throw e;
      }
      sensor.start();
      return sensor.describe();
    });
  }

  async remove(id: string): Promise<void> {
    return this.lock.run(async () => {
      if (id === this.services.local.id) throw new ServiceError(`${id} is this server's own store; it cannot be removed`, 400);
      await this.services.removeSensor(id);
      this.configs = this.configs.filter((c) => c.id !== id);
      await saveSensorConfig(this.storeDir, this.configs);
    });
  }
}
