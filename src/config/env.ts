import { AuthmigrateError } from "../errors.js";

const PATTERN = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replace `${NAME}` (or `${NAME:-default}`) in every string of a config with the environment
 * variable, so secrets stay out of config files. A missing variable is an error naming the
 * variable, never its (absent) value.
 */
export function interpolateEnv<T>(value: T, env: NodeJS.ProcessEnv = process.env, at = ""): T {
  if (typeof value === "string") {
    return value.replace(PATTERN, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== "") return v;
      if (fallback !== undefined) return fallback;
      throw new AuthmigrateError("CONFIG_ENV_MISSING", `${at || "config"}: environment variable ${name} is not set`, {
        hint: `export ${name}=… before running, or use \${${name}:-default}`,
      });
    }) as T;
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, `${at}[${i}]`)) as T;
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateEnv(v, env, at ? `${at}.${k}` : k);
    return out as T;
  }
  return value;
}

/** Redact anything secret-looking before a config or URL is printed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}
