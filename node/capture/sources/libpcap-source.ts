/**
 * Live capture on a local interface through libpcap (the `pcap` package's native binding).
 *
 * The filter is compiled before the interface is opened (bpf-filter.ts). libpcap runs
 * non-blocking; the binding polls its fd on the event loop and calls us once per packet with the
 * bytes in our buffer and the pcap_pkthdr in our 16-byte header buffer. Timestamps are µs from
 * the kernel and are passed on as µs × 1000 ns, never through a float.
 */
import type { LiveLink, LivePacketSink } from '../../../common/capture/live-packet-sink.js';
import { linuxLinkTypeOf } from '../interfaces.js';
import { checkBpfFilter } from './bpf-filter.js';
import { linkTypeFromBinding, loadPcapBinding, type NativePcapSession } from './libpcap-binding.js';
import { SourceConfigError, emptySourceStats, isFastPacketSink, type FastPacketSink, type LiveSource, type SourceEnd, type SourceStats } from './source-types.js';

export interface LibpcapSourceOptions {
  iface: string;
  filter?: string;
  /** Bytes kept per packet; default 262144 (tcpdump's default). */
  snapLen?: number;
  /** Default true. */
  promiscuous?: boolean;
  /** Kernel ring buffer, bytes; default 32 MiB (tcpdump: 2 MiB; larger rides out bursts). */
  bufferSize?: number;
  /**
   * How long the kernel may hold a partly filled block before waking us (TPACKET_V3 block
   * timeout), ms. Bounds capture-to-store latency; default 100.
   */
  timeoutMs?: number;
}

export const DEFAULT_SNAPLEN = 262144;
export const DEFAULT_BUFFER_SIZE = 32 * 1024 * 1024;
const MAX_SNAPLEN = 262144;

/** Snap length and kernel buffer size with their defaults; throws SourceConfigError when out of range. */
export function checkLibpcapOptions(opts: LibpcapSourceOptions): { snapLen: number; bufferSize: number } {
  const snapLen = opts.snapLen ?? DEFAULT_SNAPLEN;
  if (!Number.isInteger(snapLen) || snapLen < 64 || snapLen > MAX_SNAPLEN) {
    throw new SourceConfigError(`snap length ${snapLen} must be an integer from 64 to ${MAX_SNAPLEN}`, 'bad-option');
  }
  const bufferSize = opts.bufferSize ?? DEFAULT_BUFFER_SIZE;
  if (!Number.isInteger(bufferSize) || bufferSize < 65536 || bufferSize > 0x7fffffff) {
    throw new SourceConfigError(`buffer size ${bufferSize} must be an integer from 65536 to 2147483647 bytes`, 'bad-option');
  }
  return { snapLen, bufferSize };
}

export class LibpcapSource implements LiveSource {
  readonly description: string;
  readonly ended: Promise<SourceEnd>;
  private settle!: (end: SourceEnd) => void;
  private session: NativePcapSession | null = null;
  private readonly counters: SourceStats = emptySourceStats();
  private lastStat: { drop: number; ifdrop: number } | null = null;
  private closed = false;
  private readonly snapLen: number;
  private readonly buf: Buffer;
  /** The same memory as a plain Uint8Array: its subarray is a V8 builtin, Buffer's a JS wrapper (per packet). */
  private readonly bytes: Uint8Array;
  private readonly hdr = Buffer.alloc(16);
  /** The binding's pcap_pkthdr copy as native-order u32s: tv_sec, tv_usec, caplen, len. */
  private readonly hdrWords: Uint32Array;
  /** The sink's per-packet fast path, when it has one (the threaded store writer does). */
  private readonly fast: FastPacketSink | null;

  constructor(
    private readonly opts: LibpcapSourceOptions,
    private readonly sink: LivePacketSink,
    /** Why this path (the `pcap` package's) was chosen over the native capture thread, for the status. */
    engineNote?: string,
  ) {
    this.description = `libpcap ${opts.iface}${engineNote ? ` (${engineNote})` : ''}`;
    this.snapLen = checkLibpcapOptions(opts).snapLen;
    this.buf = Buffer.alloc(this.snapLen);
    this.bytes = new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.buf.length);
    // Buffer.alloc (unlike allocUnsafe) has an ArrayBuffer of its own at offset 0: a u32 view fits
    this.hdrWords = new Uint32Array(this.hdr.buffer, this.hdr.byteOffset, 4);
    this.fast = isFastPacketSink(sink) ? sink : null;
    this.ended = new Promise((resolve) => (this.settle = resolve));
  }

  async start(): Promise<void> {
    const o = this.opts;
    if (!/^[^\0/\s][^\0\s]{0,63}$/.test(o.iface) && o.iface !== 'any') throw new SourceConfigError(`"${o.iface}" is not an interface name`, 'bad-interface');
    const binding = loadPcapBinding();
    const filter = o.filter ?? '';
    // Compile against the link type the interface will have; an unknown one (not Linux, odd
    // device) is checked as Ethernet, which still catches every syntax error.
    const guessed = linuxLinkTypeOf(o.iface);
    checkBpfFilter(filter, guessed ?? 1, this.snapLen);
    const session = new binding.PcapSession();
    let linkText: string;
    try {
      linkText = session.open_live(
        o.iface,
        filter,
        o.bufferSize ?? DEFAULT_BUFFER_SIZE,
        this.snapLen,
        '',
        () => this.onPacket(),
        false,
        o.timeoutMs ?? 100,
        (w) => process.stderr.write(`libpcap warning (${o.iface}): ${w}\n`),
        o.promiscuous ?? true,
      );
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const code = /permission|not permitted/i.test(msg) ? 'permission-denied' : /no such device|doesn't exist/i.test(msg) ? 'bad-interface' : 'open-failed';
      const hint = code === 'permission-denied' ? ' (the capture worker needs cap_net_raw,cap_net_admin: see docs/CAPTURE.md)' : '';
      throw new SourceConfigError(`cannot capture on ${o.iface}: ${msg}${hint}`, code);
    }
    const link: LiveLink = { id: 0, linkType: linkTypeFromBinding(linkText), snapLen: this.snapLen, name: o.iface };
    this.sink.link(link);
    this.session = session;
    session.read_callback = () => {
      const s = this.session;
      if (s === null) return;
      const r = s.dispatch(this.buf, this.hdr);
      if (r === -1 && !this.closed) this.fail('libpcap read error');
    };
    session.start_polling();
    // Packets may already wait in the ring before the first poll wake-up.
    setImmediate(() => session.read_callback?.());
  }

  /** Once per packet, called by the binding with the bytes in buf and the header in hdr. */
  private onPacket(): void {
    if (this.closed) return;
    const h = this.hdrWords;
    const capLen = Math.min(h[2], this.bytes.length);
    const origLen = h[3];
    this.counters.packets++;
    this.counters.bytes += origLen;
    if (this.fast !== null) this.fast.packetFrom(0, h[0], h[1] * 1000, this.bytes, capLen, origLen);
    else this.sink.packet({ linkId: 0, tsSec: h[0], tsNsec: h[1] * 1000, capLen, origLen, data: this.bytes.subarray(0, capLen) });
  }

  stats(): SourceStats {
    const s = this.session;
    if (s !== null && !this.closed) {
      try {
        const st = s.stats();
        this.lastStat = { drop: st.ps_drop, ifdrop: st.ps_ifdrop };
      } catch {
        // pcap_stats fails only on a handle being closed; keep the last good values.
      }
    }
    return { ...this.counters, kernelDrops: this.lastStat?.drop ?? null, ifDrops: this.lastStat?.ifdrop ?? null };
  }

  async stop(): Promise<void> {
    if (this.closed) return this.settleOnce({ kind: 'stopped' });
    const s = this.session;
    if (s !== null) {
      // Drain what the ring holds, take the final counters, then close.
      try {
        s.dispatch(this.buf, this.hdr);
      } catch {
        // closing anyway
      }
      this.stats();
      this.closed = true;
      s.close();
      // The binding finishes closing (uv_poll_stop + pcap_close) on the next dispatch that sees
      // the break flag, which on an idle interface is when the next packet arrives; until then
      // the handle drops everything (closed = true).
      try {
        s.dispatch(this.buf, this.hdr);
      } catch {
        // already closed
      }
    }
    this.closed = true;
    this.settleOnce({ kind: 'stopped' });
  }

  private fail(message: string): void {
    this.closed = true;
    this.session?.close();
    this.settleOnce({ kind: 'error', message });
  }

  private settled = false;
  private settleOnce(end: SourceEnd): void {
    if (this.settled) return;
    this.settled = true;
    this.settle(end);
  }
}
