/**
 * LINKTYPE_* values (tcpdump.org/linktypes.html) that the decoder knows by name, and the
 * reason text for link types it does not decode. Reasons are built once per link type and
 * cached so the per-packet path never allocates a string.
 */

export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  /** DLT_RAW as written by most platforms (pcap files from before LINKTYPE_RAW existed). */
  DLT_RAW_12: 12,
  /** DLT_RAW as written by OpenBSD. */
  DLT_RAW_14: 14,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  NFLOG: 239,
  LINUX_SLL2: 276,
} as const;

const NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'NULL'], [1, 'ETHERNET'], [6, 'IEEE802_5'], [8, 'SLIP'], [9, 'PPP'], [10, 'FDDI'],
  [12, 'RAW'], [14, 'RAW'], [50, 'PPP_HDLC'], [51, 'PPP_ETHER'], [101, 'RAW'], [104, 'C_HDLC'],
  [105, 'IEEE802_11'], [107, 'FRELAY'], [108, 'LOOP'], [113, 'LINUX_SLL'], [117, 'PFLOG'],
  [119, 'IEEE802_11_PRISM'], [127, 'IEEE802_11_RADIOTAP'], [143, 'DOCSIS'],
  [187, 'BLUETOOTH_HCI_H4'], [189, 'USB_LINUX'], [192, 'PPI'], [195, 'IEEE802_15_4_WITHFCS'],
  [201, 'BLUETOOTH_HCI_H4_WITH_PHDR'], [220, 'USB_LINUX_MMAPPED'], [227, 'CAN_SOCKETCAN'],
  [228, 'IPV4'], [229, 'IPV6'], [239, 'NFLOG'], [249, 'USBPCAP'], [253, 'NETLINK'],
  [276, 'LINUX_SLL2'],
]);

/** Short LINKTYPE name without the prefix ("ETHERNET", "USER0"), or "unknown". */
export function linkTypeName(linkType: number): string {
  if (linkType >= 147 && linkType <= 162) return `USER${linkType - 147}`;
  return NAMES.get(linkType) ?? 'unknown';
}

const unsupportedReasons = new Map<number, string>();

/** "link type 147 (USER0) is not decoded", memoised per link type. */
export function unsupportedLinkReason(linkType: number): string {
  let r = unsupportedReasons.get(linkType);
  if (r === undefined) {
    r = `link type ${linkType} (${linkTypeName(linkType)}) is not decoded`;
    // Link types come from file headers; cap the cache so hostile input cannot grow it forever.
    if (unsupportedReasons.size < 1024) unsupportedReasons.set(linkType, r);
  }
  return r;
}
