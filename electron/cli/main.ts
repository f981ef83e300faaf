#!/usr/bin/env node
/** The `tapline` command line. Plain Node: nothing here imports electron. */
import { parseArgs } from 'node:util';
import { parseAddressRange } from '../../common/net/address-range.js';
import type { SliceFormat } from '../../node/store/slice-writer.js';
import { FLOW_FILTER_OPTIONS, UsageError, flowFilterFrom, needString, parseHostArg, parsePortArg, parseProtoArg, parseSizeArg, parseTimeArg } from './cli-args.js';
import type { SliceTarget } from './slice-command.js';

const USAGE = `usage:
  tapline import --store DIR [--index-memory SIZE] FILE|DIR...
                 flow-table memory before a capture's index is split into parts (default 128M)
  tapline flows  --store DIR [--host IP|CIDR]... [--port N] [--proto tcp|udp|icmp|N] [--since T] [--until T]
                 [--community-id ID] [--limit N] [--json]
  tapline slice  --store DIR --sip IP [--spt N] --dip IP [--dpt N] [--proto P] [--stime T] [--etime T] -o OUT.pcap
  tapline slice  --store DIR --flow ID -o OUT.pcap
  tapline slice  --store DIR --queries FILE.ndjson -o OUTDIR
  tapline stats  --store DIR [--json]
  tapline gaps   --store DIR [--limit N] [--json]   spans a live capture could not record (ssh feed lost...)
  tapline follow --store DIR --flow ID [--format ascii|hex|raw] [--max-bytes N]
  tapline carve  --store DIR [flow filters as in flows] -o OUTDIR [--json]
  tapline detect --store DIR [--rules FILE]... [--var NAME=VALUE]... [--json] [--write-events] [--no-discovery] [--show-credentials]
  tapline ingest --store DIR [--json] [--write-events] FILE...   Suricata eve.json, Zeek logs (JSON or TSV)
  tapline serve  --store DIR [--listen HOST:PORT] [--token-file FILE] [--tls|--no-tls] [--import-dir DIR]
                 [--syslog udp|tcp|tls://HOST:PORT]... [--export-syslog udp|tcp://HOST:PORT]...
                 [--export-cef udp|tcp://HOST:PORT]... [--export-debug FILE] [--export-kinds K,K]
                 [--resolve-dns [--dns-server IP[:PORT]]...]   host names in logs: discovery data, then DNS
                 [--iface NAME | --ssh user@host --remote-iface NAME] [--filter BPF] [--snaplen N] [--max-store SIZE] [--max-age DUR]
  tapline events --store DIR [--kind K] [--since T] [--until T] [--host IP] [--text S] [--limit N] [--json]
  tapline app    [--store DIR]       the desktop app (falls back to serve + browser without Electron)
  tapline interfaces [--json]
  tapline capture --iface NAME [--filter BPF] [--snaplen N] [--no-promisc] [--buffer-size SIZE] --store DIR [--duration S]
                  [--max-store SIZE] [--max-age DUR] [--mode full|conditional (--trigger-rules FILE... | --trigger-payload TEXT) [--pre-alert-packets N]]
  tapline capture --ssh user@host[:port] --remote-iface NAME [--sudo] [--known-hosts FILE | --host-key-fingerprint SHA256:...]
                  [--identity FILE] [--filter BPF] --store DIR [--duration S]
  tapline capture --pcap-over-ip HOST:PORT --store DIR [--duration S]
  tapline capture --read - --store DIR          (a pcap/pcapng stream on stdin)
                  every capture also takes the store options above, [--segment-size SIZE] and [--quiet];
                  worker captures take [--elevate]: without capture privilege, run the worker through pkexec

  T is decimal epoch seconds (up to 9 fractional digits) or ISO 8601 (UTC unless a zone is given).
  slice also takes --format pcap|pcapng (default: pcap when the packets share one link type).`;

function err(line: string): void {
  process.stderr.write(`tapline: ${line}\n`);
}

// every command's module is loaded on demand: a command loads only what it uses (module loading
// is a good part of a short command's time)
async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  switch (command) {
    case 'import': {
      const { values, positionals } = parseArgs({ args: rest, options: { store: { type: 'string' }, 'index-memory': { type: 'string' } }, allowPositionals: true, strict: true });
      const memoryBudget = values['index-memory'] !== undefined ? parseSizeArg(values['index-memory'], 'index-memory') : undefined;
      return (await import('./import-command.js')).importCommand(needString(values.store, 'store'), positionals, process.stdout, err, { memoryBudget });
    }
    case 'flows': {
      const { values } = parseArgs({ args: rest, options: FLOW_FILTER_OPTIONS, strict: true });
      const { query, limit } = flowFilterFrom(values);
      return (await import('./flows-command.js')).flowsCommand(needString(values.store, 'store'), query, limit, values.json ?? false, process.stdout, err);
    }
    case 'slice': {
      const { values } = parseArgs({
        args: rest,
        options: {
          store: { type: 'string' },
          sip: { type: 'string' },
          spt: { type: 'string' },
          dip: { type: 'string' },
          dpt: { type: 'string' },
          proto: { type: 'string' },
          stime: { type: 'string' },
          etime: { type: 'string' },
          flow: { type: 'string' },
          queries: { type: 'string' },
          format: { type: 'string' },
          out: { type: 'string', short: 'o' },
        },
        strict: true,
      });
      const outPath = needString(values.out, 'out (-o)');
      let format: SliceFormat | undefined;
      if (values.format !== undefined) {
        if (values.format !== 'pcap' && values.format !== 'pcapng') throw new UsageError(`--format "${values.format}" must be pcap or pcapng`);
        format = values.format;
      }
      let target: SliceTarget;
      const modes = [values.flow !== undefined, values.queries !== undefined, values.sip !== undefined || values.dip !== undefined].filter(Boolean).length;
      if (modes !== 1) throw new UsageError('slice needs exactly one of: --sip/--dip (a 5-tuple), --flow ID, --queries FILE');
      if (values.flow !== undefined) target = { kind: 'flow', id: values.flow };
      else if (values.queries !== undefined) target = { kind: 'bulk', file: values.queries };
      else {
        const sip = needString(values.sip, 'sip');
        const dip = needString(values.dip, 'dip');
        if (sip.includes('/') || dip.includes('/') || !parseAddressRange(sip) || !parseAddressRange(dip)) {
          throw new UsageError('--sip and --dip take single IP addresses');
        }
        const stime = values.stime !== undefined ? parseTimeArg(values.stime, 'stime') : undefined;
        const etime = values.etime !== undefined ? parseTimeArg(values.etime, 'etime') : undefined;
        if (stime && etime && (stime.sec > etime.sec || (stime.sec === etime.sec && stime.nsec > etime.nsec))) throw new UsageError('--stime is after --etime');
        target = {
          kind: 'tuple',
          query: {
            sip: parseHostArg(sip, 'sip'),
            dip: parseHostArg(dip, 'dip'),
            spt: values.spt !== undefined ? parsePortArg(values.spt, 'spt') : undefined,
            dpt: values.dpt !== undefined ? parsePortArg(values.dpt, 'dpt') : undefined,
            proto: values.proto !== undefined ? parseProtoArg(values.proto) : undefined,
            stime,
            etime,
          },
        };
      }
      return (await import('./slice-command.js')).sliceCommand(needString(values.store, 'store'), target, outPath, format, process.stdout, err);
    }
    case 'stats': {
      const { values } = parseArgs({ args: rest, options: { store: { type: 'string' }, json: { type: 'boolean' } }, strict: true });
      return (await import('./stats-command.js')).statsCommand(needString(values.store, 'store'), values.json ?? false, process.stdout, err);
    }
    case 'gaps':
      return (await import('./gaps-command.js')).gapsCommand(rest, process.stdout, err);
    case 'serve':
      return (await import('./serve-command.js')).serveCommand(rest, err);
    case 'app':
      return (await import('./app-command.js')).appCommand(rest, err);
    case 'follow':
      return (await import('./follow-command.js')).followCommand(rest, err);
    case 'events':
      return (await import('./events-command.js')).eventsCommand(rest, process.stdout, err);
    case 'carve': {
      const loader = await import('./carve-loader.js');
      loader.tuneV8ForCarving();
      // the spool workers boot (~60 ms of CPU each) on the other core while the command's modules load
      (await import('../../node/carve/hash-worker.js')).startSpoolWorkers();
      return (await loader.loadCarveCommand()).carveCommand(rest, process.stdout, err);
    }
    case 'interfaces':
      return (await import('./interfaces-command.js')).interfacesCommand(rest, process.stdout);
    case 'capture':
      return (await import('./capture-command.js')).captureCommand(rest, process.stdout, err);
    case 'detect':
      return (await import('./detect-command.js')).detectCommand(rest, process.stdout, err);
    case 'ingest':
      return (await import('./ingest-command.js')).ingestCommand(rest, process.stdout, err);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

// `tapline flows ... | head`: the reader went away; stop quietly, as other Unix tools do
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      err(`${(e as Error).message}\n${USAGE}`);
      process.exitCode = 2;
    } else {
      err(`error: ${(e as Error).message}`);
      if (process.env.TAPLINE_DEBUG) console.error(e);
      process.exitCode = 1;
    }
  },
);
