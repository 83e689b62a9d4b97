import { Hono } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import { runSimulate } from "../../src/cli/commands/simulate.js";
import { AuthmigrateError } from "../../src/errors.js";
import { faults, rateLimit, serveSimulator, statusCounter, type ServedSimulator } from "../../src/simulators/kit.js";

const open: ServedSimulator[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function serve(app: Hono): Promise<ServedSimulator> {
  const s = await serveSimulator(app, { port: 0 });
  open.push(s);
  return s;
}

function appWith(...mw: Parameters<Hono["use"]>[1][]): Hono {
  const app = new Hono();
  for (const m of mw) app.use(m);
  app.all("/*", (c) => c.json({ ok: true }));
  return app;
}

describe("rateLimit", () => {
  it("lets burst + rate×time through and answers 429 with Retry-After beyond (fake clock)", async () => {
    let t = 1_000_000;
    const rl = rateLimit({ requestsPerSecond: 10, burst: 5, style: "retry-after", now: () => t });
    const sim = await serve(appWith(rl));
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    // 100 requests, one every 20 ms (50/s offered) over 2 s against 10/s: 5 + ~20 pass.
    for (let i = 0; i < 100; i++) {
      const r = await fetch(`${sim.url}/x`);
      await r.arrayBuffer();
      statuses.push(r.status);
      if (r.status === 429) retryAfter ??= r.headers.get("retry-after");
      t += 20;
    }
    const ok = statuses.filter((s) => s === 200).length;
    expect(ok).toBeGreaterThanOrEqual(24);
    expect(ok).toBeLessThanOrEqual(26);
    expect(statuses.filter((s) => s === 429).length).toBe(100 - ok);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(rl.stats()).toEqual({ requests: 100, byStatus: { 200: ok, 429: 100 - ok } });
  });

  it("sends X-RateLimit-* (epoch reset) and IETF RateLimit-* headers, and a provider-shaped body", async () => {
    let t = 5_000_000;
    const x = rateLimit({ requestsPerSecond: 2, style: "x-ratelimit", now: () => t });
    const ietf = rateLimit({
      requestsPerSecond: 2,
      style: "ratelimit",
      now: () => t,
      body: (s) => ({ statusCode: 429, error: "Too Many Requests", message: `wait ${s}s`, errorCode: "too_many_requests" }),
    });
    const a = await serve(appWith(x));
    const b = await serve(appWith(ietf));
    const ra = await fetch(`${a.url}/`);
    expect(ra.headers.get("x-ratelimit-limit")).toBe("2");
    expect(ra.headers.get("x-ratelimit-remaining")).toBe("1");
    expect(Number(ra.headers.get("x-ratelimit-reset"))).toBeGreaterThan(t / 1000);
    await fetch(`${b.url}/`).then((r) => r.arrayBuffer());
    await fetch(`${b.url}/`).then((r) => r.arrayBuffer());
    const rb = await fetch(`${b.url}/`);
    expect(rb.status).toBe(429);
    expect(rb.headers.get("ratelimit-remaining")).toBe("0");
    expect(Number(rb.headers.get("ratelimit-reset"))).toBeGreaterThanOrEqual(1);
    expect(rb.headers.get("retry-after")).toBe("1");
    expect(await rb.json()).toMatchObject({ errorCode: "too_many_requests", message: "wait 1s" });
  });

  it("keeps one bucket per key when asked", async () => {
    const t = 0;
    const rl = rateLimit({ requestsPerSecond: 1, style: "retry-after", now: () => t, key: (c) => c.req.header("x-api-key") ?? "" });
    const sim = await serve(appWith(rl));
    const get = (k: string) => fetch(`${sim.url}/`, { headers: { "x-api-key": k } }).then(async (r) => (await r.arrayBuffer(), r.status));
    expect([await get("a"), await get("a"), await get("b")]).toEqual([200, 429, 200]);
  });
});

describe("faults", () => {
  async function sequence(seed: number, n = 60): Promise<number[]> {
    const sim = await serve(appWith(faults({ failRate: 0.3, seed })));
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = await fetch(`${sim.url}/u`);
      if (r.status === 500) expect(await r.json()).toMatchObject({ error: { code: "internal_error" } });
      else await r.arrayBuffer();
      out.push(r.status);
    }
    return out;
  }

  it("answers 500 at about failRate, identically for the same seed", async () => {
    const a = await sequence(42);
    const b = await sequence(42);
    const c = await sequence(7);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const fails = a.filter((s) => s === 500).length;
    expect(fails).toBeGreaterThan(5);
    expect(fails).toBeLessThan(35);
  });

  it("resets the connection: the client sees ECONNRESET", async () => {
    const counter = statusCounter();
    const sim = await serve(appWith(counter, faults({ resetRate: 1 })));
    const err = await fetch(`${sim.url}/u`).then(
      () => undefined,
      (e: unknown) => e as Error & { cause?: { code?: string } },
    );
    expect(err?.cause?.code).toBe("ECONNRESET");
  });

  it("holds a request until the client gives up, or answers 504 after timeoutMs", async () => {
    const f = faults({ timeoutRate: 1, timeoutMs: 60_000 });
    const sim = await serve(appWith(f));
    const t0 = Date.now();
    const err = await fetch(`${sim.url}/u`, { signal: AbortSignal.timeout(150) }).catch((e: Error) => e);
    expect((err as Error).name).toBe("TimeoutError");
    expect(Date.now() - t0).toBeLessThan(5_000);
    f.set({ timeoutMs: 100 });
    const r = await fetch(`${sim.url}/u`);
    expect(r.status).toBe(504);
    expect(f.counts().timedOut).toBe(2);
  });

  it("answers 429 + Retry-After inside scripted burst windows, and can be switched at runtime", async () => {
    const f = faults({ burst429: { windows: [{ fromMs: 0, toMs: 60_000 }] } });
    const sim = await serve(appWith(f));
    const r = await fetch(`${sim.url}/u`);
    expect(r.status).toBe(429);
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(59);
    f.set({ burst429: { windows: [] } });
    expect((await fetch(`${sim.url}/u`)).status).toBe(200);
    f.set({ failRate: 1 });
    expect((await fetch(`${sim.url}/u`)).status).toBe(500);
    f.set({ failRate: 0 });
    expect((await fetch(`${sim.url}/u`)).status).toBe(200);
  });

  it("close() ends quickly even with keep-alive and hung requests", async () => {
    const sim = await serveSimulator(appWith(faults({ timeoutRate: 1 })), { port: 0 });
    const pending = fetch(`${sim.url}/u`).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await sim.close();
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(await pending).toBeInstanceOf(Error);
  });
});

describe("simulate command", () => {
  it("rejects an unknown target, listing the available ones", async () => {
    const err = await runSimulate("nope", {}, { registry: { a: { id: "a", description: "", start: async () => ({ url: "", close: async () => {} }) } } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AuthmigrateError);
    expect((err as AuthmigrateError).code).toBe("SIMULATOR_UNKNOWN");
    expect((err as AuthmigrateError).message).toContain("available: a");
  });

  it("starts, prints URL and credentials, passes options, and closes on stop", async () => {
    const out: string[] = [];
    let closed = false;
    let got: unknown;
    await runSimulate(
      "fake",
      { port: "0", rateLimit: "5", failRate: "0.1", seed: "3", burst429: "10" },
      {
        stdout: (s) => out.push(s),
        waitForStop: async () => {},
        registry: {
          fake: {
            id: "fake",
            description: "",
            start: async (o) => {
              got = o;
              return { url: "http://127.0.0.1:1", credentials: { apiKey: "sk_test" }, close: async () => void (closed = true) };
            },
          },
        },
      },
    );
    expect(got).toEqual({ port: 0, rateLimit: 5, seed: 3, faults: { failRate: 0.1, burst429: { everySeconds: 10 }, seed: 3 } });
    expect(out.join("")).toContain("http://127.0.0.1:1");
    expect(out.join("")).toContain("apiKey: sk_test");
    expect(closed).toBe(true);
  });
});
