/**
 * Host names in logs → addresses (issue 7: "host discovery data first, DNS only if enabled,
 * never blocking intake"). Names come from common/logs/host-names.ts, for the sides a log gives
 * no address for.
 *
 * 1. Host discovery: the store's discovery events (common/discovery: a host's DNS names seen in
 *    answers and HELO names, DNS answers A/AAAA), read from the journal in the background when
 *    the service starts and learnt live as they are published. A name seen for several
 *    addresses resolves to the one seen last.
 * 2. DNS (only with `--resolve-dns`): a name discovery does not know starts an asynchronous
 *    lookup (c-ares, one try, a timeout) and the event is stored without it; later logs naming
 *    it use the cached answer (TTL clamped to 1 min..1 h; failures cached 1 min). Lookups in
 *    flight are bounded; names beyond the bound are skipped and counted.
 * Both maps are bounded (oldest entries dropped first).
 */
import { Resolver } from 'node:dns/promises';
import type { LogEvent, TaplineEvent } from '../../common/bridge/messages.js';
import { namedHostNames } from '../../common/logs/host-names.js';
import { isIp } from '../../common/logs/ip-text.js';
import type { EventJournal } from '../store/event-journal.js';
import type { LogEventBatch } from './log-event-batch.js';

export interface DnsResolveOptions {
  /** DNS servers ("ip" or "ip:port"); default: the system's. */
  servers?: string[];
  /** Per lookup (default 2000 ms). */
  timeoutMs?: number;
  /** Lookups in flight at once (default 32). */
  maxInFlight?: number;
}

export interface HostResolverOptions {
  journal?: EventJournal | null;
  /** DNS lookups; null (the default) resolves from discovery data only. */
  dns?: DnsResolveOptions | null;
  /** Names kept per map (default 100,000). */
  maxNames?: number;
  log?: (line: string) => void;
}

export interface HostResolverStats {
  /** Names known from discovery data. */
  discovery_names: number;
  resolved_discovery: number;
  resolved_dns: number;
  dns_enabled: boolean;
  dns_lookups: number;
  dns_failures: number;
  /** Lookups not started: too many in flight. */
  dns_skipped: number;
  dns_cached: number;
}

interface DnsEntry {
  address: string | null;
  until: number;
}

const MIN_TTL_MS = 60_000;
const MAX_TTL_MS = 3_600_000;
const NEGATIVE_MS = 60_000;

export class HostResolver {
  private readonly discovered = new Map<string, string>();
  private readonly dnsCache = new Map<string, DnsEntry>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private resolver: Resolver | null = null;
  private readonly maxNames: number;
  private maxInFlight = 32;
  private loading: Promise<void> | null = null;
  readonly stats: HostResolverStats;

  constructor(private readonly opts: HostResolverOptions = {}) {
    this.maxNames = opts.maxNames ?? 100_000;
    this.stats = { discovery_names: 0, resolved_discovery: 0, resolved_dns: 0, dns_enabled: false, dns_lookups: 0, dns_failures: 0, dns_skipped: 0, dns_cached: 0 };
    if (opts.dns) this.enableDns(opts.dns);
  }

  /** Turns DNS lookups on (serve --resolve-dns); discovery data stays first. */
  enableDns(dns: DnsResolveOptions): void {
    this.resolver?.cancel();
    this.maxInFlight = dns.maxInFlight ?? 32;
    this.resolver = new Resolver({ timeout: dns.timeoutMs ?? 2000, tries: 1 });
    if (dns.servers?.length) this.resolver.setServers(dns.servers);
    this.stats.dns_enabled = true;
  }

  /** Reads the journal's discovery events (once, in the background); resolves when done. */
  load(): Promise<void> {
    const j = this.opts.journal;
    if (!j) return Promise.resolve();
    this.loading ??= j
      .search({ kind: 'discovery', limit: Number.MAX_SAFE_INTEGER })
      .then((events) => {
        // search returns newest first: learn oldest first so the last seen address wins
        for (let i = events.length - 1; i >= 0; i--) this.learn(events[i]);
      })
      .catch((e: Error) => this.opts.log?.(`host names: discovery data not read: ${e.message}`));
    return this.loading;
  }

  /** Takes the names a discovery event reveals (other kinds are ignored). */
  learn(e: TaplineEvent): void {
    if (e.kind !== 'discovery') return;
    const d = e.discovery;
    if (d.type === 'host') {
      const names = d.fields.names;
      for (const n of Array.isArray(names) ? names : names ? [names] : []) this.remember(n, d.host);
    } else if (d.what === 'dns') {
      const q = d.fields.query;
      const answers = d.fields.answers;
      if (typeof q === 'string') for (const a of Array.isArray(answers) ? answers : answers ? [answers] : []) if (isIp(a)) this.remember(q, a);
    }
  }

  private remember(name: string, address: string): void {
    const key = name.replace(/\.$/, '').toLowerCase();
    if (!key || !isIp(address)) return;
    this.discovered.delete(key);
    this.discovered.set(key, address);
    if (this.discovered.size > this.maxNames) this.discovered.delete(this.discovered.keys().next().value as string);
    this.stats.discovery_names = this.discovered.size;
  }

  /**
   * Fills src_ip/dst_ip of the events that name a host instead (recording it in `resolved`),
   * from what is known now; never waits. Returns, per event, whether it changed.
   */
  resolveBatch(events: readonly LogEvent[]): boolean[] {
    const changed = new Array<boolean>(events.length).fill(false);
    // nothing known and no DNS: no name can resolve, the messages are not even read
    if (this.discovered.size === 0 && !this.resolver) return changed;
    const now = Date.now();
    for (let i = 0; i < events.length; i++) changed[i] = this.resolveOne(events[i], now);
    return changed;
  }

  /**
   * resolveBatch for a UDP batch (log-event-batch.ts): only events with a side without an
   * address are built, and only when a name could resolve at all.
   */
  resolveLogBatch(b: LogEventBatch): number {
    if (this.discovered.size === 0 && !this.resolver) return 0;
    const now = Date.now();
    let n = 0;
    for (let i = 0; i < b.count; i++) {
      if (!b.missesAddress(i)) continue;
      if (this.resolveOne(b.event(i), now)) {
        b.changed(i);
        n++;
      }
    }
    return n;
  }

  /** Fills the sides of e that name a host instead of an address; whether it changed. */
  private resolveOne(e: LogEvent, now: number): boolean {
    if (e.src_ip !== null && e.dst_ip !== null) return false;
    let changed = false;
    const names = namedHostNames(e);
    for (const side of ['src', 'dst'] as const) {
      const name = names[side];
      if (name === null) continue;
      const hit = this.lookup(name, now);
      if (!hit) continue;
      if (side === 'src') e.src_ip = hit.address;
      else e.dst_ip = hit.address;
      (e.resolved ??= []).push({ side, name: name.slice(0, 255), address: hit.address, via: hit.via });
      if (hit.via === 'dns') this.stats.resolved_dns++;
      else this.stats.resolved_discovery++;
      changed = true;
    }
    return changed;
  }

  /** What is known for a name now; starts a DNS lookup (when enabled) for one that is not. */
  private lookup(name: string, now: number): { address: string; via: 'discovery' | 'dns' } | null {
    const d = this.discovered.get(name);
    if (d !== undefined) return { address: d, via: 'discovery' };
    if (!this.resolver) return null;
    const c = this.dnsCache.get(name);
    if (c && c.until > now) return c.address === null ? null : { address: c.address, via: 'dns' };
    this.startLookup(name);
    return null;
  }

  private startLookup(name: string): void {
    const r = this.resolver;
    if (!r || this.inFlight.has(name)) return;
    if (this.inFlight.size >= this.maxInFlight) {
      this.stats.dns_skipped++;
      return;
    }
    this.stats.dns_lookups++;
    const p = (async () => {
      let entry: DnsEntry;
      try {
        const v4 = await r.resolve4(name, { ttl: true }).catch(() => []);
        const found = v4.length ? v4 : await r.resolve6(name, { ttl: true }).catch(() => []);
        if (found.length) entry = { address: found[0].address, until: Date.now() + Math.min(MAX_TTL_MS, Math.max(MIN_TTL_MS, found[0].ttl * 1000)) };
        else {
          this.stats.dns_failures++;
          entry = { address: null, until: Date.now() + NEGATIVE_MS };
        }
      } catch {
        this.stats.dns_failures++;
        entry = { address: null, until: Date.now() + NEGATIVE_MS };
      }
      this.dnsCache.delete(name);
      this.dnsCache.set(name, entry);
      if (this.dnsCache.size > this.maxNames) this.dnsCache.delete(this.dnsCache.keys().next().value as string);
      this.stats.dns_cached = this.dnsCache.size;
      this.inFlight.delete(name);
    })();
    this.inFlight.set(name, p);
  }

  /** DNS lookups started and not finished. */
  get lookupsInFlight(): number {
    return this.inFlight.size;
  }

  /** Resolves when the lookups in flight now have finished (tests; close). */
  async settled(): Promise<void> {
    await Promise.all([...this.inFlight.values()]);
  }

  close(): void {
    this.resolver?.cancel();
  }
}
