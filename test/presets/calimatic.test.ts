import Database from "better-sqlite3";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEMO_ACCOUNTS, generateLegacyDb } from "../../src/demo/generate-legacy.js";
import { tempDir } from "../helpers.js";
import { expectSignIns, initAuditRun, type Known } from "./harness.js";

const ROLE_MAP: Record<number, string> = { 1: "org_owner", 2: "org_admin", 3: "member", 4: "edtech_teacher", 5: "edtech_student", 6: "edtech_parent" };

describe("calimatic preset (seed 000 legacy schema)", () => {
  it("Tenants become orgs, RoleId 1–6 become member roles, and bcrypt / Keycloak PBKDF2 users sign in", async () => {
    const dir = tempDir("am-calimatic-");
    const file = path.join(dir, "legacy.db");
    generateLegacyDb({ file, users: 60 });
    const legacy = new Database(file, { readonly: true });
    const rows = legacy.prepare("SELECT Id, Email, PasswordHash, IsActive, RoleId, TenantId FROM Users").all() as { Id: number; Email: string | null; PasswordHash: string | null; IsActive: number; RoleId: number; TenantId: number }[];
    legacy.close();

    const out = await initAuditRun(dir, "calimatic", file, "authmigrate.config.yaml");
    expect(out.init).toMatchObject({ preset: "calimatic", users: 60, options: {} });
    expect(out.audit.totals).toMatchObject({ records: 60, users: 60, inactive: rows.filter((r) => r.IsActive === 0).length });

    // Every user the run created: the right role in the right org, and the old password works.
    const created = new Set(out.report.filter((r) => r.status === "created").map((r) => r.externalId));
    expect(created.size).toBeGreaterThan(40);
    const auth = new Database(path.join(dir, "auth.db"), { readonly: true });
    try {
      expect((auth.prepare("SELECT COUNT(*) n FROM organization").get() as { n: number }).n).toBe(8);
      const member = auth.prepare(`SELECT m.role, o.metadata FROM member m JOIN organization o ON o.id = m.organizationId JOIN user u ON u.id = m.userId WHERE u.email = ?`);
      for (const r of rows.filter((x) => created.has(String(x.Id)))) {
        const m = member.get(r.Email!.trim().toLowerCase()) as { role: string; metadata: string } | undefined;
        expect(m?.role, `user ${r.Id}`).toBe(ROLE_MAP[r.RoleId]);
        expect(m!.metadata).toContain(`"${r.TenantId}"`);
      }
    } finally {
      auth.close();
    }
    const known: Known[] = rows
      .filter((r) => created.has(String(r.Id)) && r.PasswordHash)
      .map((r) => ({ id: String(r.Id), email: r.Email, password: DEMO_ACCOUNTS[r.Id - 1]?.password ?? `pw-${r.Id}`, disabled: r.IsActive === 0 }));
    expect(known.length).toBeGreaterThanOrEqual(30);
    await expectSignIns(dir, known);
  }, 240_000);
});
