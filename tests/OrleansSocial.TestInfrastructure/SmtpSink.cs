using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OrleansSocial.TestInfrastructure;

/// <summary>One message an <see cref="SmtpSink"/> accepted: the envelope and the raw DATA.</summary>
public sealed record ReceivedMail(string From, IReadOnlyList<string> To, string Data);

/// <summary>
/// A real SMTP peer on loopback (RFC 5321 without TLS or auth: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) that
/// keeps what it is sent, so tests can check what the SMTP email sender put on the wire.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public SmtpSink()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public ConcurrentQueue<ReceivedMail> Received { get; } = new();

    /// <summary>Waits until a message to <paramref name="to"/> arrives.</summary>
    public async Task<ReceivedMail> WaitForAsync(string to, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Received.FirstOrDefault(m => m.To.Contains(to, StringComparer.OrdinalIgnoreCase)) is { } mail)
            {
                return mail;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"No mail to {to} within {timeout}.");
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII);
            await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
            await writer.WriteLineAsync("220 localhost test SMTP sink ready");
            string from = "";
            var to = new List<string>();
            try
            {
                while (await reader.ReadLineAsync(_stop.Token) is { } line)
                {
                    var verb = line.Length >= 4 ? line[..4].ToUpperInvariant() : line.ToUpperInvariant();
                    switch (verb)
                    {
                        case "EHLO":
                            await writer.WriteLineAsync("250-localhost");
                            await writer.WriteLineAsync("250 8BITMIME");
                            break;
                        case "HELO":
                        case "NOOP":
                            await writer.WriteLineAsync("250 OK");
                            break;
                        case "RSET":
                            (from, to) = ("", []);
                            await writer.WriteLineAsync("250 OK");
                            break;
                        case "MAIL":
                            from = Address(line);
                            await writer.WriteLineAsync("250 OK");
                            break;
                        case "RCPT":
                            to.Add(Address(line));
                            await writer.WriteLineAsync("250 OK");
                            break;
                        case "DATA":
                            await writer.WriteLineAsync("354 End data with <CR><LF>.<CR><LF>");
                            var data = new StringBuilder();
                            while (await reader.ReadLineAsync(_stop.Token) is { } dataLine && dataLine != ".")
                            {
                                data.AppendLine(dataLine.StartsWith("..", StringComparison.Ordinal) ? dataLine[1..] : dataLine);
                            }

                            Received.Enqueue(new ReceivedMail(from, to.ToArray(), data.ToString()));
                            (from, to) = ("", []);
                            await writer.WriteLineAsync("250 OK queued");
                            break;
                        case "QUIT":
                            await writer.WriteLineAsync("221 Bye");
                            return;
                        default:
                            await writer.WriteLineAsync("502 Command not implemented");
                            break;
                    }
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }
    }

    private static string Address(string line)
    {
        var start = line.IndexOf('<', StringComparison.Ordinal);
        var end = line.IndexOf('>', StringComparison.Ordinal);
        return start >= 0 && end > start ? line[(start + 1)..end] : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
