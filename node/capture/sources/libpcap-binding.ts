/**
 * Typed access to the native binding of the npm `pcap` package (node_modules/pcap/pcap_binding.cc).
 *
 * We use the binding directly rather than pcap.js's PcapSession: pcap.js allocates a
 * PacketWithHeader object and emits an EventEmitter event per packet and cannot finish closing a
 * live handle on an idle interface. The binding calls one JS callback per packet after copying
 * the bytes into a buffer we own and the pcap_pkthdr into a 16-byte header buffer
 * (tv_sec low 32 bits, tv_usec, caplen, len, native byte order).
 */
import { createRequire } from 'node:module';

export interface PcapAddress {
  addr?: string;
  netmask?: string;
  broadaddr?: string;
  dstaddr?: string;
}

export interface PcapDevice {
  name: string;
  description?: string;
  /** May contain holes (non-IP address families are skipped but keep their slot). */
  addresses: Array<PcapAddress | null | undefined>;
  flags?: string;
}

export interface PcapStat {
  ps_recv: number;
  ps_drop: number;
  ps_ifdrop: number;
}

export interface NativePcapSession {
  open_live(
    device: string,
    filter: string,
    bufferSize: number,
    snapLen: number,
    outFile: string,
    onPacket: () => void,
    monitor: boolean,
    timeoutMs: number,
    onWarning: (message: string) => void,
    promiscuous: boolean,
  ): string;
  open_offline(
    path: string,
    filter: string,
    bufferSize: number,
    snapLen: number,
    outFile: string,
    onPacket: () => void,
    monitor: boolean,
    timeoutMs: number,
    onWarning: (message: string) => void,
    promiscuous: boolean,
  ): string;
  /** Reads every packet available now; returns the last pcap_dispatch result (-2 = closed). */
  dispatch(buffer: Buffer, header: Buffer): number;
  start_polling(): void;
  /** pcap_breakloop only: the handle is closed by the next dispatch that sees the break. */
  close(): void;
  stats(): PcapStat;
  read_callback?: () => void;
}

export interface PcapBinding {
  PcapSession: new () => NativePcapSession;
  findalldevs(): PcapDevice[];
  lib_version(): string;
}

let cached: PcapBinding | null = null;

/** Loads the binding once; throws a clear error when the native module is missing or unbuilt. */
export function loadPcapBinding(): PcapBinding {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  try {
    cached = require('pcap/build/Release/pcap_binding.node') as PcapBinding;
  } catch (e) {
    throw new Error(`libpcap binding unavailable (npm package "pcap" not built: ${e instanceof Error ? e.message : String(e)})`);
  }
  return cached;
}

/**
 * LINKTYPE_* number for the binding's link type string (it names the common DLTs and prints
 * "Unknown linktype N" with the DLT for the rest). DLT_RAW (12 on Linux) is LINKTYPE_RAW (101)
 * in capture files; the other DLTs the binding names equal their LINKTYPE.
 */
export function linkTypeFromBinding(text: string): number {
  switch (text) {
    case 'LINKTYPE_NULL':
      return 0;
    case 'LINKTYPE_ETHERNET':
      return 1;
    case 'LINKTYPE_IEEE802_11_RADIO':
      return 127;
    case 'LINKTYPE_RAW':
      return 101;
    case 'LINKTYPE_LINUX_SLL':
      return 113;
  }
  const m = /^Unknown linktype (\d+)$/.exec(text);
  if (!m) throw new Error(`libpcap returned an unrecognised link type "${text}"`);
  const dlt = Number(m[1]);
  // DLT values that differ from their LINKTYPE (pcap-common.c): DLT_RAW on BSDs, DLT_LOOP on OpenBSD.
  if (dlt === 12 || dlt === 14) return 101;
  return dlt;
}
