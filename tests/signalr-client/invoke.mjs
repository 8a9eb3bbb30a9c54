// Usage: node invoke.mjs <hub-url> <access-token> <method> [args...]
// Connects with the real SignalR JavaScript client, invokes a hub method with the (string) arguments, prints its result
// as JSON and exits 0; on a hub error prints "error: <message>" and exits 1.
import { build, startReady } from "./connect.mjs";

const [url, token, method, ...args] = process.argv.slice(2);
const connection = build(url, token);
try {
  await startReady(connection);
  const result = await connection.invoke(method, ...args);
  console.log(JSON.stringify(result ?? null));
  await connection.stop();
  process.exit(0);
} catch (error) {
  console.log(`error: ${error.message ?? error}`);
  process.exit(1);
}
