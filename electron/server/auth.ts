/**
 * Who may call the API: the serve token (Bearer header, compared in constant time) or a session
 * cookie obtained by logging in with the token. The token lives in a file only its owner can
 * read; a token file others can read is refused.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';

export const SESSION_COOKIE = 'tapline_session';
export const LOGIN_HINT = 'open the login URL printed by tapline serve';

/** A refusal of the token file: the serve command prints it and exits 2. */
export class TokenFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenFileError';
  }
}

async function checkPrivate(path: string): Promise<void> {
  if (process.platform === 'win32') return; // no POSIX modes; NTFS ACLs are the user's
  const st = await stat(path);
  if (!st.isFile()) throw new TokenFileError(`token file ${path} is not a regular file`);
  if (st.mode & 0o077) {
    throw new TokenFileError(`token file ${path} is accessible by other users (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); run: chmod 600 ${path}`);
  }
}

/** Reads --token-file, or creates STORE/serve-token (32 random bytes, hex, mode 0600) on first run. */
export async function loadToken(opts: { tokenFile?: string; defaultPath: string }): Promise<{ token: string; path: string; created: boolean }> {
  const path = opts.tokenFile ?? opts.defaultPath;
  let created = false;
  if (!opts.tokenFile) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(`${randomBytes(32).toString('hex')}\n`);
      await fh.close();
      created = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  try {
    await checkPrivate(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new TokenFileError(`token file ${path} does not exist`);
    throw e;
  }
  const token = (await readFile(path, 'utf8')).trim();
  if (token.length < 16 || token.length > 1024 || !/^[\x21-\x7e]+$/.test(token)) {
    throw new TokenFileError(`token file ${path} must hold one token of 16 to 1024 printable characters without spaces`);
  }
  return { token, path, created };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

interface Session {
  expires: number;
}

export type AuthResult = { kind: 'bearer' } | { kind: 'cookie'; session: string };

export interface AuthOptions {
  token: string;
  /** How long a login lasts (default 7 days). */
  sessionMs?: number;
  /** At most this many sessions; the oldest is dropped first. */
  maxSessions?: number;
  now?: () => number;
}

export class Authenticator {
  private readonly tokenDigest: Buffer;
  private readonly sessions = new Map<string, Session>();
  private readonly sessionMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;
  private readonly endListeners = new Set<(session: string) => void>();

  constructor(opts: AuthOptions) {
    this.tokenDigest = digest(opts.token);
    this.sessionMs = opts.sessionMs ?? 7 * 24 * 3600 * 1000;
    this.maxSessions = opts.maxSessions ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** Constant-time: both sides are hashed to the same length first. */
  tokenMatches(candidate: string): boolean {
    return timingSafeEqual(digest(candidate), this.tokenDigest);
  }

  createSession(): string {
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, { expires: this.now() + this.sessionMs });
    while (this.sessions.size > this.maxSessions) this.sessions.delete(this.sessions.keys().next().value as string);
    return id;
  }

  endSession(id: string): void {
    if (!this.sessions.delete(id)) return;
    for (const l of this.endListeners) l(id);
  }

  /** Called when a session is ended (logout), so its live streams can be closed at once. */
  onSessionEnd(listener: (session: string) => void): () => void {
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  sessionValid(id: string): boolean {
    const s = this.sessions.get(id);
    if (!s) return false;
    if (s.expires <= this.now()) {
      this.sessions.delete(id);
      return false;
    }
    return true;
  }

  /** Still allowed? (a WebSocket re-checks this on every keepalive tick) */
  stillValid(a: AuthResult): boolean {
    return a.kind === 'bearer' || this.sessionValid(a.session);
  }

  /**
   * The request's credentials: a Bearer header wins (and must be right); otherwise the session
   * cookie. Returns null when neither is valid.
   */
  authenticate(req: IncomingMessage): AuthResult | null {
    const h = req.headers.authorization;
    if (h !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
      return m && this.tokenMatches(m[1]) ? { kind: 'bearer' } : null;
    }
    const sid = sessionCookie(req);
    return sid !== null && this.sessionValid(sid) ? { kind: 'cookie', session: sid } : null;
  }
}

export function sessionCookie(req: IncomingMessage): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === SESSION_COOKIE) {
      const v = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{20,100}$/.test(v) ? v : null;
    }
  }
  return null;
}

export function sessionCookieHeader(id: string, tls: boolean, maxAgeSec: number | null): string {
  const age = maxAgeSec === null ? '' : `; Max-Age=${maxAgeSec}`;
  return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/${tls ? '; Secure' : ''}${age}`;
}
