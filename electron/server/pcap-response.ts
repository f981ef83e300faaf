/** Streams a slice to the client and deletes its temporary file afterwards (also on abort). */
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { SliceTarget } from '../../common/bridge/messages.js';
import type { TaplineServices } from '../services/tapline-services.js';

export const PCAP_TYPES = ['application/vnd.tcpdump.pcap', 'application/x-pcapng'];

export async function sendSlice(res: ServerResponse, services: TaplineServices, target: SliceTarget, log: (line: string) => void): Promise<void> {
  const file = await services.slice(target);
  try {
    const { size } = await stat(file.path);
    // the name is built from [0-9A-Za-z._-] only; strip anything else anyway (header injection)
    const filename = file.filename.replace(/[^0-9A-Za-z._-]+/g, '-');
    res.writeHead(200, {
      'Content-Type': file.contentType,
      'Content-Length': size,
      'Content-Disposition': `attachment; filename="${filename}"`,
      'X-Tapline-Packets': String(file.packets),
      'Cache-Control': 'no-store',
    });
    try {
      await pipeline(createReadStream(file.path), res);
    } catch (e) {
      // the client went away mid-download: nothing to answer any more
      log(`slice download ended early: ${(e as Error).message}`);
    }
  } finally {
    await rm(file.path, { force: true });
  }
}
