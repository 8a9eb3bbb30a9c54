// Usage: node typing.mjs <hub-url> <pairs.json> <duration-ms>
// pairs.json: [[typist-token, listener-token, conversation-id], ...]. Opens both connections of every pair, prints
// "connected <n>", then every typist calls the hub's Typing(conversation) in a loop for <duration-ms> while the
// listeners count "typing" events. Prints "typing <calls> <events> <seconds>" and exits 0 (1 if a call failed).
import { build, openAll } from "./connect.mjs";
import { readFileSync } from "node:fs";

const [url, pairsFile, durationText] = process.argv.slice(2);
const pairs = JSON.parse(readFileSync(pairsFile, "utf8"));
const duration = Number(durationText);
let events = 0;
let calls = 0;

const typists = pairs.map(([typist]) => build(url, typist));
const listeners = pairs.map(([, listener]) => {
  const connection = build(url, listener);
  connection.on("typing", () => { events++; });
  return connection;
});
await openAll([...typists, ...listeners]);

const started = Date.now();
try {
  await Promise.all(typists.map(async (connection, i) => {
    while (Date.now() - started < duration) {
      await connection.invoke("Typing", pairs[i][2]);
      calls++;
    }
  }));
} catch (error) {
  console.error(`Typing failed: ${error.message ?? error}`);
  process.exit(1);
}

const seconds = (Date.now() - started) / 1000;
await new Promise((resolve) => setTimeout(resolve, 500)); // the last relayed events land
console.log(`typing ${calls} ${events} ${seconds}`);
process.exit(0);
