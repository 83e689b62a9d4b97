import { startPrelude } from "../../src/simulators/prelude/index.js";
import { defineTargetContract } from "./target.contract.js";

defineTargetContract("prelude", async () => {
  const sim = await startPrelude({});
  return {
    targetConfig: { type: "prelude", appId: sim.appId, apiKey: sim.apiKey, baseUrl: sim.url },
    simulator: {
      faults: sim.faults,
      // POST …/users (create), not …/users/batch_lookup or …/identifiers.
      isUserWrite: (c) => c.req.method === "POST" && /\/v2\/session\/apps\/[^/]+\/users$/.test(c.req.path),
      emails: () => [...sim.store.users.values()].flatMap((u) => u.identifiers.filter((i) => i.type === "email_address").map((i) => i.value)),
    },
    // A user who signed up in the app (no external_id).
    preExisting: async ({ email }) => sim.store.createUser({ identifiers: [{ type: "email_address", value: email }] }, "signup").id,
    clientTimeout: (ms) => ({ timeoutMs: ms }),
    close: () => sim.close(),
  };
});
