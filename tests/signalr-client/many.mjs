// Usage: node many.mjs <hub-url> <tokens.json> <event-name> <timeout-ms>
// Opens one connection per token in tokens.json (an array of strings), prints "connected <n>" once all are open, then
// counts events; exits 0 printing "received <n>" when every connection has received one, 1 on failure or timeout.
import { build, openAll } from "./connect.mjs";
import { readFileSync } from "node:fs";

const [url, tokensFile, eventName, timeoutText] = process.argv.slice(2);
const tokens = JSON.parse(readFileSync(tokensFile, "utf8"));
const got = new Array(tokens.length).fill(false);
let received = 0;

setTimeout(() => {
  console.error(`timed out: ${received} of ${tokens.length} connections received their event`);
  process.exit(1);
}, Number(timeoutText));

const connections = tokens.map((token, i) => {
  const connection = build(url, token);
  connection.on(eventName, () => {
    if (!got[i]) {
      got[i] = true;
      received++;
      if (received === tokens.length) {
        console.log(`received ${received}`);
        process.exit(0);
      }
    }
  });
  return connection;
});

await openAll(connections);
