import { startCalimatic } from "../../src/simulators/calimatic/index.js";
import { defineTargetContract } from "./target.contract.js";

defineTargetContract("calimatic", async () => {
  const sim = await startCalimatic({ bcryptCost: 4 });
  return {
    targetConfig: {
      type: "calimatic",
      baseUrl: sim.url,
      apiKey: sim.credentials.apiKey,
      clientId: sim.credentials.clientId,
      clientSecret: sim.credentials.clientSecret,
      importsPerSecond: 0,
      requestsPerSecond: 0,
    },
    simulator: {
      faults: sim.faults,
      isUserWrite: (c) => c.req.method === "POST" && c.req.path.endsWith("/users/import"),
      emails: () => [...sim.store.users.values()].map((u) => u.email),
    },
    // A user created in Calimatic directly (not imported by authmigrate).
    preExisting: async ({ email }) => (await sim.store.addUser({ email, firstName: "Native", lastName: "User" })).id,
    clientTimeout: (ms) => ({ timeoutMs: ms }),
    close: () => sim.close(),
  };
});
