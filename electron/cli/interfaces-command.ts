/** `tapline interfaces [--json]`: what can be captured on (libpcap's list, with link type and state). */
import { parseArgs } from 'node:util';
import { listInterfaces } from '../../node/capture/interfaces.js';

export function interfacesCommand(args: string[], out: NodeJS.WritableStream): number {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } }, strict: true });
  // `tapline interfaces | head` closes the pipe early: stop quietly instead of an EPIPE trace.
  out.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  const list = listInterfaces();
  if (values.json) {
    out.write(`${JSON.stringify(list)}\n`);
    return 0;
  }
  for (const i of list.interfaces) {
    const state = i.up === null ? '-' : i.up ? (i.operState && i.operState !== 'up' && i.operState !== 'unknown' ? `up (${i.operState})` : 'up') : 'down';
    const link = i.linkType === null ? '-' : String(i.linkType);
    const addrs = i.addresses.map((a) => a.addr).join(', ');
    const desc = i.description ? `  ${i.description}` : '';
    out.write(`${i.name.padEnd(18)} ${state.padEnd(16)} link ${link.padEnd(4)} ${addrs}${desc}${i.loopback ? '  [loopback]' : ''}\n`);
  }
  out.write(`(${list.interfaces.length} interfaces; from ${list.source})\n`);
  return 0;
}
