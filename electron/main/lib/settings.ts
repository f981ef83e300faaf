/**
 * The desktop app's settings: one JSON file in the userData folder (see app-paths.ts), validated
 * with zod on load. A damaged file never stops the app: unreadable JSON is moved aside
 * (settings.json.corrupt-<time>) and defaults are used; a readable file keeps every valid field
 * and resets only the invalid ones. Writes are atomic (temp file, fsync, rename) and private (0600).
 */
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute } from 'node:path';
import { z } from 'zod';

export const THEMES = ['system', 'light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];

/** An IANA zone the runtime knows (Intl), or "local" for the machine's own zone. */
export function isValidTimeZone(tz: string): boolean {
  if (tz === 'local') return true;
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The local HTTP API's preferred loopback port (desktop-backend.ts). */
export const DEFAULT_API_PORT = 7880;

const coord = z.number().int().min(-100_000).max(100_000);
export const WindowBoundsSchema = z
  .object({
    x: coord,
    y: coord,
    width: z.number().int().min(320).max(100_000),
    height: z.number().int().min(240).max(100_000),
    maximized: z.boolean(),
  })
  .strict();
export type WindowBounds = z.infer<typeof WindowBoundsSchema>;

const FIELDS = {
  version: z.literal(1),
  /** The packet store the app opens; null: the platform default (app-paths.ts). */
  storeDir: z
    .string()
    .min(1)
    .max(4096)
    .refine((p) => isAbsolute(p) && !p.includes('\0'), 'must be an absolute path')
    .nullable(),
  windowBounds: WindowBoundsSchema.nullable(),
  /** How times are shown: "UTC" (default), "local", or an IANA zone such as "Europe/Berlin". */
  timeZone: z.string().max(64).refine(isValidTimeZone, 'is not a known time zone'),
  theme: z.enum(THEMES),
  /**
   * The loopback API's preferred port (127.0.0.1 only; a taken port falls back to an ephemeral
   * one); 0: always an ephemeral port. A default, so files of older versions stay valid.
   */
  apiPort: z.number().int().min(0).max(65535).default(DEFAULT_API_PORT),
};
export const SettingsSchema = z.object(FIELDS).strict();
export type Settings = z.infer<typeof SettingsSchema>;

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({ version: 1, storeDir: null, windowBounds: null, timeZone: 'UTC', theme: 'system', apiPort: DEFAULT_API_PORT });

/** A settings file larger than this is not ours. */
export const MAX_SETTINGS_BYTES = 64 * 1024;

export interface LoadedSettings {
  settings: Settings;
  /** What was wrong with the file, one line each (empty when it was fine or absent). */
  problems: string[];
  /** True when the file on disk should be rewritten (it was repaired, replaced or absent). */
  needsSave: boolean;
}

function defaults(): Settings {
  return { ...DEFAULT_SETTINGS };
}

async function moveFileAside(file: string, now: Date): Promise<string | null> {
  const aside = `${file}.corrupt-${now.toISOString().replace(/[:.]/g, '-')}`;
  try {
    await rename(file, aside);
    return aside;
  } catch {
    return null;
  }
}

/**
 * Reads, validates and if needed repairs the settings file. Never throws for a bad file.
 * readOnly (the CLI): repairs in memory only and never moves or writes a file.
 */
export async function loadSettings(file: string, opts: { now?: Date; readOnly?: boolean } = {}): Promise<LoadedSettings> {
  const now = opts.now ?? new Date();
  const setAside = async (): Promise<string> => {
    if (opts.readOnly) return 'left in place';
    const aside = await moveFileAside(file, now);
    return aside ? `moved to ${aside}` : 'could not be moved aside';
  };
  let text: string;
  try {
    const st = await stat(file);
    if (st.size > MAX_SETTINGS_BYTES) {
      return { settings: defaults(), problems: [`settings file is larger than ${MAX_SETTINGS_BYTES} bytes (${await setAside()}); using defaults`], needsSave: true };
    }
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { settings: defaults(), problems: [], needsSave: true };
    return { settings: defaults(), problems: [`settings file unreadable (${(e as Error).message}); using defaults`], needsSave: false };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { settings: defaults(), problems: [`settings file is not a JSON object (${await setAside()}); using defaults`], needsSave: true };
  }
  const whole = SettingsSchema.safeParse(raw);
  if (whole.success) return { settings: whole.data, problems: [], needsSave: false };

  // Field by field: keep what is valid, reset what is not, drop unknown keys.
  const obj = raw as Record<string, unknown>;
  const settings: Record<string, unknown> = defaults();
  const problems: string[] = [];
  for (const [key, schema] of Object.entries(FIELDS)) {
    if (!Object.hasOwn(obj, key)) continue;
    const r = (schema as z.ZodType).safeParse(obj[key]);
    if (r.success) settings[key] = r.data;
    else problems.push(`settings.${key} ${r.error.issues[0]?.message ?? 'is invalid'}; reset to ${JSON.stringify(settings[key])}`);
  }
  for (const key of Object.keys(obj)) if (!Object.hasOwn(FIELDS, key)) problems.push(`settings.${key} is unknown; dropped`);
  return { settings: SettingsSchema.parse(settings), problems, needsSave: true };
}

/** Writes the settings atomically with owner-only permissions. Refuses invalid settings. */
export async function saveSettings(file: string, settings: Settings): Promise<void> {
  const valid = SettingsSchema.parse(settings);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const h = await open(temp, 'w', 0o600);
  try {
    await h.writeFile(`${JSON.stringify(valid, null, 2)}\n`, 'utf8');
    await h.sync();
  } finally {
    await h.close();
  }
  try {
    await rename(temp, file);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}

/** The settings in memory plus serialized saving (later updates never lose to earlier writes). */
export class SettingsStore {
  private chain: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    private current: Settings,
  ) {}

  static async open(file: string, log: (line: string) => void = () => undefined): Promise<SettingsStore> {
    const loaded = await loadSettings(file);
    for (const p of loaded.problems) log(p);
    const store = new SettingsStore(file, loaded.settings);
    if (loaded.needsSave) await store.flush().catch((e: unknown) => log(`could not write ${file}: ${(e as Error).message}`));
    return store;
  }

  get(): Settings {
    return { ...this.current };
  }

  /** Applies a change (validated whole before it is accepted) and saves it. */
  update(patch: Partial<Omit<Settings, 'version'>>): Promise<void> {
    this.current = SettingsSchema.parse({ ...this.current, ...patch });
    return this.flush();
  }

  flush(): Promise<void> {
    const snapshot = this.get();
    this.chain = this.chain.catch(() => undefined).then(() => saveSettings(this.file, snapshot));
    return this.chain;
  }
}
