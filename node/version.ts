/** The running Tapline version, written into every index it builds. */
export const TAPLINE_VERSION = 'tapline 0.1.0';
