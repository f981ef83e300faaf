/** Flow rows for the renderer tests, as the back end sends them (FlowRowSchema). */
import type { FlowRow } from '../../../common/bridge/messages.js';

export const HTTP_V4: FlowRow = {
  id: 'ddc7da321d65-0',
  sensor: 'lab',
  kind: 'ip',
  proto: 6,
  client_ip: '141.142.228.5',
  client_port: 59856,
  server_ip: '192.150.187.43',
  server_port: 80,
  first_ts: '1362692526.869344000',
  last_ts: '1362692527.080972000',
  packets: 14,
  bytes: 6087,
  client_packets: 7,
  client_bytes: 610,
  server_packets: 7,
  server_bytes: 5477,
  community_id: '1:yvyB8h+3dnggTZW0UEITWCst97w=',
  vlan: null,
  tcp_flags: 27,
  icmp_type: null,
  icmp_code: null,
  l2_type: null,
  fragmented: false,
  note: null,
  rank: 0,
  classes: [],
};

export const HTTP_V6: FlowRow = {
  ...HTTP_V4,
  id: 'cf0de69c9718-1',
  client_ip: '2001:db8:1:2::1002',
  client_port: 35023,
  server_ip: '2001:db8:1:2::1000',
  server_port: 80,
  first_ts: '1448215096.399450000',
  last_ts: '1448215096.404047000',
  packets: 10,
  bytes: 1451,
  client_packets: 6,
  client_bytes: 608,
  server_packets: 4,
  server_bytes: 843,
  community_id: '1:thTcakmyvO8TA8uU8ufWUmbYkWY=',
};

export const ICMP_V4: FlowRow = {
  ...HTTP_V4,
  id: 'aa00bb11cc22-7',
  proto: 1,
  client_ip: '10.0.0.1',
  client_port: null,
  server_ip: '10.0.0.2',
  server_port: null,
  tcp_flags: null,
  icmp_type: 8,
  icmp_code: 0,
  community_id: '1:X0snYXpgwiv9TZtqg64sgzUn6Dk=',
};

export const NON_IP: FlowRow = {
  ...HTTP_V4,
  id: 'aa00bb11cc22-9',
  kind: 'non-ip',
  proto: null,
  client_ip: null,
  client_port: null,
  server_ip: null,
  server_port: null,
  community_id: null,
  tcp_flags: null,
  l2_type: 0x0806,
  note: 'non-IP traffic, EtherType 0x0806',
};

/** A synthetic TCP flow number n (distinct id, address, port and time). */
export function flowN(n: number, sensor = 'lab'): FlowRow {
  return {
    ...HTTP_V4,
    id: `0123456789ab-${n}`,
    sensor,
    client_ip: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
    client_port: 1024 + (n % 60000),
    first_ts: `${1_700_000_000 + n}.000000123`,
    last_ts: `${1_700_000_000 + n}.500000000`,
    community_id: null,
  };
}
