/** Types for bundle-preload.mjs (used by the tests). */
export function bundlePreload(outfile?: string): Promise<string>;
