import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EventBatch } from '../../../common/bridge/messages.js';
import type { ConnectionState } from '../../../renderer/src/bridge/capabilities.js';
import { BACKOFF_MAX_MS, LiveSocket, backoffDelay, type SocketLike } from '../../../renderer/src/bridge/live-socket.js';
import { HTTP_V4 } from './fixtures.js';

class FakeSocket implements SocketLike {
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {}
  close(): void {
    this.closed = true;
  }
  open(): void {
    this.onopen?.({});
  }
  send(v: unknown): void {
    this.onmessage?.({ data: typeof v === 'string' ? v : JSON.stringify(v) });
  }
  drop(code = 1006): void {
    this.onerror?.({});
    this.onclose?.({ code, reason: '' });
  }
}

function harness(opts: { since?: number; loggedOut?: boolean } = {}) {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number; cleared: boolean }[] = [];
  const states: ConnectionState[] = [];
  const batches: EventBatch[] = [];
  const rejected: string[] = [];
  const live = new LiveSocket(
    {
      openSocket: (url) => {
        const s = new FakeSocket(url);
        sockets.push(s);
        return s;
      },
      setTimer: (fn, ms) => {
        const t = { fn, ms, cleared: false };
        timers.push(t);
        return t;
      },
      clearTimer: (h) => {
        (h as { cleared: boolean }).cleared = true;
      },
      now: () => 1000,
      random: () => 1,
      probeLoggedOut: async () => opts.loggedOut ?? false,
    },
    {
      url: (since) => `ws://h/api/live${since === undefined ? '' : `?since=${since}`}`,
      onBatch: (b) => batches.push(b),
      onState: (s) => states.push(s),
      onRejected: (d) => rejected.push(d),
      since: opts.since,
    },
  );
  const fire = () => {
    const t = timers.filter((x) => !x.cleared).pop();
    assert.ok(t, 'a retry is scheduled');
    t.cleared = true;
    t.fn();
  };
  return { live, sockets, timers, states, batches, rejected, fire };
}

const flowEvent = { kind: 'flow', id: 'e1', sensor: 'lab', ts: '1700000000.1', rank: 10, flow: HTTP_V4 };

test('backoff doubles from 1 s to 30 s with jitter', () => {
  assert.equal(backoffDelay(1, 1), 1000);
  assert.equal(backoffDelay(2, 1), 2000);
  assert.equal(backoffDelay(5, 1), 16000);
  assert.equal(backoffDelay(9, 1), BACKOFF_MAX_MS);
  assert.equal(backoffDelay(1, 0), 500);
});

test('delivers valid batches; drops what fails validation and says so', () => {
  const h = harness();
  h.live.start();
  assert.equal(h.sockets[0].url, 'ws://h/api/live');
  h.sockets[0].open();
  assert.deepEqual(h.states.map((s) => s.kind), ['connecting', 'connected']);
  h.sockets[0].send({ seq: 5, missed: 0, events: [flowEvent, { ...flowEvent, rank: 900 }] });
  assert.equal(h.batches.length, 1);
  assert.equal(h.batches[0].events.length, 1);
  assert.equal(h.batches[0].seq, 5);
  assert.match(h.rejected[0], /1 event\(s\) failed validation \(rank/);
  h.sockets[0].send('not json');
  h.sockets[0].send({ seq: -1, events: [], missed: 0 });
  h.sockets[0].onmessage?.({ data: new ArrayBuffer(2) });
  assert.equal(h.batches.length, 1);
  assert.equal(h.rejected.length, 4);
});

test('reconnects with backoff and resumes after the last sequence number', () => {
  const h = harness({ since: 3 });
  h.live.start();
  assert.equal(h.sockets[0].url, 'ws://h/api/live?since=3');
  h.sockets[0].open();
  h.sockets[0].send({ seq: 42, missed: 0, events: [] });
  h.sockets[0].drop();
  const s = h.states.at(-1);
  assert.ok(s && s.kind === 'reconnecting');
  assert.equal(s.attempt, 1);
  assert.equal(s.retryAt, 2000);
  h.fire();
  assert.equal(h.sockets[1].url, 'ws://h/api/live?since=42');
  h.sockets[1].drop();
  const s2 = h.states.at(-1);
  assert.ok(s2 && s2.kind === 'reconnecting' && s2.attempt === 2 && s2.retryAt === 3000);
  h.fire();
  h.sockets[2].open();
  assert.equal(h.states.at(-1)?.kind, 'connected');
  h.sockets[2].drop();
  const s3 = h.states.at(-1);
  assert.ok(s3 && s3.kind === 'reconnecting' && s3.attempt === 1, 'a successful connection resets the backoff');
});

test('a handshake refused for an expired session shows logged-out', async () => {
  const h = harness({ loggedOut: true });
  h.live.start();
  h.sockets[0].drop();
  await new Promise((r) => setImmediate(r));
  assert.equal(h.states.at(-1)?.kind, 'logged-out');
});

test('stop closes the socket and cancels the retry', () => {
  const h = harness();
  h.live.start();
  h.sockets[0].open();
  h.live.stop();
  assert.ok(h.sockets[0].closed);
  h.sockets[0].drop();
  assert.equal(h.timers.length, 0);
  const h2 = harness();
  h2.live.start();
  h2.sockets[0].drop();
  h2.live.stop();
  assert.ok(h2.timers.every((t) => t.cleared));
});
