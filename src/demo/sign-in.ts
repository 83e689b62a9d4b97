import Database from "better-sqlite3";
import { betterAuth } from "better-auth";
import { admin, organization } from "better-auth/plugins";
import { legacyPasswords } from "../targets/better-auth/plugin.js";

export interface SignInResult {
  email: string;
  ok: boolean;
  /** What account.password looks like after sign-in: `native` once upgraded. */
  storedHash: "native" | "legacy" | "none";
}

/**
 * Sign in through a real better-auth instance over the migrated database, exactly as the app
 * would be configured (plugin included), and report whether the hash was upgraded.
 */
export async function signInDemoAccounts(dbFile: string, accounts: readonly { email: string; password: string }[]): Promise<SignInResult[]> {
  const db = new Database(dbFile);
  try {
    const auth = betterAuth({
      database: db,
      secret: "authmigrate-demo-secret-not-for-production-0123456789",
      baseURL: "http://127.0.0.1",
      emailAndPassword: { enabled: true },
      plugins: [legacyPasswords(), organization(), admin()],
      logger: { disabled: true },
      telemetry: { enabled: false },
    });
    const out: SignInResult[] = [];
    for (const a of accounts) {
      const res = await auth.api.signInEmail({ body: { email: a.email, password: a.password }, asResponse: true });
      const row = db
        .prepare(`SELECT a.password AS p FROM account a JOIN user u ON u.id = a.userId WHERE u.email = ? AND a.providerId = 'credential'`)
        .get(a.email) as { p: string | null } | undefined;
      const storedHash = !row?.p ? "none" : /^[0-9a-f]{32}:[0-9a-f]{128}$/.test(row.p) ? "native" : "legacy";
      out.push({ email: a.email, ok: res.status === 200, storedHash });
    }
    return out;
  } finally {
    db.close();
  }
}
