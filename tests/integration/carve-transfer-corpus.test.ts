/**
 * FTP-DATA and TFTP carving against tshark's `--export-objects ftp-data` / `tftp` on the shared
 * corpus: every capture whose objects.json lists such objects (and the other FTP captures) is
 * imported, every flow carved; each tshark object must be one of our files by sha256 and by name.
 * Data connections are separate flows, named through their control connection (FTP) or request
 * flow (TFTP) found in the store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CarvedFileRecord } from '../../common/carve/carved-record.js';
import { corpusCaptures, corpusDir, corpusSkipReason, readOracle } from '../helpers/corpus.js';
import { corpusCarver } from '../helpers/corpus-carver.js';

interface OracleObject {
  name: string;
  size: number;
  sha256: string;
}
interface Objects {
  objects: { 'ftp-data': OracleObject[]; tftp: OracleObject[] };
}

const captures = corpusCaptures().filter((c) => {
  const o = readOracle<Objects>(c, 'objects.json');
  return (!!o && (o.objects['ftp-data'].length > 0 || o.objects.tftp.length > 0)) || /ftp/i.test(c);
});

const carver = corpusCarver(captures, 'tapline-carve-xfer-');
const carved = (capture: string): Promise<CarvedFileRecord[]> => carver.carved(capture);

test('FTP-DATA and TFTP carving matches tshark export-objects on the corpus', { skip: corpusSkipReason }, async (t) => {
  t.after(() => carver.close());
  assert.ok(captures.length >= 8, `found ${captures.length} FTP/TFTP captures in ${corpusDir}`);

  for (const capture of captures) {
    await t.test(capture, async () => {
      const o = (readOracle<Objects>(capture, 'objects.json') as Objects).objects;
      const files = await carved(capture);
      for (const [proto, list] of [['ftp-data', o['ftp-data']], ['tftp', o.tftp]] as const) {
        for (const obj of list) {
          const f = files.find((x) => x.sha256 === obj.sha256);
          assert.ok(f, `${proto} object ${obj.name} (${obj.size} bytes) not carved`);
          assert.deepEqual([f.protocol, f.name, f.size, f.kind, f.incomplete], [proto, obj.name, obj.size, 'transfer', false]);
        }
      }
      for (const f of files) {
        assert.ok(f.protocol === 'ftp-data' || f.protocol === 'tftp', `${f.id}: ${f.protocol}`);
        assert.equal(carver.content(f.sha256).length, f.size);
      }
    });
  }

  await t.test('directions, methods and URLs come from the control channel (PORT, PASV, EPSV and EPRT over IPv6)', async () => {
    const active = (await carved('suricata-verify__ftp-active-mode.pcap'))[0];
    const passive = (await carved('suricata-verify__ftp-passive-mode.pcap'))[0];
    assert.deepEqual([active.method, active.direction, passive.method, passive.direction], ['RETR', 'download', 'RETR', 'download']);
    const v6 = await carved('zeek__ftp_ipv6.pcap');
    assert.ok(v6.every((f) => f.url?.startsWith('ftp://[2001:470:4867:99::21]/') && f.host === '2001:470:4867:99::21'), JSON.stringify(v6.map((f) => f.url)));
    assert.equal(v6.length, 2, 'two RETR of robots.txt (EPSV and EPRT); the LIST/NLST connections are listings, not files');
    const pe = await carved('zeek__pe_pe.pcap');
    assert.deepEqual(pe.map((f) => [f.name, f.direction, f.mime]).sort(), [
      ['MSVIDEO.DLL', 'download', 'application/x-msdownload'],
      ['NOTEPAD.EXE', 'download', 'application/x-msdownload'],
      ['VMwareXferlogs.exe', 'download', 'application/x-msdownload'],
      ['test1.bin', 'download', pe.find((f) => f.name === 'test1.bin')?.mime ?? null],
    ]);
    assert.ok(pe.every((f) => f.method === 'RETR'));
  });

  await t.test('suricata-verify filestore checks: exactly one file stored for the active and the passive FTP capture', async () => {
    for (const capture of ['suricata-verify__ftp-active-mode.pcap', 'suricata-verify__ftp-passive-mode.pcap']) {
      const yaml = readFileSync(join(corpusDir, 'oracles', capture, 'suricata-verify__test.yaml'), 'utf8');
      const expect = Number(/find filestore -type f[^\n]*\n\s*expect:\s*(\d+)/.exec(yaml)?.[1]);
      assert.equal((await carved(capture)).length, expect, capture);
    }
  });

  await t.test('zeek ftp_retr: tshark exports nothing (it files the data under the SIZE command); Zeek saw the same 16557 bytes', async () => {
    // tshark 4.0 labels these FTP-DATA packets "(EPASV) (SIZE /README)": the last command before the
    // data connection opened, not the RETR, so its exporter (RETR/STOR only) skips them
    const files = await carved('zeek__ftp_retr.pcap');
    assert.equal(files.length, 1);
    const zeek = readFileSync(join(corpusDir, 'oracles', 'zeek__ftp_retr.pcap', 'zeek-baseline__scripts.base.files.extract.limit__files.log'), 'utf8');
    const row = zeek.split('\n').find((l) => l.includes('FTP_DATA'))?.split('\t') ?? [];
    assert.deepEqual([files[0].name, files[0].size, files[0].url, files[0].incomplete], ['README', Number(row[15]), 'ftp://141.142.192.162/README', false]);
  });

  await t.test('TFTP: the request flow names the transfer flow; the transfer reassembles blocks', async () => {
    const files = await carved('suricata-verify__output-eve-tftp-01_input.pcap');
    assert.equal(files.length, 1);
    assert.deepEqual([files[0].name, files[0].method, files[0].direction, files[0].url], ['rfc1350.txt', 'RRQ', 'download', 'tftp://192.168.0.10/rfc1350.txt']);
  });
});
