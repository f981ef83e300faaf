/**
 * Cross-checks the decoder against tshark on every packet of the shared corpus (pcap and pcapng,
 * read with the project's capture parser): first IP layer addresses, protocol and ports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createCaptureParser } from '../../../common/capture/capture-parser.js';
import type { PacketRecordView } from '../../../common/capture/capture-types.js';
import { decodePacket } from '../../../common/packet/decode-packet.js';
import { createDecodedPacket, DecodeStatus, FragmentKind } from '../../../common/packet/decoded-packet.js';
import type { DecodedPacket } from '../../../common/packet/decoded-packet.js';
import { communityId, ipToString } from '../../../common/packet/community-id.js';
import { corpusPresent as corpusAvailable, corpusDir } from '../../helpers/corpus.js';

/** One row of oracles/<capture>/packets.tsv, keyed by column name. */
type OracleRow = Record<string, string>;

function readOracle(capture: string): OracleRow[] {
  const text = readFileSync(resolve(corpusDir, 'oracles', capture, 'packets.tsv'), 'utf8');
  const lines = text.split('\n').filter((l) => l.length > 0);
  const header = lines[0].split('\t');
  return lines.slice(1).map((line) => {
    const cells = line.split('\t');
    const row: OracleRow = {};
    header.forEach((h, i) => (row[h] = cells[i] ?? ''));
    return row;
  });
}

/** Calls `onPacket` for every record of a capture file, in file order. */
function forEachRecord(path: string, onPacket: (rec: PacketRecordView) => void): void {
  const parser = createCaptureParser({ onFileInfo() {}, onInterface() {}, onPacket });
  parser.push(readFileSync(path));
  parser.end();
}

const L4_NUMBER: Record<string, number> = { tcp: 6, udp: 17, sctp: 132, icmp: 1, icmpv6: 58 };

/**
 * Differences between our decode and tshark's row, as readable strings (empty = agreement).
 * L3 = the first ip/ipv6 layer of frame.protocols; L4 = a transport directly after it (IPv6
 * extension-header layers in between are fine). Ports are compared for non-fragments only:
 * tshark reassembles fragments and shows ports only on the reassembling frame.
 */
function compare(row: OracleRow, out: DecodedPacket): string[] {
  const layers = row['frame.protocols'].split(':');
  const l3Index = layers.findIndex((l) => l === 'ip' || l === 'ipv6');
  const v6 = layers[l3Index] === 'ipv6';
  const src = v6 ? row['ipv6.src'] : row['ip.src'];
  if (l3Index < 0 || src === '') {
    // tshark saw no IP, or an IP layer too short to show addresses.
    if (out.status === DecodeStatus.Ip) return [`tshark has no IP addresses (${row['frame.protocols']}), we decoded IP`];
    // tshark's "arp" layer covers ARP (0x0806) and RARP (0x8035).
    if (layers.includes('arp') && out.etherType !== 0x0806 && out.etherType !== 0x8035) return [`ARP reported as EtherType ${out.etherType}`];
    return [];
  }
  if (out.status !== DecodeStatus.Ip) return [`tshark decoded IP, we: status ${out.status} (${out.reason})`];
  const diffs: string[] = [];
  const version = out.ipVersion as 4 | 6;
  if (out.ipVersion !== (v6 ? 6 : 4)) diffs.push(`IP version ${out.ipVersion}`);
  const ourSrc = ipToString(version, out.src);
  const ourDst = ipToString(version, out.dst);
  const dst = v6 ? row['ipv6.dst'] : row['ip.dst'];
  if (ourSrc !== src || ourDst !== dst) diffs.push(`addresses ${ourSrc} > ${ourDst}, tshark ${src} > ${dst}`);

  let j = l3Index + 1;
  while (j < layers.length && layers[j].startsWith('ipv6.')) j++;
  const l4 = L4_NUMBER[layers[j]] !== undefined ? layers[j] : null;
  const sawExtHeaders = j > l3Index + 1;
  // Without a transport layer tshark's ip.proto / ipv6.nxt is the protocol (the latter only when
  // no extension header sits in between, since tshark reports the fixed header's next header).
  const expectedProto = l4 !== null ? L4_NUMBER[l4] : sawExtHeaders ? null : Number(v6 ? row['ipv6.nxt'] : row['ip.proto']);
  if (expectedProto !== null && out.proto !== expectedProto) diffs.push(`protocol ${out.proto}, tshark ${expectedProto}`);

  if (out.fragment === FragmentKind.None && (l4 === 'tcp' || l4 === 'udp' || l4 === 'sctp')) {
    const sport = row[`${l4}.srcport`];
    const dport = row[`${l4}.dstport`];
    if (sport === '') {
      if (out.hasPorts) diffs.push(`ports ${out.srcPort}/${out.dstPort}, tshark none`);
    } else if (!out.hasPorts || String(out.srcPort) !== sport || String(out.dstPort) !== dport) {
      diffs.push(`ports ${out.hasPorts ? `${out.srcPort}/${out.dstPort}` : 'none'}, tshark ${sport}/${dport}`);
    }
  }
  // A non-first fragment has no ICMP header of its own (tshark shows the reassembled one).
  if ((l4 === 'icmp' || l4 === 'icmpv6') && out.fragment !== FragmentKind.Later && out.icmpType < 0) diffs.push('ICMP type not read');
  const vlanTags = layers.filter((l) => l === 'vlan').length;
  if (vlanTags >= 1 && out.vlan < 0) diffs.push('VLAN tag not reported');
  if (vlanTags >= 2 && out.vlanInner < 0) diffs.push('inner VLAN tag not reported');
  if (vlanTags === 0 && out.vlan >= 0) diffs.push(`VLAN ${out.vlan} reported, tshark saw none`);
  return diffs;
}

test('every corpus packet decodes to tshark\'s first-IP-layer addresses, protocol and ports', (t) => {
  if (!corpusAvailable) {
    t.skip(`corpus not found at ${corpusDir}`);
    return;
  }
  const captures = readdirSync(resolve(corpusDir, 'pcaps')).filter((f) => /\.(pcap|pcapng)$/.test(f)).sort();
  assert.ok(captures.length > 0, 'no captures in the corpus');
  const out = createDecodedPacket();
  const disagreements: string[] = [];
  let packets = 0;
  let ipPackets = 0;
  const linkTypes = new Set<number>();
  for (const capture of captures) {
    const rows = readOracle(capture);
    let index = 0;
    forEachRecord(resolve(corpusDir, 'pcaps', capture), (rec) => {
      const row = rows[index++];
      packets++;
      linkTypes.add(rec.linkType);
      decodePacket(rec.linkType, rec.data, out);
      if (out.status === DecodeStatus.Ip) ipPackets++;
      if (row === undefined) return;
      for (const d of compare(row, out)) disagreements.push(`${capture} frame ${row['frame.number']}: ${d}`);
    });
    assert.equal(index, rows.length, `${capture}: record count differs from tshark`);
  }
  assert.deepEqual(disagreements, [], `${disagreements.length} disagreements with tshark`);
  // The corpus exercises these link types; a silent parser change would drop coverage.
  for (const lt of [0, 1, 101, 113, 228, 239, 276]) assert.ok(linkTypes.has(lt), `link type ${lt} not covered`);
  assert.ok(packets > 2500 && ipPackets > 2400, `only ${packets} packets / ${ipPackets} IP decoded`);
});

test('Community IDs computed from decoded combined.pcap packets are exactly the spec baseline IDs', (t) => {
  if (!corpusAvailable) {
    t.skip(`corpus not found at ${corpusDir}`);
    return;
  }
  const baseline = JSON.parse(
    readFileSync(resolve(corpusDir, 'oracles/community-id-spec__combined.pcap/community-id-spec__baseline_deflt.json'), 'utf8'),
  ) as Array<{ communityid: string }>;
  const ours = new Set<string>();
  const out = createDecodedPacket();
  forEachRecord(resolve(corpusDir, 'pcaps/community-id-spec__combined.pcap'), (rec) => {
    decodePacket(rec.linkType, rec.data, out);
    if (out.status !== DecodeStatus.Ip) return;
    const icmp = out.icmpType >= 0;
    const sport = out.hasPorts ? out.srcPort : icmp ? out.icmpType : -1;
    const dport = out.hasPorts ? out.dstPort : icmp ? out.icmpCode : -1;
    ours.add(communityId(out.ipVersion as 4 | 6, out.proto, out.src, out.dst, sport, dport));
  });
  assert.deepEqual([...ours].sort(), [...new Set(baseline.map((b) => b.communityid))].sort());
});
