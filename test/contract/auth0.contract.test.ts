import { startAuth0 } from "../../src/simulators/auth0/index.js";
import { defineTargetContract } from "./target.contract.js";

defineTargetContract("auth0", async () => {
  const sim = await startAuth0({ jobDelayMs: 2 });
  return {
    targetConfig: { type: "auth0", baseUrl: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret, connectionId: sim.connectionId, pollIntervalMs: 5 },
    simulator: {
      faults: sim.faults,
      isUserWrite: (c) => c.req.method === "POST" && c.req.path === "/api/v2/jobs/users-imports",
      emails: () => [...sim.store.users.values()].map((u) => u.email),
    },
    // An account that signed up in Auth0 before the migration (not ours: random user_id, no external id).
    preExisting: async ({ email }) => sim.store.addUser({ email }).user_id,
    clientTimeout: (ms) => ({ requestTimeoutMs: ms }),
    close: () => sim.close(),
  };
});
