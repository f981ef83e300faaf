/**
 * The live-check worker: parses and validates live batches off the page's main thread (at 5,000
 * events a second zod's checks were about a fifth of the main thread's work under live load)
 * and answers each with the events that passed (live-check-messages.ts).
 */
import { z } from 'zod';
import { LiveCheckRequestSchema, type LiveCheckReply } from './live-check-messages.js';
import { checkLiveBatch, firstIssue } from './live-check.js';

// Same policy as the page: no new Function() in zod (the CSP has no 'unsafe-eval').
z.config({ jitless: true });

/** What this file uses of the worker's global scope (the renderer is type-checked with DOM types). */
interface WorkerScope {
  postMessage(message: unknown): void;
  onmessage: ((ev: MessageEvent<unknown>) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;

scope.onmessage = (ev: MessageEvent<unknown>) => {
  const req = LiveCheckRequestSchema.safeParse(ev.data);
  let reply: LiveCheckReply;
  if (!req.success) {
    const id = typeof ev.data === 'object' && ev.data !== null && typeof (ev.data as { id?: unknown }).id === 'number' ? (ev.data as { id: number }).id : -1;
    reply = { id, seq: null, missed: 0, events: [], rejected: 0, problem: `the live-check worker refused a malformed request (${firstIssue(req.error, 'request')})` };
  } else reply = req.data.type === 'text' ? checkLiveBatch(req.data.id, { text: req.data.text }) : checkLiveBatch(req.data.id, { batch: req.data.batch });
  scope.postMessage(reply);
};
