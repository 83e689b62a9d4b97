import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, REDACTED } from "../../src/server/log.js";
import { startService } from "../../src/server/service.js";
import { ALICE_PW, SECRET, fixture } from "./fixtures.js";

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split("\n").filter(Boolean));
      cb();
    },
  });
  return { lines, stream };
}

describe("serve logs (pino)", () => {
  it("redacts password, hash, token, secret, authorization and cookie fields by configuration, at any depth up to two objects", () => {
    const { lines, stream } = capture();
    const log = createLogger(stream);
    const values = { password: "pw-AAAA1111", hash: "$2b$10$abcdefghijklmnopqrstuv", token: "tok-BBBB2222", secret: "sec-CCCC3333", authorization: "Bearer auth-DDDD4444", cookie: "sid=EEEE5555", passwordHash: "$argon2id$FFFF6666", clientSecret: "cs-GGGG7777" };
    log({ event: "careless", status: 500, ...values });
    log({ event: "nested", body: { ...values, user: { ...values } } } as never);
    log({ event: "headers", headers: { authorization: "Bearer auth-HHHH8888", "set-cookie": "sid=IIII9999" } } as never);
    expect(lines).toHaveLength(3);
    const all = lines.join("\n");
    for (const v of [...Object.values(values), "auth-HHHH8888", "IIII9999"]) expect(all).not.toContain(v);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({ event: "careless", level: "error", password: REDACTED, hash: REDACTED, token: REDACTED, authorization: REDACTED });
    expect(typeof first.time).toBe("string");
    expect((JSON.parse(lines[1]!) as { body: { user: { cookie: string } } }).body.user.cookie).toBe(REDACTED);
  });

  it("a running service's log lines never contain the password, the hash or the secret", async () => {
    const f = fixture();
    const { lines, stream } = capture();
    const svc = await startService(f.config, f.dir, { port: 0, log: createLogger(stream) });
    try {
      const call = (body: unknown, auth = `Bearer ${SECRET}`) =>
        fetch(`${svc.url}/hooks/verify`, { method: "POST", headers: { authorization: auth, "content-type": "application/json" }, body: JSON.stringify(body) });
      expect((await call({ identifier: "alice@example.com", password: ALICE_PW })).status).toBe(200);
      expect((await call({ identifier: "alice@example.com", password: "wrong-password-123" })).status).toBe(401);
      expect((await call({ identifier: "alice@example.com", password: ALICE_PW }, "Bearer not-the-secret-value")).status).toBe(401);
    } finally {
      await svc.close();
    }
    expect(lines.length).toBeGreaterThanOrEqual(3);
    const all = lines.join("\n");
    for (const v of [ALICE_PW, "wrong-password-123", f.aliceHash, SECRET, "not-the-secret-value", "alice@example.com"]) expect(all).not.toContain(v);
    expect(lines.map((l) => (JSON.parse(l) as { event: string }).event)).toEqual(expect.arrayContaining(["verify", "unauthorized"]));
  });
});
