/**
 * The store's event journal: events appended as NDJSON to STORE/events/journal-<n>.ndjson,
 * rotated at a size and bounded in total (oldest files deleted), searched newest first.
 * Every line is validated when read back; a torn last line (crash mid-write) is skipped. A line is
 * a whole event (JSON.stringify) or, for log events of the UDP intake, a compact log line
 * (common/logs/log-journal-line.ts) expanded as it is read.
 */
import { mkdir, open, readdir, readFile, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { EventSchema, type TaplineEvent } from '../../common/bridge/messages.js';
import { CompactLogLineSchema, expandCompactLogLine, isCompactLogLine } from '../../common/logs/log-journal-line.js';
import { compareTs, parseTimestamp, type Timestamp } from '../../common/time/timestamp.js';

export interface JournalOptions {
  fileBytes?: number;
  totalBytes?: number;
}

export interface JournalQuery {
  kind?: string;
  since?: Timestamp;
  until?: Timestamp;
  /** Matches any IP address the event names. */
  host?: string;
  /** Case-insensitive text in a log event's message or raw line (other kinds: their message). */
  text?: string;
  limit: number;
}

const FILE_RE = /^journal-(\d{8})\.ndjson$/;

export class EventJournal {
  private current = -1;
  private currentBytes = 0;
  private chain: Promise<void> = Promise.resolve();
  /** The current file, kept open while appends keep coming (opening it per append cost more than small writes). */
  private handle: { fh: FileHandle; n: number } | null = null;
  private writesQueued = 0;
  private idleClose: NodeJS.Timeout | null = null;
  private readonly fileBytes: number;
  private readonly totalBytes: number;

  private constructor(
    readonly dir: string,
    opts: JournalOptions,
  ) {
    this.fileBytes = opts.fileBytes ?? 16 * 1024 * 1024;
    this.totalBytes = opts.totalBytes ?? 512 * 1024 * 1024;
  }

  static async open(storeDir: string, opts: JournalOptions = {}): Promise<EventJournal> {
    const j = new EventJournal(join(storeDir, 'events'), opts);
    await mkdir(j.dir, { recursive: true });
    const files = await j.files();
    if (files.length) {
      j.current = files[files.length - 1].n;
      j.currentBytes = files[files.length - 1].size;
    } else j.current = 0;
    return j;
  }

  private async files(): Promise<{ n: number; path: string; size: number }[]> {
    const out: { n: number; path: string; size: number }[] = [];
    for (const name of await readdir(this.dir)) {
      const m = FILE_RE.exec(name);
      if (!m) continue;
      const path = join(this.dir, name);
      out.push({ n: Number(m[1]), path, size: (await stat(path)).size });
    }
    return out.sort((a, b) => a.n - b.n);
  }

  private fileName(n: number): string {
    return join(this.dir, `journal-${String(n).padStart(8, '0')}.ndjson`);
  }

  /** Appends events (in order); resolves once they are written. */
  append(events: TaplineEvent[]): Promise<void> {
    if (!events.length) return this.chain;
    return this.appendEncoded(encodeLines(events));
  }

  /**
   * Appends lines already encoded as NDJSON (`encodeLines`, or the log intake's parse thread:
   * each line is JSON.stringify of a valid event, then LF); resolves once they are written.
   */
  appendEncoded(bytes: Uint8Array): Promise<void> {
    if (!bytes.length) return this.chain;
    this.writesQueued++;
    if (this.idleClose) {
      clearTimeout(this.idleClose);
      this.idleClose = null;
    }
    // a failed write fails its own caller only; later appends still run
    this.chain = this.chain
      .catch(() => undefined)
      .then(async () => {
        if (this.currentBytes > 0 && this.currentBytes + bytes.length > this.fileBytes) {
          this.current++;
          this.currentBytes = 0;
          await this.closeHandle();
          await this.enforceRetention();
        }
        await this.write(bytes);
        this.currentBytes += bytes.length;
      })
      .finally(() => {
        // the file is closed once appends stop for a second (no descriptor held by an idle journal)
        if (--this.writesQueued === 0 && this.handle) {
          this.idleClose = setTimeout(() => {
            this.idleClose = null;
            if (this.writesQueued === 0) this.chain = this.chain.catch(() => undefined).then(() => this.closeHandle());
          }, 1000);
          this.idleClose.unref();
        }
      });
    return this.chain;
  }

  /** Appends bytes to the current file, whole (a short write is continued). */
  private async write(bytes: Uint8Array): Promise<void> {
    if (!this.handle || this.handle.n !== this.current) {
      await this.closeHandle();
      this.handle = { fh: await open(this.fileName(this.current), 'a'), n: this.current };
    }
    const fh = this.handle.fh;
    let at = 0;
    try {
      while (at < bytes.length) at += (await fh.write(bytes, at, bytes.length - at)).bytesWritten;
    } catch (e) {
      // a descriptor that failed is not reused
      await this.closeHandle();
      throw e;
    }
  }

  private async closeHandle(): Promise<void> {
    const h = this.handle;
    this.handle = null;
    if (h) await h.fh.close().catch(() => undefined);
  }

  /** Resolves when everything appended so far is written. */
  flush(): Promise<void> {
    return this.chain.catch(() => undefined);
  }

  private async enforceRetention(): Promise<void> {
    const files = await this.files();
    let total = files.reduce((n, f) => n + f.size, 0);
    for (const f of files) {
      if (total <= this.totalBytes || f.n === this.current) break;
      await rm(f.path, { force: true });
      total -= f.size;
    }
  }

  /** Events matching q, newest first. */
  async search(q: JournalQuery): Promise<TaplineEvent[]> {
    await this.chain.catch(() => undefined);
    const out: TaplineEvent[] = [];
    const files = (await this.files()).reverse();
    // every line is JSON.stringify of an event (no spaces): a line of another kind never holds
    // this text unescaped, so it is skipped before parsing (a search of one kind in a journal
    // of log lines was a JSON.parse per line)
    const kindText = q.kind ? `"kind":${JSON.stringify(q.kind)}` : null;
    for (const f of files) {
      const lines = (await readFile(f.path, 'utf8')).split('\n');
      for (let i = lines.length - 1; i >= 0 && out.length < q.limit; i--) {
        const line = lines[i];
        if (!line || (kindText !== null && !line.includes(kindText))) continue;
        let e: TaplineEvent;
        try {
          const v: unknown = JSON.parse(line);
          if (isCompactLogLine(v)) {
            // a compact log line (common/logs/log-journal-line.ts): its query values are written,
            // the rest is rebuilt from its raw text only for lines those values let through
            // (the line is validated; the event it expands to is the parser's, whose output
            // tests/unit/logs/parser-fuzz.test.ts proves valid, so it is not validated again)
            const c = CompactLogLineSchema.safeParse(v);
            if (!c.success) continue;
            const r = c.data;
            if (!matchesKindTimeHost(q, 'log', r.ts ?? r.received_ts, q.host ? [r.src_ip ?? null, r.dst_ip ?? null, r.sender_ip ?? null] : null)) continue;
            e = expandCompactLogLine(r);
          } else {
            const parsed = EventSchema.safeParse(v);
            if (!parsed.success) continue;
            e = parsed.data;
            if (!matchesKindTimeHost(q, e.kind, e.ts, q.host ? hostsOf(e) : null)) continue;
          }
        } catch {
          continue; // a torn last line
        }
        if (matchesText(e, q)) out.push(e);
      }
      if (out.length >= q.limit) break;
    }
    return out;
  }
}

/**
 * The events as NDJSON bytes, each line encoded straight into one buffer: joining a batch's
 * lines into one string first made a multi-megabyte string per log batch (old-generation
 * garbage for the collector) and then a second copy as UTF-8.
 */
export function encodeLines(events: readonly TaplineEvent[]): Buffer {
  const lines: string[] = new Array<string>(events.length);
  let chars = 0;
  for (let i = 0; i < events.length; i++) {
    lines[i] = JSON.stringify(events[i]);
    chars += lines[i].length + 1;
  }
  // UTF-8 takes at most 3 bytes per UTF-16 code unit
  const out = Buffer.allocUnsafe(chars * 3);
  let at = 0;
  for (const l of lines) {
    at += out.write(l, at, 'utf8');
    out[at++] = 0x0a;
  }
  return out.subarray(0, at);
}

/** The addresses a host query matches in an event (null: a kind no host query matches). */
function hostsOf(e: TaplineEvent): (string | null)[] | null {
  if (e.kind === 'log') return [e.src_ip, e.dst_ip, e.sender_ip];
  if (e.kind === 'flow') return [e.flow.client_ip, e.flow.server_ip];
  return null;
}

/**
 * A query's kind, time and host conditions on the values they read: an event's, or those a
 * compact log line carries without being expanded (the event it expands to has the same).
 * `hosts` is read only for a host query (hostsOf).
 */
function matchesKindTimeHost(q: JournalQuery, kind: string, ts: string, hosts: readonly (string | null)[] | null): boolean {
  if (q.kind && kind !== q.kind) return false;
  const t = q.since || q.until ? parseTimestamp(ts) : null;
  if (t && q.since && compareTs(t.sec, t.nsec, q.since.sec, q.since.nsec) < 0) return false;
  if (t && q.until && compareTs(t.sec, t.nsec, q.until.sec, q.until.nsec) > 0) return false;
  if (q.host && (hosts === null || !hosts.includes(q.host))) return false;
  return true;
}

/** A query's text condition (log messages and raw lines, notices). */
function matchesText(e: TaplineEvent, q: JournalQuery): boolean {
  if (!q.text) return true;
  const needle = q.text.toLowerCase();
  const hay = e.kind === 'log' ? `${e.message}\n${e.raw}` : e.kind === 'notice' ? e.message : '';
  return hay.toLowerCase().includes(needle);
}
