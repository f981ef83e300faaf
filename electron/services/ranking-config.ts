/**
 * A store's event classes and threat lists: STORE/classes.json and STORE/threat-lists.json,
 * validated with zod on load, written atomically (temp file, fsync, rename), compiled into one
 * Ranker after every change.
 *
 * A damaged file is never overwritten: its part of ranking is off (the other file still works),
 * every call that reads or changes it fails with the file's name, the problem and what to do,
 * and the file stays byte for byte as it was until someone fixes or moves it and restarts.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  EventClassSchema,
  NewEventClassSchema,
  NewThreatListSchema,
  ThreatListSchema,
  type EventClass,
  type NewEventClass,
  type NewThreatList,
  type ThreatList,
} from '../../common/bridge/messages.js';
import { Ranker } from '../../common/ranking/ranker.js';
import { AtomicFile } from '../../node/fs/atomic-file.js';
import { Mutex } from './mutex.js';
import { ServiceError } from './sensor-backend.js';

export const MAX_CLASSES = 1000;
export const MAX_THREAT_LISTS = 200;

const uniqueIds = <T extends { id: string }>(items: T[]): boolean => new Set(items.map((i) => i.id)).size === items.length;

const ClassesFileSchema = z
  .object({ version: z.literal(1), classes: z.array(EventClassSchema).max(MAX_CLASSES) })
  .refine((f) => uniqueIds(f.classes), 'two classes have the same id');
const ListsFileSchema = z
  .object({ version: z.literal(1), lists: z.array(ThreatListSchema).max(MAX_THREAT_LISTS) })
  .refine((f) => uniqueIds(f.lists), 'two threat lists have the same id');

export function classesPath(storeDir: string): string {
  return join(storeDir, 'classes.json');
}
export function threatListsPath(storeDir: string): string {
  return join(storeDir, 'threat-lists.json');
}

type Loaded<T> = { items: T[]; problem: null } | { items: []; problem: string };

async function load<S extends z.ZodType, T>(path: string, schema: S, pick: (data: z.output<S>) => T[]): Promise<Loaded<T>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { items: [], problem: null };
    return { items: [], problem: `cannot be read (${(e as Error).message})` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { items: [], problem: `is not valid JSON (${(e as Error).message})` };
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    return { items: [], problem: `${i?.path.length ? `${i.path.join('.')}: ` : ''}${i?.message ?? 'invalid'}` };
  }
  return { items: pick(r.data), problem: null };
}

async function save(path: string, body: unknown): Promise<void> {
  const f = await AtomicFile.create(path);
  try {
    await f.write(Buffer.from(`${JSON.stringify(body, null, 2)}\n`, 'utf8'));
    await f.commit();
  } catch (e) {
    await f.abort();
    throw e;
  }
}

function newId(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

function checked<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const i = r.error.issues[0];
  throw new ServiceError(`${what}: ${i?.path.length ? `${i.path.join('.')}: ` : ''}${i?.message ?? 'invalid'}`, 400);
}

export class RankingConfig {
  private current: Ranker;
  private readonly lock = new Mutex();

  private constructor(
    private readonly storeDir: string,
    private classes: EventClass[],
    private lists: ThreatList[],
    private readonly classesProblem: string | null,
    private readonly listsProblem: string | null,
  ) {
    this.current = new Ranker(classes, lists);
  }

  static async open(storeDir: string): Promise<RankingConfig> {
    const c = await load(classesPath(storeDir), ClassesFileSchema, (d) => d.classes);
    const l = await load(threatListsPath(storeDir), ListsFileSchema, (d) => d.lists);
    return new RankingConfig(storeDir, c.items, l.items, c.problem, l.problem);
  }

  /** The compiled classes and lists (replaced, never mutated, on every change). */
  get ranker(): Ranker {
    return this.current;
  }

  /** One line per damaged file, for the log and a notice. */
  problems(): string[] {
    const out: string[] = [];
    if (this.classesProblem) out.push(`${classesPath(this.storeDir)} ${this.classesProblem}: event classes are off until it is fixed (the file was left as it is)`);
    if (this.listsProblem) out.push(`${threatListsPath(this.storeDir)} ${this.listsProblem}: threat lists are off until it is fixed (the file was left as it is)`);
    return out;
  }

  private damaged(path: string, problem: string, what: string): ServiceError {
    return new ServiceError(`${path} is damaged (${problem}); ${what} are off and cannot be changed until it is fixed`, 503, 'fix the file by hand, or move it away to start again without them, then restart Tapline; nothing in it was changed');
  }

  private classesUsable(): void {
    if (this.classesProblem) throw this.damaged(classesPath(this.storeDir), this.classesProblem, 'event classes');
  }
  private listsUsable(): void {
    if (this.listsProblem) throw this.damaged(threatListsPath(this.storeDir), this.listsProblem, 'threat lists');
  }

  private recompile(): void {
    this.current = new Ranker(this.classes, this.lists);
  }

  // ---- classes ----

  listClasses(): EventClass[] {
    this.classesUsable();
    return this.classes.map((c) => structuredClone(c));
  }

  /** Saves the new list first; memory (and ranking) change only when the file was written. */
  private async commitClasses(next: EventClass[]): Promise<void> {
    await save(classesPath(this.storeDir), { version: 1, classes: next });
    this.classes = next;
    this.recompile();
  }

  createClass(input: NewEventClass): Promise<EventClass> {
    return this.lock.run(async () => {
      this.classesUsable();
      if (this.classes.length >= MAX_CLASSES) throw new ServiceError(`there are already ${MAX_CLASSES} event classes`, 409, 'delete classes you no longer use');
      const c: EventClass = { id: newId('class'), ...checked(NewEventClassSchema, input, 'class') };
      await this.commitClasses([...this.classes, c]);
      return structuredClone(c);
    });
  }

  updateClass(id: string, input: NewEventClass): Promise<EventClass> {
    return this.lock.run(async () => {
      this.classesUsable();
      const i = this.classes.findIndex((c) => c.id === id);
      if (i < 0) throw new ServiceError(`no event class ${id}`, 404, 'reload the list of classes');
      const c: EventClass = { id, ...checked(NewEventClassSchema, input, 'class') };
      await this.commitClasses(this.classes.map((x, j) => (j === i ? c : x)));
      return structuredClone(c);
    });
  }

  deleteClass(id: string): Promise<void> {
    return this.lock.run(async () => {
      this.classesUsable();
      if (!this.classes.some((c) => c.id === id)) throw new ServiceError(`no event class ${id}`, 404, 'reload the list of classes');
      await this.commitClasses(this.classes.filter((c) => c.id !== id));
    });
  }

  // ---- threat lists ----

  listThreatLists(): ThreatList[] {
    this.listsUsable();
    return this.lists.map((l) => structuredClone(l));
  }

  private async commitLists(next: ThreatList[]): Promise<void> {
    await save(threatListsPath(this.storeDir), { version: 1, lists: next });
    this.lists = next;
    this.recompile();
  }

  createThreatList(input: NewThreatList): Promise<ThreatList> {
    return this.lock.run(async () => {
      this.listsUsable();
      if (this.lists.length >= MAX_THREAT_LISTS) throw new ServiceError(`there are already ${MAX_THREAT_LISTS} threat lists`, 409, 'merge or delete lists');
      const l: ThreatList = { id: newId('list'), ...checked(NewThreatListSchema, input, 'threat list') };
      await this.commitLists([...this.lists, l]);
      return structuredClone(l);
    });
  }

  updateThreatList(id: string, input: NewThreatList): Promise<ThreatList> {
    return this.lock.run(async () => {
      this.listsUsable();
      const i = this.lists.findIndex((l) => l.id === id);
      if (i < 0) throw new ServiceError(`no threat list ${id}`, 404, 'reload the threat lists');
      const l: ThreatList = { id, ...checked(NewThreatListSchema, input, 'threat list') };
      await this.commitLists(this.lists.map((x, j) => (j === i ? l : x)));
      return structuredClone(l);
    });
  }

  deleteThreatList(id: string): Promise<void> {
    return this.lock.run(async () => {
      this.listsUsable();
      if (!this.lists.some((l) => l.id === id)) throw new ServiceError(`no threat list ${id}`, 404, 'reload the threat lists');
      await this.commitLists(this.lists.filter((l) => l.id !== id));
    });
  }

  /** Waits for a write in progress (before the store closes). */
  flush(): Promise<void> {
    return this.lock.run(async () => undefined);
  }
}
