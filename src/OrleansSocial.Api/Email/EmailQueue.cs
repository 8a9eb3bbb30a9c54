using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrleansSocial.Api.Email;

/// <summary>
/// Sends email off the request path, so a slow relay does not slow sign-up and a "forgot password" request takes the
/// same time whether or not the account exists. A failed send is retried three times (2, 4, 8 s); mail still queued
/// when the process stops is lost, and the user asks for another link.
/// </summary>
public sealed partial class EmailQueue(IEmailSender sender, TimeProvider time, ILogger<EmailQueue> logger) : BackgroundService
{
    private readonly Channel<EmailMessage> _queue = Channel.CreateBounded<EmailMessage>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    /// <summary>Queues a message; false when the queue is full (the relay has been down for a long time).</summary>
    public bool Enqueue(EmailMessage message)
    {
        if (_queue.Writer.TryWrite(message))
        {
            return true;
        }

        LogDropped(logger, message.To, message.Subject);
        return false;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var message in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await sender.SendAsync(message, stoppingToken).ConfigureAwait(false);
                    break;
                }
                catch (Exception e) when (e is not OperationCanceledException && attempt <= 3)
                {
                    LogRetry(logger, message.To, attempt, e);
                    await Task.Delay(TimeSpan.FromSeconds(1 << attempt), time, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogFailed(logger, message.To, message.Subject, e);
                    break;
                }
            }
        }
    }

    [LoggerMessage(91, LogLevel.Warning, "Sending email to {To} failed (attempt {Attempt}); retrying")]
    private static partial void LogRetry(ILogger logger, string to, int attempt, Exception error);

    [LoggerMessage(92, LogLevel.Error, "Email to {To} ({Subject}) could not be sent and is dropped")]
    private static partial void LogFailed(ILogger logger, string to, string subject, Exception error);

    [LoggerMessage(93, LogLevel.Error, "The email queue is full: email to {To} ({Subject}) is dropped")]
    private static partial void LogDropped(ILogger logger, string to, string subject);
}
