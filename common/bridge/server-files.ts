/** Captures already on a serve host (serve --import-dir): the listing and the import request. */
import { z } from 'zod';

/** A capture file in the import directory. */
export const ServerFileSchema = z.object({
  /** Path relative to the import directory, '/'-separated: what an import names. */
  name: z.string().min(1).max(4096),
  size: z.number().int().nonnegative(),
  mtime_ms: z.number().int(),
});
export type ServerFile = z.infer<typeof ServerFileSchema>;

export const ImportServerFileSchema = z.object({ name: z.string().min(1).max(4096) }).strict();
export type ImportServerFile = z.infer<typeof ImportServerFileSchema>;
