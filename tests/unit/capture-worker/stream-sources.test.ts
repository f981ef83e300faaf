import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { encodePcapngEnhancedPacketBlock, encodePcapngInterfaceBlock, encodePcapngSectionHeader } from '../../../common/capture/pcap-writer.js';
import { SourceConfigError } from '../../../node/capture/sources/source-types.js';
import { createPcapOverIpSource, createStdinSource, parseHostPort } from '../../../node/capture/sources/stream-source.js';
import { writeFixturePcap, type FixturePacket } from '../../helpers/fixture-capture.js';
import { CollectSink } from './collect-sink.js';

describe('pipe and PCAP-over-IP sources', () => {
  let dir: string;
  let file: Buffer;
  let fixture: FixturePacket[];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tl-cap-stream-'));
    fixture = writeFixturePcap(join(dir, 'f.pcap'));
    file = readFileSync(join(dir, 'f.pcap'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function assertFixture(sink: CollectSink): void {
    assert.equal(sink.links.length, 1);
    assert.deepEqual([sink.links[0].id, sink.links[0].linkType, sink.links[0].snapLen], [0, 1, 65535]);
    assert.equal(sink.packets.length, fixture.length);
    sink.packets.forEach((p, i) => {
      assert.equal(p.tsSec, fixture[i].tsSec);
      assert.equal(p.tsNsec, fixture[i].tsUsec * 1000);
      assert.deepEqual(p.data, fixture[i].frame);
      assert.equal(p.capLen, fixture[i].frame.length);
    });
  }

  it('stdin: every packet of a pcap stream arriving in odd-sized chunks, then eof', async () => {
    const input = new PassThrough();
    const sink = new CollectSink();
    const src = createStdinSource(sink, input);
    await src.start();
    for (let i = 0; i < file.length; i += 7) input.write(file.subarray(i, i + 7));
    input.end();
    assert.deepEqual(await src.ended, { kind: 'eof' });
    assertFixture(sink);
    assert.equal(src.stats().packets, fixture.length);
  });

  it('stdin: a stream cut inside a record ends with an error after every complete packet', async () => {
    const input = new PassThrough();
    const sink = new CollectSink();
    const src = createStdinSource(sink, input);
    await src.start();
    input.end(file.subarray(0, fixture[5].offset + 20));
    const end = await src.ended;
    assert.equal(end.kind, 'error');
    assert.match(end.kind === 'error' ? end.message : '', /stdin: .*offset/);
    assert.equal(sink.packets.length, 5);
  });

  it('stdin: garbage is refused with the magic it found', async () => {
    const input = new PassThrough();
    const src = createStdinSource(new CollectSink(), input);
    await src.start();
    input.end(Buffer.from('GET / HTTP/1.1\r\n'));
    const end = await src.ended;
    assert.match(end.kind === 'error' ? end.message : '', /not a pcap or pcapng file/);
  });

  it('pcapng with two interfaces and nanosecond timestamps becomes two links, exact to the ns', async () => {
    const input = new PassThrough();
    const sink = new CollectSink();
    const src = createStdinSource(sink, input);
    await src.start();
    const frame = fixture[0].frame;
    input.end(
      Buffer.concat([
        encodePcapngSectionHeader(),
        encodePcapngInterfaceBlock({ linkType: 1, snapLen: 262144, tsresol: 9, name: 'eth0' }),
        encodePcapngInterfaceBlock({ linkType: 101, snapLen: 1500, tsresol: 9, name: 'tun0' }),
        encodePcapngEnhancedPacketBlock(0, 4_000_000_000, 123_456_789, 1e9, frame, frame.length),
        encodePcapngEnhancedPacketBlock(1, 4_000_000_001, 1, 1e9, frame.subarray(14), frame.length - 14),
      ]),
    );
    assert.deepEqual(await src.ended, { kind: 'eof' });
    assert.deepEqual(
      sink.links.map((l) => [l.id, l.linkType, l.snapLen]),
      [
        [0, 1, 262144],
        [1, 101, 1500],
      ],
    );
    assert.deepEqual(
      sink.packets.map((p) => [p.linkId, p.tsSec, p.tsNsec]),
      [
        [0, 4_000_000_000, 123_456_789],
        [1, 4_000_000_001, 1],
      ],
    );
  });

  it('PCAP-over-IP: reads a feed served over TCP until the server closes it', async () => {
    const server: Server = createServer((sock) => {
      // Slow, split writes, as a live feed arrives.
      let at = 0;
      const step = (): void => {
        if (at >= file.length) return void sock.end();
        sock.write(file.subarray(at, at + 100));
        at += 100;
        setImmediate(step);
      };
      step();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const sink = new CollectSink();
      const src = createPcapOverIpSource('127.0.0.1', port, sink);
      await src.start();
      assert.deepEqual(await src.ended, { kind: 'eof' });
      assert.equal(sink.links[0].name, `pcap-over-ip://127.0.0.1:${port}`);
      assertFixture(sink);
    } finally {
      server.close();
    }
  });

  it('PCAP-over-IP: a refused connection is a clear error at start', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    await assert.rejects(createPcapOverIpSource('127.0.0.1', port, new CollectSink()).start(), (e: unknown) => e instanceof SourceConfigError && e.code === 'connect-failed' && /ECONNREFUSED/.test(e.message));
  });

  it('parses HOST:PORT and [v6]:PORT', () => {
    assert.deepEqual(parseHostPort('sensor:57012'), { host: 'sensor', port: 57012 });
    assert.deepEqual(parseHostPort('[fd00::1]:57012'), { host: 'fd00::1', port: 57012 });
    assert.throws(() => parseHostPort('sensor'), SourceConfigError);
    assert.throws(() => parseHostPort('sensor:70000'), SourceConfigError);
  });
});
