/** The legacy write path on MariaDB/MySQL (AUTO_INCREMENT keys, SAVEPOINTs outside the prepared protocol). */
import mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventFor, sign, startHarness, type Harness } from "./harness.js";

let h: Harness;
const name = `am_wh_${Math.random().toString(36).slice(2, 10)}`;
beforeAll(async () => {
  const admin = await mysql.createConnection({ host: "127.0.0.1", port: 3306, user: "root" });
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  // The in-process worker (worker.thread: false); the other suites use the default thread.
  h = await startHarness({ legacy: "mysql", pgUrl: `mysql://root@127.0.0.1:3306/${name}`, thread: false });
});
afterAll(async () => {
  await h?.close();
  const admin = await mysql.createConnection({ host: "127.0.0.1", port: 3306, user: "root" });
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.end();
});

describe("MySQL legacy", () => {
  it("insert (AUTO_INCREMENT), update once, duplicate ignored, a failing event retried without undoing its batch", async () => {
    expect((await h.post("workos", eventFor("workos", { type: "created", targetId: "user_my1", email: "my1@example.com", givenName: "My", familyName: "Sql" }))).status).toBe(200);
    await h.settled();
    const row = await h.rowByTarget("user_my1");
    expect(row).toMatchObject({ Email: "my1@example.com", FirstName: "My", RoleId: 3 });
    const id = Number(row!.Id);
    const upd = eventFor("workos", { type: "updated", targetId: "user_my1", email: "my1@example.com", givenName: "Maria", familyName: "Sql" });
    expect((await h.post("workos", upd)).status).toBe(200);
    expect((await h.post("workos", upd, sign("workos", upd))).status).toBe(200);
    await h.settled();
    expect(await h.row(id)).toMatchObject({ FirstName: "Maria" });
    expect(await h.updates(id)).toBe(1);

    await h.failWrites(true);
    const later = eventFor("clerk", { type: "updated", targetId: "user_2", externalId: "2", email: "bob@example.com", givenName: "Bobby", familyName: "Old" });
    expect((await h.post("clerk", later)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(await h.row(2)).toMatchObject({ FirstName: "Bob" });
    await h.failWrites(false);
    await h.settled();
    expect(await h.row(2)).toMatchObject({ FirstName: "Bobby" });
  });
});
