/**
 * Contract of the password-hash engine. Formats are identified by ids as in
 * shared/vectors/password-hashes.json (`bcrypt`, `keycloak-pbkdf2-sha256`, …).
 * Hashes and passwords are secrets: no function here may put them in an error message.
 */
export interface HashCandidate {
  format: string;
  /** 0..1; 1 = the value can only be this format. */
  confidence: number;
}

export interface StoredHash {
  format: string;
  value: string;
  params?: Record<string, unknown>;
}
