/** IP protocol numbers and the names analysts type and read (as the back end's parser accepts). */
const NAMES: Record<number, string> = {
  1: 'icmp',
  2: 'igmp',
  6: 'tcp',
  17: 'udp',
  41: 'ipv6',
  47: 'gre',
  50: 'esp',
  51: 'ah',
  58: 'icmp6',
  89: 'ospf',
  103: 'pim',
  112: 'vrrp',
  132: 'sctp',
};

export function protoName(proto: number): string {
  return NAMES[proto] ?? String(proto);
}

/** Protocols whose flows have ports (so port filters make sense for them). */
export function protoHasPorts(proto: number): boolean {
  return proto === 6 || proto === 17 || proto === 132;
}
