/**
 * Dashboard access: `serve.dashboard.token` presented as `Authorization: Bearer <token>` (scripts,
 * Prometheus) or once through the sign-in form, which sets an HttpOnly cookie holding an HMAC of
 * the token (the token itself is never stored in the browser). Every comparison is constant-time.
 */
import { createHmac } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { safeEqual } from "../security.js";

export const SESSION_COOKIE = "authmigrate_dashboard";
const SESSION_HOURS = 12;

export const sessionValue = (token: string): string => createHmac("sha256", token).update("authmigrate-dashboard-session-v1").digest("base64url");

export function isAuthorized(c: Context, token: string): boolean {
  const authz = c.req.header("authorization");
  if (authz !== undefined && safeEqual(authz, `Bearer ${token}`)) return true;
  const cookie = getCookie(c, SESSION_COOKIE);
  return cookie !== undefined && safeEqual(cookie, sessionValue(token));
}

/** 401 JSON for API routes; a redirect to the sign-in form for pages. */
export function requireToken(token: string, kind: "api" | "page"): MiddlewareHandler {
  return async (c, next) => {
    if (isAuthorized(c, token)) return next();
    c.header("cache-control", "no-store");
    if (kind === "page") return c.redirect("/login", 302);
    c.header("www-authenticate", 'Bearer realm="authmigrate dashboard"');
    return c.json({ error: "unauthorized", message: "send Authorization: Bearer <serve.dashboard.token> or sign in at /login" }, 401);
  };
}

export function startSession(c: Context, token: string): void {
  setCookie(c, SESSION_COOKIE, sessionValue(token), {
    httpOnly: true,
    sameSite: "Strict",
    path: "/",
    maxAge: SESSION_HOURS * 3600,
    // Behind the TLS proxy serve is meant to run behind; plain http on 127.0.0.1 for local use.
    secure: c.req.header("x-forwarded-proto") === "https",
  });
}
