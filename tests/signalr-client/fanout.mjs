// Usage: node fanout.mjs <hub-url> <tokens.json> <rounds> <timeout-ms>
// Opens one connection per token, prints "connected <n>" once every connection is ready, then records, for every
// "bench" event of rounds 1..<rounds>, now - payload.sent_at (ms); round 0 is a warm-up and not recorded. After <rounds> x <n> events it prints "latency <p50> <p99> <max> <count>"
// and exits 0; on timeout it prints what it has and exits 1.
import { build, openAll, reportLatencies } from "./connect.mjs";
import { readFileSync } from "node:fs";

const [url, tokensFile, roundsText, timeoutText] = process.argv.slice(2);
const tokens = JSON.parse(readFileSync(tokensFile, "utf8"));
const expected = tokens.length * Number(roundsText);
const latencies = [];

const report = () => reportLatencies(latencies);

setTimeout(() => {
  console.error(`timed out with ${latencies.length} of ${expected} events`);
  report();
  process.exit(1);
}, Number(timeoutText));

const connections = tokens.map((token) => {
  const connection = build(url, token);
  connection.on("bench", (payload) => {
    if (payload.round === 0) {
      return;
    }
    latencies.push(Date.now() - payload.sent_at);
    if (latencies.length === expected) {
      report();
      process.exit(0);
    }
  });
  return connection;
});

await openAll(connections);
