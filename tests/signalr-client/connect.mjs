// Opens a hub connection with the real SignalR JavaScript client and resolves once the server's "ready" event says
// the user's events flow to it (start() alone resolves at the handshake, before the server has subscribed).
import * as signalR from "@microsoft/signalr";

export function build(url, token) {
  const options = { transport: signalR.HttpTransportType.WebSockets, skipNegotiation: true };
  if (token !== "-") {
    options.accessTokenFactory = () => token;
  }
  return new signalR.HubConnectionBuilder().withUrl(url, options).configureLogging(signalR.LogLevel.Error).build();
}

export async function startReady(connection) {
  const ready = new Promise((resolve) => connection.on("ready", resolve));
  await connection.start();
  return await ready;
}

// Starts the connection and prints "connected" once its events flow, or exits 1 saying why it could not.
export async function startOrExit(connection) {
  try {
    await startReady(connection);
    console.log("connected");
  } catch (error) {
    console.error(`connection failed: ${error.message ?? error}`);
    process.exit(1);
  }
}

// Opens every connection (in batches, so the server is not asked for a thousand handshakes in the same millisecond),
// prints "connected <n>" once all are ready, or exits 1 saying why one failed.
export async function openAll(connections) {
  try {
    for (let i = 0; i < connections.length; i += 100) {
      await Promise.all(connections.slice(i, i + 100).map((c) => startReady(c)));
    }
    console.log(`connected ${connections.length}`);
  } catch (error) {
    console.error(`connection failed: ${error.message ?? error}`);
    process.exit(1);
  }
}

// Prints "latency <p50> <p99> <max> <count>" for the latencies recorded (ms).
export function reportLatencies(latencies) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q) => sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  console.log(`latency ${at(0.5)} ${at(0.99)} ${sorted[sorted.length - 1]} ${sorted.length}`);
}
