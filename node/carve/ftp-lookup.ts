/**
 * Which FTP transfer a TCP flow is the data connection of: the control connections between the
 * same two hosts (port 21, found through the store's index) are parsed once per store, and the
 * flow is matched to the transfer whose negotiated data endpoint (PORT/EPRT/PASV/EPSV address and
 * port) it connects to, nearest in time. A NAT'd PASV address is accepted when the port matches
 * and the flow's listener is the control connection's server.
 */
import { FtpControlParser, type FtpTransfer } from '../../common/carve/ftp/ftp-control.js';
import type { Direction } from '../../common/reassembly/stream-types.js';
import { parseAddressRange } from '../../common/net/address-range.js';
import { followFlow, flowStreamInfo, type FlowStreamInfo } from '../store/flow-stream.js';
import type { FoundFlow, Store } from '../store/store.js';

export const FTP_CONTROL_PORT = 21;
/** A data connection may open up to this long before its command (PASV, connect, then RETR) or after. */
const WINDOW_SEC = 600;

export interface FtpDataMatch {
  transfer: FtpTransfer;
  control: FlowStreamInfo;
  /** The data flow direction that carries the file. */
  senderDir: Direction;
  /** The FTP server (control connection's server). */
  serverIp: string;
  url: string | null;
}

const parsed = new WeakMap<Store, Map<string, Promise<FtpTransfer[]>>>();

/** Transfers of a control connection, parsed once per store. */
export function controlTransfers(store: Store, control: FoundFlow): Promise<FtpTransfer[]> {
  let m = parsed.get(store);
  if (!m) parsed.set(store, (m = new Map()));
  let p = m.get(control.id);
  if (!p) {
    const parser = new FtpControlParser();
    p = followFlow(store, control, parser).then(() => parser.transfers);
    m.set(control.id, p);
    p.catch(() => m?.delete(control.id));
  }
  return p;
}

const sec = (s: number, ns: number): number => s + ns / 1e9;

/** The store's FTP control connections (TCP flows with port 21): looked up once for a batch of flows. */
export function ftpControlFlows(store: Store): Promise<FoundFlow[]> {
  return store.findFlows({ port: FTP_CONTROL_PORT, proto: 6 });
}

/**
 * The FTP transfer `data` carries, if it is a data connection. `controls`: the store's control
 * connections from ftpControlFlows, when the caller carves many flows (else the index is asked
 * for the flows between the two hosts).
 */
export async function findFtpTransfer(store: Store, data: FoundFlow, controls?: readonly FoundFlow[]): Promise<FtpDataMatch | null> {
  const r = data.record;
  if (r.proto !== 6 || !r.hasPorts || r.serverPort === FTP_CONTROL_PORT || r.clientPort === FTP_CONTROL_PORT) return null;
  const d = flowStreamInfo(data);
  const a = parseAddressRange(d.client.ip);
  const b = parseAddressRange(d.server.ip);
  if (!a || !b) return null;
  const start = sec(r.firstSec, r.firstNsec);
  const between = controls
    ? controls.filter((c) => {
        const ci = flowStreamInfo(c);
        return (ci.client.ip === d.client.ip && ci.server.ip === d.server.ip) || (ci.client.ip === d.server.ip && ci.server.ip === d.client.ip);
      })
    : await store.findTuple({ sip: a, dip: b, proto: 6 });
  const candidates = between.filter(
    (f) => f.id !== data.id && (f.record.serverPort === FTP_CONTROL_PORT || f.record.clientPort === FTP_CONTROL_PORT) && sec(f.record.firstSec, f.record.firstNsec) <= start + 1,
  );
  let best: { m: FtpDataMatch; dt: number } | null = null;
  for (const c of candidates) {
    const ci = flowStreamInfo(c);
    // orient the control connection by its well-known port (a capture may miss its SYN)
    const [ftpClient, ftpServer] = ci.server.port === FTP_CONTROL_PORT ? [ci.client, ci.server] : [ci.server, ci.client];
    for (const t of await controlTransfers(store, c)) {
      const e = t.endpoint;
      if (!e) continue;
      const listenerHost = e.listener === 'server' ? ftpServer.ip : ftpClient.ip;
      const sides = [
        { ep: d.server, dir: 1 as Direction },
        { ep: d.client, dir: 0 as Direction },
      ];
      for (const side of sides) {
        if (side.ep.port !== e.port || !(side.ep.ip === listenerHost || side.ep.ip === e.ip)) continue;
        const dt = Math.abs(sec(t.at.sec, t.at.nsec) - start);
        if (sec(e.at.sec, e.at.nsec) > start + 1 || dt > WINDOW_SEC) continue;
        // the listener's side sends when the listener is the one that sends (server listens and RETR, or client listens and STOR)
        const listenerSends = (e.listener === 'server') === (t.direction === 'download');
        const senderDir: Direction = listenerSends ? side.dir : side.dir === 1 ? 0 : 1;
        if (!best || dt < best.dt) best = { m: { transfer: t, control: ci, senderDir, serverIp: ftpServer.ip, url: ftpUrl(ftpServer.ip, ftpServer.port, t) }, dt };
      }
    }
  }
  return best?.m ?? null;
}

function ftpUrl(host: string, port: number, t: FtpTransfer): string | null {
  if (t.path === null) return null;
  const h = host.includes(':') ? `[${host}]` : host;
  const path = t.path.startsWith('/') || t.cwd === null ? t.path : `${t.cwd.replace(/\/+$/, '')}/${t.path}`;
  return `ftp://${h}${port === FTP_CONTROL_PORT ? '' : `:${port}`}${path.startsWith('/') ? '' : '/'}${path}`;
}
