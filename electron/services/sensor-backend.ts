/**
 * What the services need from a sensor, local (this process's store) or remote (another
 * `tapline serve` reached over HTTPS): the same calls, so federation is a loop over sensors.
 */
import type { EventSearch, FlowRow, FlowSearch, Sensor, SliceTarget, StoreStats, TaplineEvent } from '../../common/bridge/messages.js';

/** A finished slice on local disk, ready to stream; the caller deletes it when done. */
export interface SliceFile {
  path: string;
  /** A meaningful download name, e.g. tapline_10.1.0.5_40000-10.2.0.9_80_20231114T221320Z.pcap */
  filename: string;
  packets: number;
  contentType: 'application/vnd.tcpdump.pcap' | 'application/x-pcapng';
}

export interface SensorBackend {
  readonly id: string;
  describe(): Sensor;
  searchFlows(q: FlowSearch): Promise<FlowRow[]>;
  searchEvents(q: EventSearch): Promise<TaplineEvent[]>;
  stats(): Promise<StoreStats>;
  /** Writes the slice to a temporary file in tmpDir. */
  slice(target: SliceTarget, tmpDir: string): Promise<SliceFile>;
  /**
   * Sensors with a live stream of their own (remote sensors) deliver it here once registered,
   * so the services rank it like local events; until then they publish on the bus directly.
   */
  setPublisher?(publish: (e: TaplineEvent) => void): void;
  close(): Promise<void>;
}

/** A request the caller got wrong (400), or something that does not exist (404). */
export class ServiceError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 | 409 | 413 | 501 | 502 | 503,
    readonly hint: string | null = null,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}
