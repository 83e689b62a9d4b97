import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // SQL-backed suites share the local PostgreSQL/MariaDB servers; each uses its own database/schema.
    pool: "forks",
    reporters: ["default", "./test/summary-reporter.ts"],
  },
});
