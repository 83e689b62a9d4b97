/**
 * `auth:export --format=csv` has no header; columns are positional (firebase-tools accountExporter):
 * 0 localId, 1 email, 2 emailVerified, 3 passwordHash, 4 salt, 5 displayName, 6 photoUrl,
 * 7–10 google.com, 11–14 facebook.com, 15–18 twitter.com, 19–22 github.com (rawId, email,
 * displayName, photoUrl each), 23 createdAt, 24 lastSignedInAt, 25 phoneNumber, 26 disabled,
 * 27 customAttributes (absent in exports from older CLI versions).
 */
const PROVIDERS = ["google.com", "facebook.com", "twitter.com", "github.com"] as const;

export const FIREBASE_CSV_COLUMNS = 28;

/** One CSV record as the JSON export would have it, so both formats share one mapping. */
export function firebaseCsvRow(f: string[]): Record<string, unknown> {
  const at = (i: number): string | undefined => (f[i] === undefined || f[i] === "" ? undefined : f[i]);
  const providerUserInfo = PROVIDERS.flatMap((providerId, p) => {
    const base = 7 + p * 4;
    const rawId = at(base);
    if (!rawId) return [];
    return [{ providerId, rawId, email: at(base + 1), displayName: at(base + 2), photoUrl: at(base + 3) }];
  });
  const row: Record<string, unknown> = {
    localId: at(0),
    email: at(1),
    emailVerified: at(2) === "true",
    passwordHash: at(3),
    salt: at(4),
    displayName: at(5),
    photoUrl: at(6),
    providerUserInfo,
    createdAt: at(23),
    lastSignedInAt: at(24),
    phoneNumber: at(25),
    disabled: at(26) === "true",
    customAttributes: at(27),
  };
  return Object.fromEntries(Object.entries(row).filter(([, v]) => v !== undefined));
}
