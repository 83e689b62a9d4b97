import Database from "better-sqlite3";
import { rmSync } from "node:fs";

const HASHES = [
  "$2b$10$VvC10Nhzh8oCRE6A9ywlS.iV7fjqU4LFPnENq2jGdtLyn.SK0Ybju",
  "$2a$04$2X8Gx6nFqxJc5Ej3m7hQ4uQk6r1X0y5f5gN2f3oVq2m0q9a8b7c6d",
  JSON.stringify({
    secretData: JSON.stringify({ value: "/bVkHA4G/VOskjaCgNYyTz1BhgD+9X8bxCNEPGGpnDCJbWHDXIW0G8IlSBhDdJsXTjrXt/7yQguBwJ3sxSmSKA==", salt: "lZtleWv1DeEcNIr8MTzdeg==", additionalParameters: {} }),
    credentialData: JSON.stringify({ hashIterations: 27500, algorithm: "pbkdf2-sha256", additionalParameters: {} }),
  }),
  null,
];

/**
 * The local part of user `id`'s email. `ordered`: `user<id>`, so emails sort like ids and every
 * email-keyed index of the ledger grows at its end. `shuffled`: a multiplicative-hash prefix first,
 * as real emails are unrelated to the legacy id: each new email lands at a random place in those
 * indexes (the case a real migration meets; docs/benchmarks.md).
 */
function localPart(id: number, emails: EmailOrder): string {
  return emails === "ordered" ? `user${id}` : `${((id * 2654435761) % 4294967296).toString(36)}.user${id}`;
}

export type EmailOrder = "ordered" | "shuffled";

/** Calimatic-shaped Users table with `n` rows; hashes are recycled (the bench measures the pipeline, not hashing). */
export function generateSynthetic(file: string, n: number, emails: EmailOrder = "ordered"): void {
  rmSync(file, { force: true });
  const db = new Database(file);
  db.pragma("journal_mode = OFF");
  db.pragma("synchronous = OFF");
  db.exec(`CREATE TABLE Users (Id INTEGER PRIMARY KEY, Email TEXT, FirstName TEXT, LastName TEXT, TenantId INTEGER, RoleId INTEGER,
    PasswordHash TEXT, PhoneNumber TEXT, IsActive INTEGER, LastLoginDate TEXT, CreatedDate TEXT)`);
  const ins = db.prepare("INSERT INTO Users VALUES (?,?,?,?,?,?,?,?,?,?,?)");
  const chunk = 50_000;
  for (let start = 1; start <= n; start += chunk) {
    db.transaction(() => {
      for (let id = start; id < Math.min(n + 1, start + chunk); id++) {
        const email = id % 100 === 0 ? `${localPart(id - 1, emails).toUpperCase()}@example.com` : id % 250 === 0 ? null : `${localPart(id, emails)}@example.com`;
        ins.run(id, email, "Jane", "Smith", 1 + (id % 50), 1 + (id % 6), HASHES[id % 4], id % 3 ? `+1555${String(id).padStart(7, "0")}` : null, id % 13 ? 1 : 0, "2026-01-02 03:04:05", "2020-01-01 00:00:00");
      }
    })();
  }
  db.close();
}
