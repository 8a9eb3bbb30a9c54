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
