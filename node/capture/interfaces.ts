/**
 * Interface listing for `tapline interfaces` and the capture worker's `interfaces` method.
 *
 * Names, descriptions and addresses come from libpcap's pcap_findalldevs (through the `pcap`
 * binding), so the list is exactly what can be captured on, including pseudo-devices (`any`,
 * `nflog`). pcap_findalldevs as the binding exposes it gives neither the link type nor the
 * up/down state, so on Linux those come from /sys/class/net/NAME (type = ARPHRD_*, flags bit
 * IFF_UP, operstate). Without the binding the list falls back to /sys/class/net plus
 * os.networkInterfaces() and says so in `source`.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { loadPcapBinding, type PcapDevice } from './sources/libpcap-binding.js';
import { loadNativeCapture, type NativeCaptureDevice } from './sources/native-capture-addon.js';

const PCAP_IF_LOOPBACK = 0x1;

export interface InterfaceAddress {
  addr: string;
  netmask: string | null;
}

export interface InterfaceInfo {
  name: string;
  description: string | null;
  addresses: InterfaceAddress[];
  /** LINKTYPE_* libpcap will report when capturing, or null when it cannot be known up front. */
  linkType: number | null;
  /** IFF_UP (administratively up); null when unknown (pseudo-devices). */
  up: boolean | null;
  /** Kernel operstate ("up", "down", "unknown", ...), null when there is none. */
  operState: string | null;
  loopback: boolean;
}

export interface InterfaceList {
  interfaces: InterfaceInfo[];
  /** Where the list came from, e.g. "libpcap 1.10.3 pcap_findalldevs + /sys/class/net". */
  source: string;
}

const IFF_UP = 0x1;

/** Linux ARPHRD_* → the LINKTYPE libpcap's pcap-linux.c maps it to (common cases). */
export function linkTypeForArphrd(arphrd: number): number | null {
  switch (arphrd) {
    case 1: // ETHER
    case 772: // LOOPBACK: libpcap presents it as Ethernet
      return 1;
    case 65534: // NONE (tun, wireguard)
    case 776: // SIT
    case 768: // TUNNEL (ipip)
    case 769: // TUNNEL6
    case 778: // IPGRE
      return 101;
    case 512: // PPP: libpcap uses cooked mode
      return 113;
    case 803: // IEEE80211_RADIOTAP
      return 127;
    case 801: // IEEE80211
      return 105;
    case 280: // CAN
      return 227;
    case 804:
      return 195;
    case 824: // NETLINK
      return 253;
    default:
      return null;
  }
}

function readSys(name: string, file: string): string | null {
  if (name.includes('/') || name === '.' || name === '..') return null;
  try {
    return readFileSync(`/sys/class/net/${name}/${file}`, 'utf8').trim();
  } catch {
    return null;
  }
}

/** The link type libpcap will use on a Linux interface, from sysfs; null when unknown. */
export function linuxLinkTypeOf(name: string): number | null {
  if (name === 'any') return 113; // libpcap 1.10 default for "any": LINUX_SLL
  if (name === 'nflog') return 239;
  if (name === 'nfqueue') return 245;
  const type = readSys(name, 'type');
  if (type === null) return null;
  return linkTypeForArphrd(Number(type));
}

function sysState(name: string): { up: boolean | null; operState: string | null } {
  const flags = readSys(name, 'flags');
  const operState = readSys(name, 'operstate');
  return { up: flags === null ? null : (Number(flags) & IFF_UP) !== 0, operState };
}

function fromPcap(d: PcapDevice): InterfaceInfo {
  const addresses: InterfaceAddress[] = [];
  for (const a of d.addresses) if (a && typeof a.addr === 'string') addresses.push({ addr: a.addr, netmask: a.netmask ?? null });
  return {
    name: d.name,
    description: d.description ?? null,
    addresses,
    linkType: linuxLinkTypeOf(d.name),
    ...sysState(d.name),
    loopback: d.flags === 'PCAP_IF_LOOPBACK',
  };
}

function fromSysfs(): InterfaceInfo[] {
  const os = networkInterfaces();
  let names: string[] = [];
  try {
    names = readdirSync('/sys/class/net');
  } catch {
    names = Object.keys(os);
  }
  return names.sort().map((name) => {
    const addrs = os[name] ?? [];
    return {
      name,
      description: null,
      addresses: addrs.map((a) => ({ addr: a.address, netmask: a.netmask })),
      linkType: linuxLinkTypeOf(name),
      ...sysState(name),
      loopback: addrs.some((a) => a.internal),
    };
  });
}

function fromNative(d: NativeCaptureDevice): InterfaceInfo {
  return {
    ...fromPcap({ name: d.name, description: d.description, addresses: d.addresses }),
    loopback: (d.flags & PCAP_IF_LOOPBACK) !== 0,
  };
}

export function listInterfaces(): InterfaceList {
  // Tapline's capture addon first (it also gives pcap_findalldevs' flags as numbers), then the
  // `pcap` package's binding, then sysfs
  const native = loadNativeCapture();
  if (native.ok) {
    try {
      const devs = native.addon.findAllDevs();
      return { interfaces: devs.map(fromNative), source: `${native.addon.version()} pcap_findalldevs (native capture addon) + /sys/class/net` };
    } catch {
      // as below with the binding: fall through to the next source
    }
  }
  let binding;
  try {
    binding = loadPcapBinding();
  } catch (e) {
    return { interfaces: fromSysfs(), source: `/sys/class/net + os.networkInterfaces() (${e instanceof Error ? e.message : String(e)})` };
  }
  let devs: PcapDevice[];
  try {
    devs = binding.findalldevs();
  } catch (e) {
    // pcap_findalldevs fails (or finds nothing) without capture permission on some systems.
    return { interfaces: fromSysfs(), source: `/sys/class/net + os.networkInterfaces() (pcap_findalldevs: ${e instanceof Error ? e.message : String(e)})` };
  }
  return { interfaces: devs.map(fromPcap), source: `${binding.lib_version()} pcap_findalldevs + /sys/class/net` };
}
