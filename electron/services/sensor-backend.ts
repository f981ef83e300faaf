/**
 * What the services need from a sensor, local (this process's store) or remote (another
 * `tapline serve` reached over HTTPS): the same calls, so federation is a loop over sensors.
 */
import type { CaptureInterface, CaptureStatus, StartCapture } from '../../common/bridge/capture-messages.js';
import type { CarvedFile, EventSearch, FlowRow, FlowSearch, FollowResult, Sensor, SliceTarget, StoreStats, TaplineEvent } from '../../common/bridge/messages.js';

/** A finished slice on local disk, ready to stream; the caller deletes it when done. */
export interface SliceFile {
  path: string;
  /** A meaningful download name, e.g. tapline_10.1.0.5_40000-10.2.0.9_80_20231114T221320Z.pcap */
  filename: string;
  packets: number;
  contentType: 'application/vnd.tcpdump.pcap' | 'application/x-pcapng';
}

/** The bytes of a carved file on local disk. */
export interface FileContent {
  path: string;
  size: number;
  /** Type from the content (magic bytes or text heuristic); null when unknown. */
  mime: string | null;
  /** A downloaded copy the caller deletes when done (remote sensors), or the store's own file. */
  temporary: boolean;
}

/** Live capture on a sensor: the local CaptureService, or a remote `serve` sensor's capture API. */
export interface SensorCaptureApi {
  listInterfaces(): Promise<CaptureInterface[]>;
  start(req: StartCapture): Promise<CaptureStatus>;
  stop(id: string): Promise<CaptureStatus>;
  status(): Promise<CaptureStatus[]>;
}

export interface SensorBackend {
  readonly id: string;
  /** Live capture on this sensor, when it offers it (remote sensors: over their API). */
  readonly capture?: SensorCaptureApi;
  describe(): Sensor;
  searchFlows(q: FlowSearch): Promise<FlowRow[]>;
  searchEvents(q: EventSearch): Promise<TaplineEvent[]>;
  stats(): Promise<StoreStats>;
  /** Writes the slice to a temporary file in tmpDir. */
  slice(target: SliceTarget, tmpDir: string): Promise<SliceFile>;
  /** A TCP/UDP flow's reassembled payload, at most maxBytes (both directions together). */
  followFlow(flowId: string, maxBytes: number): Promise<FollowResult>;
  /** The files carved from a flow (carved on first request, then the stored records). */
  flowFiles(flowId: string): Promise<CarvedFile[]>;
  /** A carved file's bytes by sha256 (404 when this sensor holds none). */
  fileContent(sha256: string, tmpDir: string): Promise<FileContent>;
  /**
   * Sensors with a live stream of their own (remote sensors) deliver it here once registered,
   * so the services rank it like local events; until then they publish on the bus directly.
   */
  setPublisher?(publish: (e: TaplineEvent) => void): void;
  close(): Promise<void>;
}

/**
 * A request the caller got wrong (400), or something that does not exist (404); 403 when the
 * back end lacks a privilege (capture), 500 for a failure reported with its hint.
 */
export class ServiceError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 403 | 404 | 409 | 413 | 500 | 501 | 502 | 503,
    readonly hint: string | null = null,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}
