/** A real better-auth server on 127.0.0.1 for sign-in tests: the app a user's migrated DB serves. */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { betterAuth, type BetterAuthOptions } from "better-auth";
import { toNodeHandler } from "better-auth/node";

export const TEST_APP_SECRET = "authmigrate-test-secret-0123456789abcdef";

export interface BetterAuthApp {
  base: string;
  /** `POST /api/auth/sign-in/email` as a browser on the app's origin would send it. */
  signIn(email: string, password: string): Promise<Response>;
  close(): Promise<void>;
}

/** Email + password on, telemetry and logs off, plus `options` (database, plugins, …). */
export async function startBetterAuthApp(options: BetterAuthOptions): Promise<BetterAuthApp> {
  const auth = betterAuth({
    secret: TEST_APP_SECRET,
    baseURL: "http://127.0.0.1",
    emailAndPassword: { enabled: true },
    logger: { disabled: true },
    telemetry: { enabled: false },
    ...options,
  });
  const server = http.createServer(toNodeHandler(auth));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    signIn: (email, password) =>
      fetch(`${base}/api/auth/sign-in/email`, { method: "POST", headers: { "content-type": "application/json", origin: base }, body: JSON.stringify({ email, password }) }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
