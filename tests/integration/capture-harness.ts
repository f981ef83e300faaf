/**
 * Shared pieces of the capture integration tests: run the CLI or tcpdump inside a namespace,
 * wait for "ready" lines, read every packet of a capture file as a comparable record, generate
 * real traffic (HTTP, DNS, ICMP echo) from one namespace to the other.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CaptureFileInfo, CaptureInterface, CaptureSink, PacketRecordView } from '../../common/capture/capture-types.js';
import { readCaptureFile } from '../../node/capture/read-capture-file.js';
import { repoRoot } from '../helpers/corpus.js';
import type { NetnsPair } from '../helpers/netns.js';

export const cliMain = join(repoRoot, 'electron/cli/main.ts');

/** One packet as a line: time (ns), original length, sha256 of the captured bytes. */
export interface PacketLine {
  ts: string;
  origLen: number;
  capLen: number;
  hash: string;
  /** The captured bytes contain a marker datagram's text (see sendMarker). */
  marker: string | null;
}

const MARKER_RE = /tapline-marker-[a-z]+-\d+/;

export async function readPackets(path: string): Promise<PacketLine[]> {
  const out: PacketLine[] = [];
  const sink: CaptureSink = {
    onFileInfo(_i: CaptureFileInfo) {},
    onInterface(_i: CaptureInterface) {},
    onPacket(r: PacketRecordView) {
      const bytes = r.buffer.subarray(r.bufferOffset, r.bufferOffset + r.capLen);
      const text = Buffer.from(bytes.subarray(Math.max(0, bytes.length - 48))).toString('latin1');
      out.push({
        ts: `${r.tsSec}.${String(r.tsNsec).padStart(9, '0')}`,
        origLen: r.origLen,
        capLen: r.capLen,
        hash: createHash('sha256').update(bytes).digest('hex').slice(0, 32),
        marker: MARKER_RE.exec(text)?.[0] ?? null,
      });
    },
  };
  const r = await readCaptureFile(path, sink);
  if (r.error) throw r.error;
  return out;
}

/** Every packet of a store's live segments (STORE/segments/<id>.pcap|.pcapng, ids sort in creation order), in capture order. */
export async function readStoreSegments(storeDir: string): Promise<PacketLine[]> {
  const dir = join(storeDir, 'segments');
  const out: PacketLine[] = [];
  for (const f of readdirSync(dir).filter((n) => /\.pcap(ng)?$/.test(n)).sort()) out.push(...(await readPackets(join(dir, f))));
  return out;
}

/** Segment files in a store (none when the directory is absent). */
export function segmentFiles(storeDir: string): string[] {
  try {
    return readdirSync(join(storeDir, 'segments')).filter((n) => /\.pcap(ng)?$/.test(n));
  } catch {
    return [];
  }
}

/**
 * Resolves with the accumulated text once `pattern` appears on the stream; rejects on exit or
 * timeout. The default is generous: a capture started through tsx compiles the CLI, the worker
 * and its writer thread before it warms up, which took over 20 s once on a loaded 2-core machine
 * (a clean-clone CI run beside three benchmarks); a timeout here is no speed assertion.
 */
export function waitForOutput(child: ChildProcess, stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const s = child[stream]!;
    const timer = setTimeout(() => done(new Error(`timed out waiting for ${pattern} on ${stream}; got: ${text.slice(-2000)}`)), timeoutMs);
    const onData = (b: Buffer): void => {
      text += b.toString();
      if (pattern.test(text)) done(null);
    };
    const onExit = (code: number | null): void => done(new Error(`exited (${code}) before ${pattern}; got: ${text.slice(-2000)}`));
    function done(err: Error | null): void {
      clearTimeout(timer);
      s.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(text);
    }
    s.on('data', onData);
    child.once('exit', onExit);
  });
}

export function waitForExit(child: ChildProcess, timeoutMs = 60_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`process ${child.pid} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** Collects a child's output (for failure messages). */
export function collect(child: ChildProcess): { text: () => string } {
  let text = '';
  child.stdout?.on('data', (b: Buffer) => (text += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (text += b.toString()));
  return { text: () => text };
}

const DNS_RESPONDER = `
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
print("dns ready", flush=True)
for _ in range(100):
    q, a = s.recvfrom(512)
    if len(q) < 12: continue
    # echo the question back with one A record 192.0.2.53 (pointer to the name at offset 12)
    hdr = q[:2] + b"\\x81\\x80" + q[4:6] + b"\\x00\\x01\\x00\\x00\\x00\\x00"
    end = q.index(b"\\x00", 12) + 5
    ans = b"\\xc0\\x0c\\x00\\x01\\x00\\x01\\x00\\x00\\x00\\x3c\\x00\\x04" + bytes([192, 0, 2, 53])
    s.sendto(hdr + q[12:end] + ans, a)
`;

const ICMP_ECHO = `
import socket, struct, sys, os
def csum(b):
    if len(b) % 2: b += b"\\x00"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
sock.settimeout(2)
ok = 0
for seq in range(int(sys.argv[2])):
    payload = b"tapline-capture-test-%d" % seq
    h = struct.pack("!BBHHH", 8, 0, 0, 0x7a11, seq)
    h = struct.pack("!BBHHH", 8, 0, csum(h + payload), 0x7a11, seq)
    sock.sendto(h + payload, (sys.argv[1], 0))
    while True:
        data, _ = sock.recvfrom(2048)
        if data[20] == 0 and struct.unpack("!H", data[26:28])[0] == seq: ok += 1; break
print("echo replies", ok)
`;

export function writeTrafficScripts(dir: string): { dns: string; icmp: string } {
  const dns = join(dir, 'dns-responder.py');
  const icmp = join(dir, 'icmp-echo.py');
  writeFileSync(dns, DNS_RESPONDER);
  writeFileSync(icmp, ICMP_ECHO);
  return { dns, icmp };
}

/** Real traffic from nsA to servers in nsB: HTTP over IPv4 and IPv6, DNS, ICMP echo. */
export function driveTraffic(pair: NetnsPair, scripts: { icmp: string }, httpPort: number, dnsPort: number): void {
  for (let i = 0; i < 3; i++) pair.exec(pair.nsA, 'curl', ['-sS', '-o', '/dev/null', '--max-time', '5', `http://${pair.ipB}:${httpPort}/payload.bin`]);
  pair.exec(pair.nsA, 'curl', ['-sS', '-o', '/dev/null', '--max-time', '5', `http://[${pair.ip6B}]:${httpPort}/`]);
  pair.exec(pair.nsA, 'dig', [`@${pair.ipB}`, '-p', String(dnsPort), '+tries=1', '+time=3', 'capture.tapline.test', 'A']);
  const icmp = pair.exec(pair.nsA, 'python3', [scripts.icmp, pair.ipB, '3']);
  if (!/echo replies 3/.test(icmp)) throw new Error(`ICMP echo failed: ${icmp}`);
}

/** Sends one UDP datagram "tapline-marker-NAME-PID" from nsA to nsB's discard port: a fence both captures see. */
export function sendMarker(pair: NetnsPair, name: string): string {
  const text = `tapline-marker-${name}-${process.pid}`;
  pair.exec(pair.nsA, 'python3', ['-c', `import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"${text}", ("${pair.ipB}", 9))`]);
  return text;
}

/** The packets from the start marker through the end marker (inclusive). */
export function betweenMarkers(packets: PacketLine[], start: string, end: string): PacketLine[] {
  const a = packets.findIndex((p) => p.marker === start);
  const b = packets.findIndex((p) => p.marker === end);
  if (a < 0 || b < a) throw new Error(`markers not found in order (start at ${a}, end at ${b}) among ${packets.length} packets`);
  return packets.slice(a, b + 1);
}

/**
 * Compares two captures of the same link: the same packets (lengths and bytes), each packet as
 * many times. The kernel delivers a packet to each packet socket separately (tcpdump's and ours):
 * on a veth each socket stamps it itself (observed µs apart), and packets of the two directions
 * handled at the same instant on two CPUs may reach the two sockets in either order. So packets
 * are paired by content (n-th copy with n-th copy) and their timestamps compared within 5 ms;
 * µs digits still prove that libpcap's full precision reached the store.
 */
export function comparePacketLists(got: PacketLine[], expected: PacketLine[]): { mismatch: string | null; maxSkewNs: number; reordered: number } {
  let maxSkewNs = 0;
  let reordered = 0;
  if (got.length !== expected.length) return { mismatch: `packet count: tapline ${got.length}, tcpdump ${expected.length}`, maxSkewNs, reordered };
  const key = (p: PacketLine): string => `${p.hash}/${p.origLen}/${p.capLen}`;
  const byKey = new Map<string, PacketLine[]>();
  for (const g of got) {
    const list = byKey.get(key(g));
    if (list) list.push(g);
    else byKey.set(key(g), [g]);
  }
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const g = byKey.get(key(e))?.shift();
    if (!g) return { mismatch: `tcpdump's packet ${i} is not in the store: ${JSON.stringify(e)}`, maxSkewNs, reordered };
    if (key(got[i]) !== key(e)) reordered++;
    const skew = Math.abs(tsNs(g.ts) - tsNs(e.ts));
    maxSkewNs = Math.max(maxSkewNs, skew);
    if (skew > 5_000_000) return { mismatch: `packet ${i}: timestamp ${g.ts} vs tcpdump ${e.ts}`, maxSkewNs, reordered };
  }
  return { mismatch: null, maxSkewNs, reordered };
}

function tsNs(ts: string): number {
  const [s, n] = ts.split('.');
  // Relative to a recent second so the difference stays an exact double.
  return (Number(s) % 100_000) * 1e9 + Number(n);
}

export function tcpdumpAvailable(): boolean {
  try {
    execFileSync('tcpdump', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
