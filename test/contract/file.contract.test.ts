import { createTarget } from "../../src/targets/index.js";
import { MigrationUserSchema } from "../../src/model/user.js";
import { defineTargetContract } from "./target.contract.js";

const NO_SIM = "file target: local NDJSON appends, no HTTP, no simulator faults";

defineTargetContract(
  "file",
  async ({ dir }) => {
    const targetConfig = { type: "file", path: "out/users.ndjson" };
    return {
      targetConfig,
      // The file has no accounts of its own: "there before" = a line another process (an earlier
      // export without this ledger) wrote for the same legacy id. The file matches by externalId only.
      preExisting: async ({ externalId, email }) => {
        const { instance } = await createTarget(targetConfig, { cwd: dir });
        try {
          await instance.prepare();
          const [o] = await instance.writeUsers([{ user: MigrationUserSchema.parse({ externalId, email, profile: { givenName: "Jane", familyName: `Doe${externalId}` } }), action: "create", orgTargetIds: {} }]);
          return o!.targetId!;
        } finally {
          await instance.close();
        }
      },
      close: async () => {},
    };
  },
  {
    skip: {
      invalid: "file target validates nothing: it writes any canonical user (no provider-side rules to reject a payload)",
      "429": NO_SIM,
      "5xx": NO_SIM,
      timeout: NO_SIM,
      rollback: "file target is append-only (capabilities.rollback: false): discard the file instead",
      "dry-run-link": "file target has no lookupUsers: a dry-run cannot see lines written before it",
    },
  },
);
