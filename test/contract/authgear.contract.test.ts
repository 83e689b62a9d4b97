import { startAuthgear } from "../../src/simulators/authgear/index.js";
import { createTarget } from "../../src/targets/index.js";
import { MigrationUserSchema } from "../../src/model/user.js";
import { defineTargetContract } from "./target.contract.js";

defineTargetContract("authgear", async ({ dir }) => {
  const sim = await startAuthgear({ taskDelayMs: 2 });
  const targetConfig = { type: "authgear", endpoint: sim.url, appId: sim.appId, keyId: sim.keyId, privateKey: sim.privateKeyPem, pollIntervalMs: 5 };
  return {
    targetConfig,
    simulator: {
      faults: sim.faults,
      isUserWrite: (c) => c.req.method === "POST" && c.req.path.endsWith("/users/import"),
      emails: () => [...sim.store.users.values()].flatMap((u) => (u.email ? [u.email] : [])),
    },
    // The simulator has no direct "sign up" helper: another process imports the account (not our ledger).
    preExisting: async ({ email }) => {
      const { instance } = await createTarget(targetConfig, { cwd: dir });
      try {
        const [o] = await instance.writeUsers([{ user: MigrationUserSchema.parse({ externalId: `native-${email}`, email }), action: "create", orgTargetIds: {} }]);
        if (o?.status !== "created") throw new Error(`could not create the pre-existing user: ${JSON.stringify(o)}`);
        return o.targetId!;
      } finally {
        await instance.close();
      }
    },
    clientTimeout: (ms) => ({ requestTimeoutMs: ms }),
    close: () => sim.close(),
  };
});
