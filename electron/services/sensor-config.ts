/**
 * Remote sensors the user added, persisted in STORE/sensors.json. The file holds their tokens, so
 * it is written 0600 (atomically: temp file, then rename) and re-checked on load.
 */
import { chmod, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

export const RemoteSensorConfigSchema = z
  .object({
    id: z.string().regex(/^[0-9A-Za-z._-]{1,64}$/, 'letters, digits, . _ - (at most 64)'),
    url: z.string().url().max(2048),
    token: z.string().min(16).max(1024).regex(/^[\x21-\x7e]+$/, 'printable characters without spaces'),
    /** SHA-256 certificate fingerprint (colon-separated hex); null for plain HTTP on loopback. */
    fingerprint: z.string().max(200).nullable(),
  })
  .strict();
export type RemoteSensorConfig = z.infer<typeof RemoteSensorConfigSchema>;

const FileSchema = z.object({ version: z.literal(1), sensors: z.array(RemoteSensorConfigSchema) });

export function sensorConfigPath(storeDir: string): string {
  return join(storeDir, 'sensors.json');
}

export async function loadSensorConfig(storeDir: string): Promise<RemoteSensorConfig[]> {
  const path = sensorConfigPath(storeDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not valid JSON; fix or remove it`);
  }
  const r = FileSchema.safeParse(json);
  if (!r.success) throw new Error(`${path}: ${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}; fix or remove it`);
  // tighten a file someone loosened: it holds tokens
  if (process.platform !== 'win32') await chmod(path, 0o600);
  return r.data.sensors;
}

export async function saveSensorConfig(storeDir: string, sensors: RemoteSensorConfig[]): Promise<void> {
  const path = sensorConfigPath(storeDir);
  const tmp = `${path}.${process.pid}.tmp`;
  await rm(tmp, { force: true }); // the mode below applies only to a new file
  await writeFile(tmp, `${JSON.stringify({ version: 1, sensors }, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, path);
}
