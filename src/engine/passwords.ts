import { randomBytes, randomInt } from "node:crypto";
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import path from "node:path";

const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
const SYMBOLS = "!@#$%^*-_=+";

/** Strategy C: a one-time password with upper, lower, digit and symbol (most providers' policies), 16+ chars. */
export function temporaryPassword(): string {
  const bytes = randomBytes(14);
  let out = "";
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  const parts = [out, SYMBOLS[randomInt(SYMBOLS.length)]!, String(randomInt(10)), "Q", "z"];
  return parts.join("");
}

/**
 * Where generated temporary passwords go: a CSV only the operator can read (0600, created
 * exclusively so an existing file is never overwritten). Passwords never reach logs or reports.
 */
export class TemporaryPasswordFile {
  private fd: number | undefined;
  constructor(readonly file: string) {}

  add(externalId: string, email: string, password: string): void {
    if (this.fd === undefined) {
      mkdirSync(path.dirname(this.file), { recursive: true });
      this.fd = openSync(this.file, "a", 0o600);
      writeSync(this.fd, "externalId,email,temporaryPassword\n");
    }
    writeSync(this.fd, `${externalId},${email},${password}\n`);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
