/**
 * store.json: the list of captures a store holds. It is the store's only source of truth;
 * index files are derived from the captures and can always be rebuilt.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AtomicFile } from '../fs/atomic-file.js';

export const CaptureEntrySchema = z.object({
  /** 12 hex digits derived from the fingerprint; prefixes every flow id of this capture. */
  id: z.string().regex(/^[0-9a-f]{12}$/),
  path: z.string().min(1),
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  mtimeMs: z.number().nonnegative(),
  importedAt: z.string(),
  /**
   * Index parts (an import bounded in memory split the index): their number, absent for one
   * index. Part 0 is indexes/<id>.tpi, part n indexes/<partId(fingerprint, n)>.tpi.
   */
  parts: z.number().int().min(2).optional(),
  /** The flow-table budget the parts were built with: a rebuild uses it again, so flow ids stay. */
  memoryBudget: z.number().int().positive().optional(),
});
export type CaptureEntry = z.infer<typeof CaptureEntrySchema>;

export const ManifestSchema = z.object({
  tapline: z.literal('store'),
  version: z.literal(1),
  captures: z.array(CaptureEntrySchema),
});
export type Manifest = z.infer<typeof ManifestSchema>;

export const MANIFEST_NAME = 'store.json';

export async function readManifest(dir: string): Promise<Manifest | null> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_NAME), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`${join(dir, MANIFEST_NAME)} is not valid JSON`);
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${join(dir, MANIFEST_NAME)} is not a Tapline store manifest: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

export async function writeManifest(dir: string, m: Manifest): Promise<void> {
  const f = await AtomicFile.create(join(dir, MANIFEST_NAME));
  try {
    await f.write(new TextEncoder().encode(`${JSON.stringify(m, null, 1)}\n`));
    await f.commit();
  } catch (e) {
    await f.abort();
    throw e;
  }
}
