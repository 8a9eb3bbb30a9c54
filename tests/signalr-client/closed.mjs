// Usage: node closed.mjs <hub-url> <access-token> <timeout-ms>
// Connects with the real SignalR JavaScript client, prints "connected" once ready, then "closed" when the server closes
// the connection (exit 0); exits 1 if it is still open after <timeout-ms>.
import { build, startOrExit } from "./connect.mjs";

const [url, token, timeoutText] = process.argv.slice(2);
const connection = build(url, token);
connection.onclose(() => {
  console.log("closed");
  process.exit(0);
});

setTimeout(() => {
  console.error("still open");
  process.exit(1);
}, Number(timeoutText));

await startOrExit(connection);
