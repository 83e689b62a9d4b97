/**
 * One measured scenario in its own process, so peak RSS is its own. argv: <mode> <file>
 *   baseline-json   stream-json (Parser → Pick users → StreamArray) over the file, counting users
 *   baseline-ndjson readline + JSON.parse per line
 *   firebase        firebase source → mapping layer (canonical users, validated)
 *   auth0           auth0-export source → mapping layer
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { pipeline } from "node:stream";
import Parser from "stream-json/Parser.js";
import Pick from "stream-json/filters/Pick.js";
import StreamArray from "stream-json/streamers/StreamArray.js";
import { parseConfig } from "../src/config/load.js";
import { mapUser } from "../src/mapping/map-user.js";
import { createSource } from "../src/sources/index.js";

const [mode, file] = process.argv.slice(2) as [string, string];
const started = process.hrtime.bigint();
let rows = 0;
let users = 0;

if (mode === "baseline-json") {
  const items = new StreamArray();
  pipeline(createReadStream(file), new Parser({ streamValues: false }), new Pick({ filter: "users", once: true }), items, () => {});
  for await (const _ of items as AsyncIterable<unknown>) rows++;
  users = rows;
} else if (mode === "baseline-ndjson") {
  for await (const line of createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity })) {
    if (!line) continue;
    JSON.parse(line);
    rows++;
  }
  users = rows;
} else {
  const source = mode === "firebase" ? { type: "firebase", path: file, hashConfig: { signerKey: "c2lnbmVy", rounds: 8, memCost: 14 } } : { type: "auth0-export", path: file };
  const config = parseConfig({ source, target: { type: "better-auth", database: "unused.db" } });
  const opts = { mapping: config.mapping, validation: config.validation, hashes: config.hashes };
  const src = createSource(config.source, { cwd: "/" });
  for await (const rec of src.read()) {
    rows++;
    const m = await mapUser(rec, opts);
    if (m.user) users++;
  }
  await src.close();
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stdout.write(JSON.stringify({ mode, rows, users, seconds, rate: rows / seconds, peakRssMb: process.resourceUsage().maxRSS / 1024 }) + "\n");
