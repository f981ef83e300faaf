/**
 * Browser login, Jupyter style: the URL printed by `tapline serve` carries the token once; a valid
 * token sets an HttpOnly, SameSite=Strict session cookie and redirects to / so the token leaves
 * the address bar (and, with Referrer-Policy no-referrer, is never sent on as a referrer).
 */
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { sessionCookie, sessionCookieHeader } from '../auth.js';
import { htmlHeaders } from '../http-util.js';
import { loginPage } from '../login-page.js';
import { opt, str } from '../params.js';
import { defineRoute, type ServerContext } from '../router.js';

const tokenParam = str({ max: 1024, pattern: /^[\x21-\x7e]+$/, what: 'a token' });

export const LoginFormSchema = z.object({ token: z.string().max(1024) }).strict();

function page(res: ServerResponse, status: number, message: string | null): void {
  htmlHeaders(res);
  res.writeHead(status, { 'Cache-Control': 'no-store' });
  res.end(loginPage(message));
}

function login(res: ServerResponse, server: ServerContext, token: string): void {
  if (!server.auth.tokenMatches(token)) {
    page(res, 401, 'That token is not valid.');
    return;
  }
  const sid = server.auth.createSession();
  res.writeHead(303, { Location: '/', 'Set-Cookie': sessionCookieHeader(sid, server.tls, null), 'Cache-Control': 'no-store' });
  res.end();
}

export const loginGetRoute = defineRoute({
  method: 'GET',
  path: '/login',
  operationId: 'loginPage',
  summary: 'Log in with the token in the URL, or show the login form',
  description: 'With a valid token: sets the tapline_session cookie (HttpOnly, SameSite=Strict) and redirects (303) to /. Without one: the login form.',
  tag: 'login',
  auth: false,
  query: { token: opt(tokenParam, 'The token printed by tapline serve') },
  pathParams: {},
  responses: [
    { status: 200, description: 'The login form', contentTypes: ['text/html'] },
    { status: 303, description: 'Logged in; redirect to /', headers: { 'Set-Cookie': 'tapline_session=…; HttpOnly; SameSite=Strict; Path=/' } },
    { status: 401, description: 'Invalid token (the form again)', contentTypes: ['text/html'] },
  ],
  async handle({ res, server, query }) {
    if (query.token === undefined) page(res, 200, null);
    else login(res, server, query.token);
  },
});

export const loginPostRoute = defineRoute({
  method: 'POST',
  path: '/login',
  operationId: 'loginForm',
  summary: 'Log in with the token from the form',
  tag: 'login',
  auth: false,
  query: {},
  pathParams: {},
  body: { kind: 'form', schema: LoginFormSchema, description: 'token=<the serve token>' },
  responses: [
    { status: 303, description: 'Logged in; redirect to /', headers: { 'Set-Cookie': 'tapline_session=…; HttpOnly; SameSite=Strict; Path=/' } },
    { status: 401, description: 'Invalid token (the form again)', contentTypes: ['text/html'] },
  ],
  async handle({ res, server, body }) {
    login(res, server, body.token.trim());
  },
});

export const logoutRoute = defineRoute({
  method: 'POST',
  path: '/logout',
  operationId: 'logout',
  summary: 'End this browser session',
  description: 'Live streams of the session are closed.',
  tag: 'login',
  query: {},
  pathParams: {},
  responses: [{ status: 204, description: 'Logged out; the cookie is cleared' }],
  async handle({ req, res, server }) {
    const sid = sessionCookie(req);
    if (sid) server.auth.endSession(sid);
    res.writeHead(204, { 'Set-Cookie': sessionCookieHeader('', server.tls, 0), 'Cache-Control': 'no-store' });
    res.end();
  },
});
