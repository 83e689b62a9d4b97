import { describe, expect, it } from "vitest";
import { createUserBootstrap, type NewUserInput } from "../../src/middleware/index.js";

interface Row {
  id: string;
  email: string;
  authId: string | null;
}

/** An in-memory user table + a fake provider whose update-external-id can fail on demand. */
function fixture(o: { updateFails?: number; insertDelayMs?: number } = {}) {
  const rows: Row[] = [];
  const externalIds = new Map<string, string>();
  const calls = { insert: 0, update: 0, onCreated: 0, link: 0 };
  let updateFails = o.updateFails ?? 0;
  let seq = 0;
  const bootstrap = createUserBootstrap<Row>({
    findByAuthId: async (authId) => rows.find((r) => r.authId === authId) ?? null,
    findByEmail: async (email) => rows.find((r) => r.email === email) ?? null,
    insertRow: async (input: NewUserInput) => {
      calls.insert++;
      await new Promise((r) => setTimeout(r, o.insertDelayMs ?? 0));
      if (rows.some((r) => r.authId === input.authId)) throw new Error("unique violation: auth_id");
      const row = { id: `internal-${++seq}`, email: input.email!, authId: input.authId };
      rows.push(row);
      return row;
    },
    linkRow: async (row, authId) => {
      calls.link++;
      row.authId = authId;
      return row;
    },
    updateExternalId: async (authId, externalId) => {
      calls.update++;
      if (updateFails > 0) {
        updateFails--;
        throw new Error("provider 503");
      }
      externalIds.set(authId, externalId);
    },
    onCreated: async () => {
      calls.onCreated++;
    },
  });
  return { bootstrap, rows, externalIds, calls };
}

const claims = (extra: Record<string, unknown> = {}) => ({ sub: "auth-1", email: "New@Example.com", email_verified: true, ...extra });

describe("createUserBootstrap (CreateUser)", () => {
  it("new sign-up: inserts the row, runs side effects, then writes update-external-id", async () => {
    const f = fixture();
    const r = await f.bootstrap(claims());
    expect(r).toMatchObject({ outcome: "created", userId: "internal-1" });
    expect(f.rows).toEqual([{ id: "internal-1", email: "new@example.com", authId: "auth-1" }]);
    expect(f.externalIds.get("auth-1")).toBe("internal-1");
    expect(f.calls).toEqual({ insert: 1, update: 1, onCreated: 1, link: 0 });
  });

  it("idempotent: a retry after success writes no second row; a token with external_id writes nothing", async () => {
    const f = fixture();
    await f.bootstrap(claims());
    expect(await f.bootstrap(claims())).toMatchObject({ outcome: "recovered", userId: "internal-1" });
    expect(await f.bootstrap(claims({ external_id: "internal-1" }))).toMatchObject({ outcome: "existing", userId: "internal-1", row: { id: "internal-1" } });
    expect(f.rows).toHaveLength(1);
    expect(f.calls.insert).toBe(1);
    expect(f.calls.onCreated).toBe(1);
  });

  it("half-provisioned: DB row written, update-external-id failed → the retry only retries update-external-id", async () => {
    const f = fixture({ updateFails: 1 });
    await expect(f.bootstrap(claims())).rejects.toMatchObject({ code: "BOOTSTRAP_EXTERNAL_ID_FAILED", retryable: true });
    expect(f.rows).toHaveLength(1);
    expect(f.externalIds.size).toBe(0);
    const r = await f.bootstrap(claims());
    expect(r).toMatchObject({ outcome: "recovered", userId: "internal-1" });
    expect(f.externalIds.get("auth-1")).toBe("internal-1");
    expect(f.calls).toEqual({ insert: 1, update: 2, onCreated: 1, link: 0 });
  });

  it("links an existing row by (verified) email instead of creating a duplicate", async () => {
    const f = fixture();
    f.rows.push({ id: "internal-invited", email: "new@example.com", authId: null });
    const r = await f.bootstrap(claims());
    expect(r).toMatchObject({ outcome: "linked", userId: "internal-invited" });
    expect(f.rows).toEqual([{ id: "internal-invited", email: "new@example.com", authId: "auth-1" }]);
    expect(f.externalIds.get("auth-1")).toBe("internal-invited");
    expect(f.calls.insert + f.calls.onCreated).toBe(0);
    // the retry finds it by provider id now
    expect(await f.bootstrap(claims())).toMatchObject({ outcome: "recovered", userId: "internal-invited" });
  });

  it("does not link to an existing row on an unverified email (account takeover guard)", async () => {
    const f = fixture();
    f.rows.push({ id: "internal-victim", email: "new@example.com", authId: null });
    await expect(f.bootstrap(claims({ email_verified: false }))).rejects.toMatchObject({ code: "BOOTSTRAP_EMAIL_UNVERIFIED" });
    expect(f.rows[0]!.authId).toBeNull();
    expect(f.calls.update).toBe(0);
  });

  it("concurrent calls for the same provider user (double click) → one row", async () => {
    const f = fixture({ insertDelayMs: 10 });
    const rs = await Promise.all([f.bootstrap(claims()), f.bootstrap(claims()), f.bootstrap(claims())]);
    expect(new Set(rs.map((r) => r.userId))).toEqual(new Set(["internal-1"]));
    expect(f.rows).toHaveLength(1);
    expect(f.calls.insert).toBe(1);
  });

  it("an insert that loses a cross-process race (unique violation) continues with the winner's row", async () => {
    const rows: Row[] = [];
    const written: [string, string][] = [];
    const bootstrap = createUserBootstrap<Row>({
      findByAuthId: async (a) => rows.find((r) => r.authId === a) ?? null,
      findByEmail: async () => null,
      insertRow: async () => {
        rows.push({ id: "internal-other-process", email: "x@example.com", authId: "auth-1" }); // the other process committed first
        throw new Error("duplicate key value violates unique constraint");
      },
      updateExternalId: async (a, e) => {
        written.push([a, e]);
      },
    });
    expect(await bootstrap(claims())).toMatchObject({ outcome: "recovered", userId: "internal-other-process" });
    expect(written).toEqual([["auth-1", "internal-other-process"]]);
  });

  it("a token without sub is refused; insert errors that are not a race propagate", async () => {
    const f = fixture();
    await expect(f.bootstrap({ email: "a@b.c" })).rejects.toMatchObject({ code: "BOOTSTRAP_BAD_TOKEN" });
    const failing = createUserBootstrap<Row>({
      findByAuthId: async () => null,
      findByEmail: async () => null,
      insertRow: async () => {
        throw new Error("db down");
      },
      updateExternalId: async () => undefined,
    });
    await expect(failing(claims())).rejects.toThrow("db down");
  });
});
