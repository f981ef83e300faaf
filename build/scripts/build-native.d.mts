/** Types for build-native.mjs (used by the tests and the worker build). */
export function nativeAddonNames(): string[];
export function buildNative(opts?: { log?: (line: string) => void }): void;
