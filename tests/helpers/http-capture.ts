/** A generated HTTP capture: GETs from 192.0.2.1 to 198.51.100.7:80, one file per TCP flow (no corpus needed). */
import { writeFileSync } from 'node:fs';
import { encodePcapGlobalHeader, writePcapRecordHeader } from '../../common/capture/pcap-writer.js';
import { ethernet, ipv4, tcp } from './packet-builders.js';

const SYN = 2;
const FIN = 1;
const PSH = 8;
const ACK = 16;

/**
 * One HTTP GET on its own TCP connection (client port cport), response body `body` named `name`;
 * the response in one segment, or in segments of at most `segment` bytes (bodies past 64 KiB).
 */
function httpFlow(cport: number, name: string, body: Buffer, type: string, t0: number, segment?: number): { ts: number; frame: Uint8Array }[] {
  const req = Buffer.from(`GET /dl/${cport} HTTP/1.1\r\nHost: files.example\r\nUser-Agent: carve-test\r\n\r\n`, 'latin1');
  const resp = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: ${type}\r\nContent-Disposition: attachment; filename="${name}"\r\nContent-Length: ${body.length}\r\n\r\n`, 'latin1'), body]);
  const C = 1000;
  const S = 9000;
  const step = segment ?? resp.length;
  const respSegs: [boolean, number, number, Buffer?][] = [];
  for (let at = 0; at < resp.length; at += step) respSegs.push([false, S + at, PSH | ACK, resp.subarray(at, Math.min(resp.length, at + step))]);
  const segs: [boolean, number, number, Buffer?][] = [
    [true, C - 1, SYN],
    [false, S - 1, SYN | ACK],
    [true, C, ACK],
    [true, C, PSH | ACK, req],
    ...respSegs,
    [false, S + resp.length, FIN | ACK],
    [true, C + req.length, FIN | ACK],
  ];
  return segs.map(([c2s, seq, flags, payload], i) => {
    const seg = tcp({ sport: c2s ? cport : 80, dport: c2s ? 80 : cport, seq, ack: 1, flags, payload: [...(payload ?? [])] });
    const ip = ipv4({ src: c2s ? [192, 0, 2, 1] : [198, 51, 100, 7], dst: c2s ? [198, 51, 100, 7] : [192, 0, 2, 1], proto: 6, payload: seg });
    return { ts: t0 + i * 1000, frame: ethernet(0x0800, ip) };
  });
}

/** One flow per file, client ports 40000, 40001, …, one second apart. */
export function writeHttpCapture(path: string, files: { name: string; body: Buffer; type?: string }[], opts: { segment?: number } = {}): void {
  const parts: Uint8Array[] = [encodePcapGlobalHeader({ linkType: 1, snapLen: 65535, nanosecond: false })];
  files.forEach((f, i) => {
    for (const p of httpFlow(40000 + i, f.name, f.body, f.type ?? 'text/plain', 1_700_000_000_000_000 + i * 1_000_000, opts.segment)) {
      const rec = new Uint8Array(16 + p.frame.length);
      writePcapRecordHeader(rec, 0, Math.floor(p.ts / 1e6), p.ts % 1e6, p.frame.length, p.frame.length);
      rec.set(p.frame, 16);
      parts.push(rec);
    }
  });
  writeFileSync(path, Buffer.concat(parts));
}

