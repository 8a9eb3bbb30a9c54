// Usage: node client.mjs <hub-url> <access-token|-> <event-name> <count> <timeout-ms>
// Connects with the real SignalR JavaScript client, prints "connected", then one JSON line per event received,
// and exits 0 after <count> events; exits 1 with a message when connecting fails or the events do not come in time.
// "connected" is printed once the server's "ready" event arrived: events published after that are delivered.
import { build, startOrExit } from "./connect.mjs";

const [url, token, eventName, countText, timeoutText] = process.argv.slice(2);
const expected = Number(countText);
const connection = build(url, token);

let received = 0;
connection.on(eventName, (payload) => {
  console.log(JSON.stringify(payload));
  received++;
  if (received === expected) {
    connection.stop().then(() => process.exit(0));
  }
});

setTimeout(() => {
  console.error(`timed out after ${received} of ${expected} events`);
  process.exit(1);
}, Number(timeoutText));

await startOrExit(connection);
