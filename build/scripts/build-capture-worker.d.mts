/** Types for build-capture-worker.mjs (used by the tests). */
export const WORKER_EXECUTABLE: string;
export function buildCaptureWorker(opts?: { outDir?: string; node?: string; log?: (line: string) => void }): Promise<string>;
