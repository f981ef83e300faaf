/**
 * EtherType values the link decoder acts on, and the (memoised, constant) reason text for
 * EtherTypes that do not carry IP.
 */

export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  IPV6: 0x86dd,
  MPLS_UNICAST: 0x8847,
  MPLS_MULTICAST: 0x8848,
  PPPOE_DISCOVERY: 0x8863,
  PPPOE_SESSION: 0x8864,
  QINQ: 0x88a8,
  /** Pre-standard stacked VLAN tag used by some switches. */
  QINQ_OLD: 0x9100,
} as const;

const NAMES: ReadonlyMap<number, string> = new Map([
  [0x0806, 'ARP'], [0x8035, 'RARP'], [0x809b, 'AppleTalk'], [0x80f3, 'AARP'], [0x8137, 'IPX'],
  [0x8808, 'Ethernet flow control'], [0x8809, 'slow protocols (LACP)'], [0x8847, 'MPLS'],
  [0x8848, 'MPLS multicast'], [0x8863, 'PPPoE discovery'], [0x8864, 'PPPoE session'],
  [0x888e, 'EAPOL'], [0x88cc, 'LLDP'], [0x88e5, 'MACsec'], [0x88f7, 'PTP'], [0x8906, 'FCoE'],
  [0x9000, 'loopback'],
]);

const reasons = new Map<number, string>();

/** "EtherType 0x0806 (ARP) is not IP", built once per EtherType. */
export function nonIpEtherTypeReason(etherType: number): string {
  let r = reasons.get(etherType);
  if (r === undefined) {
    const name = NAMES.get(etherType);
    const hex = etherType.toString(16).padStart(4, '0');
    r = name === undefined ? `EtherType 0x${hex} is not IP` : `EtherType 0x${hex} (${name}) is not IP`;
    reasons.set(etherType, r); // at most 65536 entries: EtherTypes are 16-bit
  }
  return r;
}
