import { z } from "zod";

/** `serve.dashboard`: the read-only migration dashboard, its JSON API and /metrics (docs/dashboard.md). */
export const DashboardConfigSchema = z
  .object({
    /** Operators send it as `Authorization: Bearer <token>` or sign in once at /login (cookie). ≥ 16 chars: use `${AUTHMIGRATE_DASHBOARD_TOKEN}`. */
    token: z.string().min(16, "serve.dashboard.token must be at least 16 characters (use ${AUTHMIGRATE_DASHBOARD_TOKEN})"),
    /** Require the token on /metrics too (Prometheus: `authorization: { credentials_file: … }`). */
    protectMetrics: z.boolean().default(true),
    /** How often the page's live stream pushes a fresh overview, ms. */
    refreshMs: z.number().int().min(250).max(60_000).default(2000),
  })
  .strict();

export type DashboardConfig = z.infer<typeof DashboardConfigSchema>;
