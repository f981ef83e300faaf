/** Types for bundle-carve.mjs (used by the tests). */
export function bundleCarve(outfile?: string): Promise<string>;
