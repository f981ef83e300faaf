/**
 * Compiles a BPF filter before any capture starts, so a typo is a clear error rather than a
 * capture that opened the interface and then failed (the `pcap` binding compiles the filter only
 * after pcap_activate, and leaks the live handle when that fails).
 *
 * libpcap compiles against a link type, so we open a "dead" handle the only way the binding
 * allows: pcap_open_offline on a 24-byte pcap header with the wanted link type and snap length.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePcapGlobalHeader } from '../../../common/capture/pcap-writer.js';
import { loadPcapBinding } from './libpcap-binding.js';
import { dltOfLinkType, loadNativeCapture } from './native-capture-addon.js';
import { SourceConfigError } from './source-types.js';

/** Longest filter we pass to libpcap (tcpdump has no limit; this only bounds hostile input). */
export const MAX_FILTER_LENGTH = 64 * 1024;

/** Throws SourceConfigError('bad-filter') when `filter` does not compile for `linkType`. */
export function checkBpfFilter(filter: string, linkType: number, snapLen = 262144): void {
  if (filter.length > MAX_FILTER_LENGTH) throw new SourceConfigError(`BPF filter is longer than ${MAX_FILTER_LENGTH} characters`, 'bad-filter');
  if (filter.includes('\0')) throw new SourceConfigError('BPF filter contains a NUL character', 'bad-filter');
  if (filter.trim() === '') return;
  const native = loadNativeCapture();
  if (native.ok) {
    // pcap_open_dead + pcap_compile: no file, no handle to leak
    try {
      native.addon.compileFilter(filter, dltOfLinkType(linkType), snapLen);
    } catch (e) {
      throw new SourceConfigError(`invalid BPF filter "${filter}": ${e instanceof Error ? e.message : String(e)}`, 'bad-filter');
    }
    return;
  }
  const binding = loadPcapBinding();
  const dir = mkdtempSync(join(tmpdir(), 'tapline-bpf-'));
  try {
    const path = join(dir, 'dead.pcap');
    writeFileSync(path, encodePcapGlobalHeader({ linkType, snapLen, nanosecond: false }));
    const session = new binding.PcapSession();
    try {
      session.open_offline(path, filter, 0, snapLen, '', () => {}, false, 0, () => {}, false);
    } catch (e) {
      throw new SourceConfigError(`invalid BPF filter "${filter}": ${e instanceof Error ? e.message : String(e)}`, 'bad-filter');
    }
    // An offline handle closes on the first dispatch after close() (pcap_offline_read checks the break flag first).
    session.close();
    session.dispatch(Buffer.alloc(16), Buffer.alloc(16));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
