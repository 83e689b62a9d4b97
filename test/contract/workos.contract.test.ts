import { startWorkosSimulator } from "../../src/simulators/workos/index.js";
import { defineTargetContract } from "./target.contract.js";

defineTargetContract("workos", async () => {
  const sim = await startWorkosSimulator({ rateLimit: 10_000 });
  return {
    targetConfig: { type: "workos", apiKey: sim.apiKey, clientId: sim.clientId, baseUrl: sim.url, requestsPerSecond: 10_000 },
    simulator: {
      faults: sim.faults,
      isUserWrite: (c) => c.req.method === "POST" && c.req.path === "/user_management/users",
      emails: () => [...sim.store.users.values()].map((u) => u.email),
    },
    // An app sign-up: no external_id.
    preExisting: async ({ email }) => (await sim.store.createUser({ email })).id,
    clientTimeout: (ms) => ({ timeoutMs: ms }),
    close: () => sim.close(),
  };
});
