// Usage: node messages.mjs <hub-url> <tokens.json> <expected> <timeout-ms>
// Opens one connection per token, prints "connected <n>" once every connection is ready, then records, for every
// "message" event whose text is "t:<epoch-ms>", now - epoch-ms (ms); other messages (warm-up) are not recorded. After
// <expected> recorded events it prints "latency <p50> <p99> <max> <count>" and exits 0; on timeout it prints what it
// has and exits 1.
import { build, openAll, reportLatencies } from "./connect.mjs";
import { readFileSync } from "node:fs";

const [url, tokensFile, expectedText, timeoutText] = process.argv.slice(2);
const tokens = JSON.parse(readFileSync(tokensFile, "utf8"));
const expected = Number(expectedText);
const latencies = [];

const report = () => reportLatencies(latencies);

setTimeout(() => {
  console.error(`timed out with ${latencies.length} of ${expected} messages`);
  report();
  process.exit(1);
}, Number(timeoutText));

const connections = tokens.map((token) => {
  const connection = build(url, token);
  connection.on("message", (payload) => {
    if (typeof payload.text !== "string" || !payload.text.startsWith("t:")) {
      return;
    }
    latencies.push(Date.now() - Number(payload.text.slice(2)));
    if (latencies.length === expected) {
      report();
      process.exit(0);
    }
  });
  return connection;
});

await openAll(connections);
