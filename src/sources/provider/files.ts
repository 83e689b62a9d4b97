import { readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { AuthmigrateError } from "../../errors.js";

/**
 * A file, or every file of a directory whose name matches `pattern`, in natural order
 * (`users-2.json` before `users-10.json`): multi-file exports (Keycloak `<realm>-users-N.json`,
 * Cognito list-users pages) are read as one stream.
 */
export async function exportFiles(path: string, cwd: string, pattern: RegExp, what: string): Promise<string[]> {
  const abs = resolve(cwd, path);
  const st = await stat(abs).catch(() => undefined);
  if (!st) {
    throw new AuthmigrateError("SOURCE_NOT_FOUND", `source file or directory not found: ${abs}`, {
      hint: "relative paths resolve against the config file's directory",
      meta: { path: abs },
    });
  }
  if (st.isFile()) return [abs];
  const names = (await readdir(abs)).filter((n) => pattern.test(n));
  if (names.length === 0) {
    throw new AuthmigrateError("SOURCE_NOT_FOUND", `no ${what} in ${abs}`, { hint: `expected files named like ${pattern.source}`, meta: { path: abs } });
  }
  const collator = new Intl.Collator("en", { numeric: true });
  return names.sort(collator.compare).map((n) => join(abs, n));
}
