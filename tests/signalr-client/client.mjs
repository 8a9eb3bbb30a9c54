// Usage: node client.mjs <hub-url> <access-token|-> <event-name> <count> <timeout-ms>
// Connects with the real SignalR JavaScript client, prints "connected", then one JSON line per event received,
// and exits 0 after <count> events; exits 1 with a message when connecting fails or the events do not come in time.
import * as signalR from "@microsoft/signalr";

const [url, token, eventName, countText, timeoutText] = process.argv.slice(2);
const expected = Number(countText);
const builder = new signalR.HubConnectionBuilder().configureLogging(signalR.LogLevel.Error);
const connection = (token === "-"
  ? builder.withUrl(url, { transport: signalR.HttpTransportType.WebSockets, skipNegotiation: true })
  : builder.withUrl(url, { accessTokenFactory: () => token, transport: signalR.HttpTransportType.WebSockets, skipNegotiation: true })
).build();

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

try {
  await connection.start();
  console.log("connected");
} catch (error) {
  console.error(`connection failed: ${error.message ?? error}`);
  process.exit(1);
}
