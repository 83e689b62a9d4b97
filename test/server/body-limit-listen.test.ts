/**
 * Under `serve` the hooks read the body straight from Node's request stream (src/server/raw-body.ts):
 * over real HTTP, a body over the limit gets 413 whether it declares its length or is chunked,
 * and an HMAC signature is checked over exactly the bytes sent.
 */
import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { signBody } from "../../src/server/security.js";
import { startService, type RunningService } from "../../src/server/service.js";
import { ALICE_PW, bearer, fixture, SECRET } from "./fixtures.js";

const services: RunningService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.close();
});

/** POST with node:http; `chunked` sends the body in two chunks without a content-length. */
function post(url: string, headers: Record<string, string>, body: string, chunked = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/hooks/verify`, { method: "POST", headers: chunked ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) } }, (res) => {
      let out = "";
      res.on("data", (c) => (out += c));
      res.on("end", () => resolve({ status: res.statusCode!, body: out }));
    });
    req.on("error", reject);
    if (chunked) {
      req.write(body.slice(0, body.length >> 1));
      req.end(body.slice(body.length >> 1));
    } else req.end(body);
  });
}

describe("hook bodies over real HTTP", () => {
  it("200 within the limit; 413 above it, declared or chunked; HMAC over the raw bytes", async () => {
    const f = fixture({ port: 0, bodyLimitBytes: 512 });
    const svc = await startService(f.config, f.dir, { log: () => {} });
    services.push(svc);
    const json = { "content-type": "application/json" };
    const ok = JSON.stringify({ identifier: "alice@example.com", password: ALICE_PW });
    for (const chunked of [false, true]) {
      const res = await post(svc.url, { ...json, ...bearer() }, ok, chunked);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ user: { externalId: "1" } });
    }

    const big = JSON.stringify({ identifier: "alice@example.com", password: ALICE_PW, pad: "x".repeat(2000) });
    for (const chunked of [false, true]) {
      const res = await post(svc.url, { ...json, ...bearer() }, big, chunked);
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body)).toEqual({ error: "payload_too_large" });
    }

    // Signed instead of bearer: the signature covers the exact bytes, so a changed byte fails.
    const sig = signBody(SECRET, ok);
    expect((await post(svc.url, { ...json, "x-authmigrate-signature": sig }, ok, true)).status).toBe(200);
    expect((await post(svc.url, { ...json, "x-authmigrate-signature": sig }, ok.replace("alice", "Alice"))).status).toBe(401);
  });
});
