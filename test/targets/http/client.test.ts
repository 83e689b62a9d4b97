import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withRetry } from "../../../src/engine/retry.js";
import { AuthmigrateError } from "../../../src/errors.js";
import { faults, rateLimit, serveSimulator, type ServedSimulator } from "../../../src/simulators/kit.js";
import { HttpClient, type RateLimiter } from "../../../src/targets/http/client.js";
import { classify, extractProviderError, responseBody, retryAfterMs } from "../../../src/targets/http/errors.js";

const SECRET = "sk_test_SUPERSECRET_123456";
const HASH = "$2b$12$abcdefghijklmnopqrstuuJ9QpQ1vZ5mO2x3y4z5a6b7c8d9e0f1g";

let sim: ServedSimulator;
const f = faults({});
const seen: { method: string; path: string; auth?: string; body?: unknown; query?: string }[] = [];

beforeAll(async () => {
  const app = new Hono();
  app.use(f);
  app.use("/limited/*", rateLimit({ requestsPerSecond: 1, burst: 1, style: "retry-after" }));
  app.use("/xrl/*", rateLimit({ requestsPerSecond: 1, burst: 1, style: "x-ratelimit" }));
  app.all("/echo", async (c) => {
    const text = await c.req.text();
    seen.push({ method: c.req.method, path: c.req.path, auth: c.req.header("authorization"), body: text ? JSON.parse(text) : undefined, query: new URL(c.req.url).search });
    return c.json({ ok: true, got: text ? JSON.parse(text) : null }, 201);
  });
  app.get("/limited/x", (c) => c.json({ ok: true }));
  app.get("/xrl/x", (c) => c.json({ ok: true }));
  app.post("/bad", (c) =>
    c.json({ message: "Invalid email\naddress " + "x".repeat(400), code: "invalid_request_body", errors: [{ code: "email_invalid" }] }, 400),
  );
  app.get("/echo-secret", (c) => c.json({ error: `token ${SECRET} is not valid` }, 401));
  app.get("/conflict", (c) => c.json({ error: { code: "user_already_exists", message: "User exists" } }, 409));
  app.get("/unavailable", (c) => {
    c.header("Retry-After", new Date(Date.now() + 5_000).toUTCString());
    return c.text("maintenance", 503);
  });
  app.get("/empty", (c) => c.body(null, 204));
  sim = await serveSimulator(app, { port: 0 });
});
afterAll(() => sim.close());

function client(extra: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}): HttpClient {
  return new HttpClient({ name: "acme", baseUrl: sim.url + "/", headers: { authorization: `Bearer ${SECRET}` }, timeoutMs: 2_000, ...extra });
}

async function failure(p: Promise<unknown>): Promise<AuthmigrateError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AuthmigrateError);
  const err = e as AuthmigrateError;
  // Never a secret or a password hash, anywhere a user could see it.
  const visible = JSON.stringify({ m: err.message, h: err.hint, j: err.toJSON() });
  expect(visible).not.toContain(SECRET);
  expect(visible).not.toContain(HASH);
  expect(err.message).not.toContain("\n");
  return err;
}

describe("HttpClient", () => {
  it("sends JSON, query and auth headers; parses JSON; honours expect", async () => {
    const http = client({ headers: async () => ({ authorization: `Bearer ${SECRET}`, "x-extra": "1" }) });
    const r = await http.request<{ ok: boolean; got: unknown }>("post", "/echo", { json: { a: 1 }, query: { email: "a@b.c", tag: ["x", "y"], skip: undefined } });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ ok: true, got: { a: 1 } });
    expect(seen.at(-1)).toMatchObject({ method: "POST", path: "/echo", auth: `Bearer ${SECRET}`, query: "?email=a%40b.c&tag=x&tag=y" });
    const e = await failure(http.request("POST", "/echo", { json: {}, expect: [200] }));
    expect(e.meta.status).toBe(201);
    expect((await http.get("/empty")).body).toBeUndefined();
  });

  it("429 → retryable TARGET_HTTP_ERROR with retryAfterMs", async () => {
    const http = client();
    await http.get("/limited/x");
    const e = await failure(http.get("/limited/x"));
    expect(e.code).toBe("TARGET_HTTP_ERROR");
    expect(e.retryable).toBe(true);
    expect(e.meta).toMatchObject({ status: 429, method: "GET", path: "/limited/x", providerCode: "rate_limited" });
    expect(e.meta.retryAfterMs).toBe(1000);
    expect(classify(e)).toBe("retryable");
    expect(e.message).toMatch(/^acme GET \/limited\/x → 429 Too many requests/);
  });

  it("503 with an HTTP-date Retry-After, and X-RateLimit-Reset epoch seconds", async () => {
    const e = await failure(client().get("/unavailable"));
    expect(e.retryable).toBe(true);
    expect(e.meta.retryAfterMs).toBeGreaterThan(2_000);
    expect(e.meta.retryAfterMs).toBeLessThanOrEqual(5_000);
    expect(e.message).toBe("acme GET /unavailable → 503 maintenance");
    const h = new Headers({ "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3) });
    expect(retryAfterMs(h)).toBeGreaterThan(1_000);
    expect(retryAfterMs(new Headers({ "ratelimit-reset": "2" }))).toBe(2_000);
  });

  it("500 → retryable", async () => {
    f.set({ failRate: 1 });
    try {
      const e = await failure(client().post("/echo", { passwordHash: HASH }));
      expect(e.meta.status).toBe(500);
      expect(e.retryable).toBe(true);
      expect(classify(e)).toBe("retryable");
    } finally {
      f.set({ failRate: 0 });
    }
  });

  it("400 → fatal, with the provider message (one line, ≤200 chars) and codes", async () => {
    const e = await failure(client().post("/bad", { email: "nope", passwordHash: HASH }));
    expect(e.retryable).toBe(false);
    expect(classify(e)).toBe("fatal");
    expect(e.meta).toMatchObject({ status: 400, providerCode: "invalid_request_body", providerCodes: ["email_invalid"] });
    expect(String(e.meta.providerMessage).length).toBeLessThanOrEqual(200);
    expect(e.message).toMatch(/^acme POST \/bad → 400 Invalid email address x+…$/);
    expect(responseBody(e)).toMatchObject({ code: "invalid_request_body" });
  });

  it("masks secrets the provider echoes back", async () => {
    const e = await failure(client().get("/echo-secret"));
    expect(e.message).toContain("token *** is not valid");
    expect(e.hint).toContain("credentials");
  });

  it("409 → duplicate by default; a per-target hook can say otherwise", async () => {
    const e = await failure(client().get("/conflict"));
    expect(classify(e)).toBe("duplicate");
    expect(e.meta.providerCode).toBe("user_already_exists");
    const e2 = await failure(client().post("/bad", {}));
    expect(classify(e2, (x) => (x.meta.providerCodes as string[] | undefined)?.includes("email_invalid") ?? false)).toBe("duplicate");
    const e3 = await failure(client({ isDuplicate: (x) => x.meta.status === 400 }).post("/bad", {}));
    expect(e3.meta.duplicate).toBe(true);
    expect(classify(e3)).toBe("duplicate");
  });

  it("timeout → TARGET_TIMEOUT (retryable)", async () => {
    f.set({ timeoutRate: 1 });
    try {
      const e = await failure(client({ timeoutMs: 200 }).get("/echo"));
      expect(e.code).toBe("TARGET_TIMEOUT");
      expect(e.retryable).toBe(true);
      expect(e.message).toBe("acme GET /echo → no answer within 200 ms");
    } finally {
      f.set({ timeoutRate: 0 });
    }
  });

  it("reset → TARGET_NETWORK ECONNRESET; refused → TARGET_NETWORK ECONNREFUSED", async () => {
    f.set({ resetRate: 1 });
    try {
      const e = await failure(client().post("/echo", { passwordHash: HASH }));
      expect(e.code).toBe("TARGET_NETWORK");
      expect(e.meta.errno).toBe("ECONNRESET");
      expect(e.retryable).toBe(true);
    } finally {
      f.set({ resetRate: 0 });
    }
    const closed = await serveSimulator(new Hono(), { port: 0 });
    await closed.close();
    const e = await failure(new HttpClient({ name: "acme", baseUrl: closed.url }).get("/x"));
    expect(e.code).toBe("TARGET_NETWORK");
    expect(e.meta.errno).toBe("ECONNREFUSED");
  });

  it("abort via the client signal → TARGET_ABORTED, not retryable", async () => {
    f.set({ timeoutRate: 1 });
    try {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      const e = await failure(client({ signal: ac.signal }).get("/echo"));
      expect(e.code).toBe("TARGET_ABORTED");
      expect(classify(e)).toBe("fatal");
    } finally {
      f.set({ timeoutRate: 0 });
    }
  });

  it("calls the limiter before and after each request, and works with withRetry", async () => {
    const calls: string[] = [];
    const limiter: RateLimiter = {
      acquire: async () => void calls.push("acquire"),
      observe: ({ status }) => void calls.push(`observe ${status}`),
    };
    const http = client({ limiter });
    f.set({ failRate: 1 });
    let attempts = 0;
    const r = await withRetry(
      async () => {
        if (++attempts === 2) f.set({ failRate: 0 });
        return http.get("/echo");
      },
      { retries: 3, baseDelayMs: 1, maxDelayMs: 5 },
    );
    expect(r.status).toBe(201);
    expect(calls).toEqual(["acquire", "observe 500", "acquire", "observe 201"]);
  });
});

describe("extractProviderError", () => {
  it.each([
    [{ error: "invalid_grant", error_description: "bad secret" }, { code: "invalid_grant", message: "bad secret" }],
    [{ error: "Something broke" }, { message: "Something broke" }],
    [{ message: "nope" }, { message: "nope" }],
    [{ error: { name: "Invalid", reason: "ValidationFailed", message: "invalid email" } }, { code: "ValidationFailed", message: "invalid email" }],
    [{ errors: [{ code: "form_identifier_exists", message: "taken", long_message: "That email is taken" }] }, { code: "form_identifier_exists", message: "That email is taken", codes: ["form_identifier_exists"] }],
    [{ statusCode: 409, error: "Conflict", message: "The user already exists.", errorCode: "auth0_idp_error" }, { code: "auth0_idp_error", message: "The user already exists." }],
    [{ errorMessage: "User exists with same username" }, { message: "User exists with same username" }],
    [{ code: 422, error_code: "email_exists", msg: "A user with this email address has already been registered" }, { code: "email_exists", message: "A user with this email address has already been registered" }],
    ["plain text", { message: "plain text" }],
    [undefined, {}],
  ])("%j", (body, expected) => {
    expect(extractProviderError(body)).toEqual(expected);
  });
});
