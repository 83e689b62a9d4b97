import Database from "better-sqlite3";
import { rmSync } from "node:fs";
import { demoBcrypt, demoKeycloakPbkdf2 } from "./legacy-hashes.js";
import { pick, prng } from "./prng.js";

/** Fixed "today" of the demo data: the database is identical whenever it is generated. */
export const DEMO_AS_OF = new Date("2026-11-01T00:00:00Z");

export interface DemoAccount {
  email: string;
  password: string;
  hashFormat: string;
}

/** Three users whose passwords we know, one per hash flavour, printed by the demo and signed in for real. */
export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  { email: "ada.lovelace@springfield.edu", password: "Analytical-Engine-1843", hashFormat: "bcrypt ($2b$, cost 10)" },
  { email: "alan.turing@shelbyville.edu", password: "Enigma-Bombe-1940", hashFormat: "bcrypt ($2a$, cost 10)" },
  { email: "grace.hopper@capitalcity.edu", password: "COBOL-Compiler-1959", hashFormat: "Keycloak PBKDF2-SHA256 JSON (27,500 iterations)" },
];

const FIRST = ["Jane", "John", "Maria", "Wei", "Aisha", "Carlos", "Olga", "Kenji", "Fatima", "Liam", "Noah", "Emma", "Zoe", "Ravi", "Sven", "Chloé", "José", "Amara", "Yuki", "Omar"];
const LAST = ["Smith", "Garcia", "Chen", "Okafor", "Müller", "Rossi", "Kowalski", "Tanaka", "Haddad", "Nguyen", "Brown", "Silva", "Ivanova", "Dubois", "Patel", "O'Brien"];
const TENANTS = [
  ["Springfield Elementary", "springfield.edu", "school", "professional"],
  ["Shelbyville High", "shelbyville.edu", "school", "starter"],
  ["Capital City University", "capitalcity.edu", "university", "enterprise"],
  ["Ogdenville Academy", "ogdenville.org", "school", "starter"],
  ["North Haverbrook Institute", "nhi.edu", "university", "professional"],
  ["Brockway Learning Hub", "brockway.io", "enterprise", "enterprise"],
  ["Cypress Creek Tutors", "cypresscreek.com", "tutoring", "starter"],
  ["Monorail Training Co", "monorail.training", "enterprise", "professional"],
] as const;
const INVALID_EMAILS = ["not-an-email", "jane.doe@", "@school.edu", "john doe@school.edu", "maria@localhost", "wei..chen@school.edu"];

export interface GenerateOptions {
  file: string;
  users: number;
  seed?: number;
  /** bcrypt cost for the bulk of users (the demo accounts always use 10). Low by default so 10k users generate in seconds. */
  bulkBcryptCost?: number;
  /** PBKDF2 iterations for the bulk of users (Keycloak's default 27,500 is used for the demo account). */
  bulkPbkdf2Iterations?: number;
}

export interface GenerateResult {
  file: string;
  users: number;
  tenants: number;
}

/**
 * A Calimatic-style legacy database (seed 000): Tenants and Users, with every data problem the
 * runbook warns about — case/whitespace duplicate emails, missing and invalid emails, names over
 * 100 characters, inactive users, bcrypt and Keycloak PBKDF2 hashes and users without a password.
 */
export function generateLegacyDb(opts: GenerateOptions): GenerateResult {
  const rand = prng(opts.seed ?? 20261101);
  const cost = opts.bulkBcryptCost ?? 4;
  const iterations = opts.bulkPbkdf2Iterations ?? 1000;
  rmSync(opts.file, { force: true });
  const db = new Database(opts.file);
  db.exec(`
    CREATE TABLE Tenants (Id INTEGER PRIMARY KEY, Name TEXT NOT NULL, Slug TEXT NOT NULL, Domain TEXT, Type TEXT, Plan TEXT);
    CREATE TABLE Users (
      Id INTEGER PRIMARY KEY, Email TEXT, FirstName TEXT, LastName TEXT, TenantId INTEGER REFERENCES Tenants(Id),
      RoleId INTEGER NOT NULL, PasswordHash TEXT, PhoneNumber TEXT, IsActive INTEGER NOT NULL,
      LastLoginDate TEXT, CreatedDate TEXT NOT NULL
    );
    CREATE INDEX Users_Created_Id ON Users (CreatedDate, Id);`);
  const insTenant = db.prepare("INSERT INTO Tenants VALUES (?, ?, ?, ?, ?, ?)");
  const insUser = db.prepare("INSERT INTO Users VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  const day = 86_400_000;
  const asOf = DEMO_AS_OF.getTime();
  const iso = (t: number): string => new Date(t).toISOString().replace("T", " ").slice(0, 19);

  db.transaction(() => {
    TENANTS.forEach(([name, domain, type, plan], i) => insTenant.run(i + 1, name, name.toLowerCase().replace(/[^a-z0-9]+/g, "-"), domain, type, plan));
    const emails: string[] = [];
    for (let id = 1; id <= opts.users; id++) {
      const tenant = 1 + Math.floor(rand() * TENANTS.length);
      const domain = TENANTS[tenant - 1]![1];
      let first: string = pick(rand, FIRST);
      let last: string = pick(rand, LAST);
      let email: string | null = `${first}.${last}${id}@${domain}`.toLowerCase().replace(/[^a-z0-9.@]/g, "");
      let password = `pw-${id}`;
      let hash: string | null;
      const demo = id <= DEMO_ACCOUNTS.length ? DEMO_ACCOUNTS[id - 1] : undefined;
      const r = rand();
      if (demo) {
        email = demo.email;
        [first, last] = demo.email.split("@")[0]!.split(".").map((s) => s[0]!.toUpperCase() + s.slice(1)) as [string, string];
        password = demo.password;
      } else if (r < 0.01 && emails.length) {
        // same person registered twice: differs only in case / surrounding whitespace
        const orig = pick(rand, emails);
        email = rand() < 0.5 ? orig.toUpperCase() : `  ${orig} `;
      } else if (r < 0.015) email = rand() < 0.5 ? null : "";
      else if (r < 0.02) email = pick(rand, INVALID_EMAILS);
      else if (r < 0.022) first = "Bartholomew-".repeat(10);
      // Only well-formed addresses get "registered twice", like real duplicates.
      if (email && !demo && r >= 0.02) emails.push(email);

      const h = rand();
      if (demo) hash = id === 3 ? demoKeycloakPbkdf2(rand, password, 27_500) : demoBcrypt(rand, password, 10, id === 1 ? "2b" : "2a");
      else if (h < 0.35) hash = demoBcrypt(rand, password, cost, "2b");
      else if (h < 0.6) hash = demoBcrypt(rand, password, cost, "2a");
      else if (h < 0.85) hash = demoKeycloakPbkdf2(rand, password, iterations);
      else hash = null;

      const active = demo ? 1 : rand() < 0.92 ? 1 : 0;
      const b = rand();
      const lastLogin = b < 0.35 ? asOf - rand() * 30 * day : b < 0.55 ? asOf - (30 + rand() * 60) * day : b < 0.75 ? asOf - (90 + rand() * 275) * day : b < 0.92 ? asOf - (365 + rand() * 1500) * day : null;
      const created = (lastLogin ?? asOf) - rand() * 2000 * day;
      const p = rand();
      const phone = p < 0.4 ? `+1 555-${String(1000 + (id % 9000)).padStart(4, "0")}-${String(id % 10000).padStart(4, "0")}` : p < 0.5 ? `(555) ${String(100 + (id % 900))}-${String(id % 10000).padStart(4, "0")}` : p < 0.52 ? "n/a" : null;
      const role = demo ? [1, 4, 2][id - 1]! : 1 + Math.floor(Math.pow(rand(), 0.6) * 6);
      insUser.run(id, email, first, last, tenant, role, hash, phone, active, lastLogin === null ? null : iso(lastLogin), iso(created));
    }
  })();
  db.close();
  return { file: opts.file, users: opts.users, tenants: TENANTS.length };
}
