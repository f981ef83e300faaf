/**
 * Which TFTP request a UDP flow is the transfer of: the request flow goes to port 69 from the
 * same requester port (the requester keeps its transfer ID), between the same two hosts, no later
 * than the transfer starts; its first datagram from the requester is the RRQ or WRQ.
 */
import { parseTftpRequest, TFTP_PORT, type TftpTransferContext } from '../../common/carve/tftp/tftp-carver.js';
import { parseAddressRange } from '../../common/net/address-range.js';
import { copyBytes } from '../../common/reassembly/copy-bytes.js';
import { followFlow, flowStreamInfo } from '../store/flow-stream.js';
import type { FoundFlow, Store } from '../store/store.js';

const sec = (s: number, ns: number): number => s + ns / 1e9;

export async function findTftpTransfer(store: Store, data: FoundFlow): Promise<TftpTransferContext | null> {
  const r = data.record;
  if (r.proto !== 17 || !r.hasPorts || r.serverPort === TFTP_PORT || r.clientPort === TFTP_PORT) return null;
  const d = flowStreamInfo(data);
  const a = parseAddressRange(d.client.ip);
  const b = parseAddressRange(d.server.ip);
  if (!a || !b) return null;
  const start = sec(r.firstSec, r.firstNsec);
  let best: { ctx: TftpTransferContext; t: number } | null = null;
  for (const f of await store.findTuple({ sip: a, dip: b, proto: 17 })) {
    if (f.id === data.id || (f.record.serverPort !== TFTP_PORT && f.record.clientPort !== TFTP_PORT)) continue;
    const t = sec(f.record.firstSec, f.record.firstNsec);
    if (t > start + 1) continue;
    const info = flowStreamInfo(f);
    const [requester, server, requesterDir] = info.server.port === TFTP_PORT ? [info.client, info.server, 0] : [info.server, info.client, 1];
    // the requester's port is one end of the transfer, on the requester's host
    const sameTid = (d.client.ip === requester.ip && d.client.port === requester.port) || (d.server.ip === requester.ip && d.server.port === requester.port);
    if (!sameTid) continue;
    let first: Uint8Array | null = null;
    await followFlow(store, f, {
      onData: (c) => {
        if (first === null && c.dir === requesterDir) first = copyBytes(c.data);
      },
      onEnd: () => undefined,
    }, { maxBytes: 64 * 1024 });
    const req = first === null ? null : parseTftpRequest(first);
    if (!req) continue;
    if (best && best.t > t) continue;
    const host = server.ip.includes(':') ? `[${server.ip}]` : server.ip;
    best = { ctx: { request: req, url: `tftp://${host}/${req.filename.replace(/^\/+/, '')}`, host: server.ip }, t };
  }
  return best?.ctx ?? null;
}

/** The store's TFTP request flows (UDP flows with port 69): when there are none, no UDP flow is a TFTP transfer. */
export function tftpRequestFlows(store: Store): Promise<FoundFlow[]> {
  return store.findFlows({ port: TFTP_PORT, proto: 17 });
}
