using System.Buffers;
using System.Net;
using System.Net.Sockets;
using OrleansSocial.Runtime.Messaging;

namespace OrleansSocial.Runtime.Tests;

public sealed class TransportTests
{
    [Fact]
    public async Task A_peer_that_stops_reading_makes_senders_wait_instead_of_buffering_without_bound()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using var peer = await listener.AcceptSocketAsync(); // accepts, then never reads
        await using var connection = new SiloConnection(client, "slow peer", (_, _, _, _) => ValueTask.CompletedTask);
        var frame = WireFormat.Control(FrameKind.Ping, 1);
        Array.Resize(ref frame, 64 * 1024); // a large frame; its content does not matter to a peer that never reads

        // Send until a send has waited 300 ms for room.
        var sent = 0;
        Task? waiting = null;
        while (sent < 100_000)
        {
            var send = connection.SendAsync(frame).AsTask();
            if (await Task.WhenAny(send, Task.Delay(300)) != send)
            {
                waiting = send;
                break;
            }

            sent++;
        }

        // Socket buffers plus the bounded queue hold a few hundred MB at most, never 100,000 frames (6.5 GB).
        Assert.NotNull(waiting);
        Assert.True(sent < 20_000, $"{sent} frames were accepted without the peer reading");

        connection.Close();
        await Assert.ThrowsAsync<SiloUnavailableException>(() => waiting);
    }
}
