/**
 * Logged-in operators. Sessions live in memory (a console restart logs everyone out, which is
 * the safe direction); each carries its own CSRF token for acknowledgements.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../ports/clock.js';

export interface Session {
  id: string;
  user: string;
  csrf: string;
  expiresAtMs: number;
}

export const SESSION_COOKIE = '__Host-minwang-session';
const IDLE_MS = 12 * 3600_000;
const MAX_SESSIONS = 1000;

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly clock: Clock) {}

  create(user: string): Session {
    this.expire();
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next();
      if (oldest.done !== true) this.sessions.delete(oldest.value);
    }
    const session = { id: token(), user, csrf: token(), expiresAtMs: this.clock.now().getTime() + IDLE_MS };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session for a cookie value, its idle timer renewed. */
  get(id: string | undefined): Session | undefined {
    if (id === undefined) return undefined;
    const session = this.sessions.get(id);
    const now = this.clock.now().getTime();
    if (session === undefined || session.expiresAtMs <= now) {
      if (session !== undefined) this.sessions.delete(id);
      return undefined;
    }
    session.expiresAtMs = now + IDLE_MS;
    return session;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  private expire(): void {
    const now = this.clock.now().getTime();
    for (const [id, s] of this.sessions) if (s.expiresAtMs <= now) this.sessions.delete(id);
  }
}

export function token(): string {
  return randomBytes(32).toString('base64url');
}

export function sameToken(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function sessionCookie(session: Session): string {
  return `${SESSION_COOKIE}=${session.id}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=${IDLE_MS / 1000}`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0`;
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
