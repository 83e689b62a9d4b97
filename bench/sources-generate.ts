/**
 * Streams N synthetic users to disk in the real export formats (constant memory, respects
 * backpressure): Firebase `auth:export` JSON and Auth0 bulk-export NDJSON. Values have the real
 * shapes and sizes (base64 scrypt hash + salt, bcrypt string, identities, metadata) but are not
 * real hashes: the bench measures reading and mapping, not verification.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";

const FIRST = ["Ana", "José", "Zoë", "太郎", "Chloé", "Олег", "Fatima", "Søren"];
const LAST = ["García", "Müller", "Ørsted", "山田", "Lefèvre", "Иванов", "Al-Sayed", "Kierkegaard"];
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const b64 = (i: number, len: number): string => {
  let s = "";
  let x = (i * 2654435761) >>> 0;
  for (let k = 0; k < len; k++) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += B64[x & 63];
  }
  return s;
};

async function writeAll(path: string, n: number, head: string, line: (i: number) => string, sep: string, tail: string): Promise<void> {
  const out: WriteStream = createWriteStream(path);
  out.write(head);
  for (let i = 0; i < n; i++) {
    if (!out.write((i ? sep : "") + line(i))) await once(out, "drain");
  }
  out.end(tail);
  await once(out, "finish");
}

export function firebaseUserLine(i: number): string {
  const u: Record<string, unknown> = {
    localId: `uid${i.toString(36).padStart(8, "0")}`,
    email: `user${i}@example.com`,
    emailVerified: i % 3 !== 0,
    passwordHash: `${b64(i, 86)}==`,
    salt: `${b64(i + 7, 16)}`,
    displayName: `${FIRST[i % 8]} ${LAST[(i >> 3) % 8]}`,
    createdAt: String(1600000000000 + i),
    lastSignedInAt: String(1700000000000 + i),
    ...(i % 10 === 0 ? { providerUserInfo: [{ providerId: "google.com", rawId: String(1e12 + i), email: `user${i}@example.com` }] } : {}),
    ...(i % 50 === 0 ? { disabled: true } : {}),
    ...(i % 20 === 0 ? { customAttributes: '{"role":"admin"}' } : {}),
  };
  return JSON.stringify(u);
}

export function auth0UserLine(i: number): string {
  const oid = i.toString(16).padStart(24, "0");
  return JSON.stringify({
    user_id: `auth0|${oid}`,
    email: `user${i}@example.com`,
    email_verified: i % 4 !== 0,
    name: `${FIRST[i % 8]} ${LAST[(i >> 3) % 8]}`,
    given_name: FIRST[i % 8],
    family_name: LAST[(i >> 3) % 8],
    created_at: new Date(1600000000000 + i * 1000).toISOString(),
    last_login: new Date(1700000000000 + i * 1000).toISOString(),
    logins_count: i % 97,
    identities: [{ connection: "Username-Password-Authentication", provider: "auth0", user_id: oid, isSocial: false }],
    app_metadata: i % 5 === 0 ? { roles: ["admin"] } : {},
    user_metadata: { theme: i % 2 ? "dark" : "light" },
    ...(i % 50 === 0 ? { blocked: true } : {}),
  });
}

export const writeFirebaseJson = (path: string, n: number): Promise<void> => writeAll(path, n, '{"users": [\n', firebaseUserLine, ",\n", "\n]}\n");
export const writeAuth0Ndjson = (path: string, n: number): Promise<void> => writeAll(path, n, "", auth0UserLine, "\n", "\n");
