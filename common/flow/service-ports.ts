/**
 * Registered service ports above 1023 that are servers far more often than clients. Used only to
 * orient flows whose handshake was not captured.
 */
const SERVICE_PORTS = new Set<number>([
  1080, 1194, 1433, 1521, 1723, 1883, 2049, 2181, 2375, 2376, 3000, 3128, 3268, 3306, 3389, 3478, 4444, 4789,
  5060, 5061, 5222, 5353, 5432, 5514, 5601, 5672, 5900, 5985, 5986, 6379, 6443, 6514, 6667, 8000, 8008, 8080,
  8081, 8088, 8443, 8888, 9000, 9042, 9090, 9092, 9200, 9300, 9418, 11211, 27017,
]);

export function isWellKnownServicePort(port: number): boolean {
  return SERVICE_PORTS.has(port);
}
