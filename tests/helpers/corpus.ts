/** Locating the shared corpus of real captures and their oracles (absent on a user's fresh clone). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export const corpusDir = process.env.TAPLINE_CORPUS ? resolve(process.env.TAPLINE_CORPUS) : resolve(repoRoot, '../shared/corpus');

export const corpusPresent = existsSync(join(corpusDir, 'pcaps'));

export const corpusSkipReason = corpusPresent ? undefined : `corpus not found at ${corpusDir} (set TAPLINE_CORPUS)`;

export function corpusCaptures(): string[] {
  if (!corpusPresent) return [];
  return readdirSync(join(corpusDir, 'pcaps')).filter((n) => /\.(pcap|pcapng)$/.test(n)).sort();
}

export function capturePath(name: string): string {
  return join(corpusDir, 'pcaps', name);
}

export function readOracle<T>(capture: string, file: string): T | null {
  const p = join(corpusDir, 'oracles', capture, file);
  if (!existsSync(p)) return null;
  return JSON.parse(readFileSync(p, 'utf8')) as T;
}

export interface OracleFlow {
  l3: 'ipv4' | 'ipv6';
  proto: number | null;
  l4: string | null;
  a_addr: string;
  a_port: number | null;
  b_addr: string;
  b_port: number | null;
  packets: number;
  bytes: number;
  packets_a_to_b: number;
  bytes_a_to_b: number;
  packets_b_to_a: number;
  bytes_b_to_a: number;
  first_ts: string;
  last_ts: string;
  frames: number[];
}

export interface OracleFlows {
  total_packets: number;
  non_ip: { packets: number; bytes: number; frames: number[] };
  flows: OracleFlow[];
}

export interface OracleSlice {
  id: string;
  kind: 'flow' | 'window';
  display_filter: string;
  packet_count: number;
  frames: number[];
  records_sha256: string;
  frames_equal_flows_json: boolean | null;
}

export interface OracleSlices {
  input_file_type: string;
  output_format: string;
  slices: OracleSlice[];
}

/**
 * The syslog messages of the corpus's syslog capture as tcpdump -v printed them (its oracle),
 * with their PRI put back: real senders' lines for the log parsers' tests.
 */
export function corpusSyslogLines(): string[] {
  const lines: string[] = [];
  const tcpdump = readFileSync(join(corpusDir, 'oracles', 'tcpdump__syslog_udp.pcap', 'tcpdump__syslog-v.out'), 'utf8').split('\n');
  for (let i = 0; i < tcpdump.length; i++) {
    const m = /Facility \w+ \((\d+)\), Severity \w+ \((\d+)\)/.exec(tcpdump[i]);
    const msg = /^\s*Msg: (.*?)(\^@)?$/.exec(tcpdump[i + 1] ?? '');
    if (m && msg) lines.push(`<${Number(m[1]) * 8 + Number(m[2])}>${msg[1]}`);
  }
  return lines;
}
