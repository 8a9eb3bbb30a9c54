using System.Net;
using System.Net.Mail;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace OrleansSocial.Api.Email;

/// <summary>A plain-text email.</summary>
public sealed record EmailMessage(string To, string Subject, string Body);

/// <summary>Sends email: over SMTP when <c>Email:Smtp:Host</c> is configured, into the development outbox otherwise.</summary>
public interface IEmailSender
{
    Task SendAsync(EmailMessage message, CancellationToken cancellationToken);
}

/// <summary>Settings of outgoing mail (section <c>Email</c>).</summary>
public sealed class EmailOptions
{
    public string From { get; set; } = "OrleansSocial <no-reply@localhost>";

    /// <summary>Where links in emails point (the app or web client that finishes the flow), e.g. https://social.example.</summary>
    public string PublicBaseUrl { get; set; } = "http://localhost:5080";

    public SmtpOptions Smtp { get; set; } = new();
}

/// <summary>An SMTP relay. An empty <see cref="Host"/> means mail goes to the development outbox table.</summary>
public sealed class SmtpOptions
{
    public string Host { get; set; } = "";

    public int Port { get; set; } = 587;

    /// <summary>STARTTLS (or TLS) to the relay. On by default; only a relay on loopback should run without it.</summary>
    public bool EnableSsl { get; set; } = true;

    public string Username { get; set; } = "";

    public string Password { get; set; } = "";

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>Sends through an SMTP relay.</summary>
public sealed class SmtpEmailSender(EmailOptions options) : IEmailSender
{
    public async Task SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var smtp = options.Smtp;
        using var client = new SmtpClient(smtp.Host, smtp.Port)
        {
            EnableSsl = smtp.EnableSsl,
            DeliveryMethod = SmtpDeliveryMethod.Network,
            Timeout = (int)smtp.Timeout.TotalMilliseconds,
        };
        if (!string.IsNullOrEmpty(smtp.Username))
        {
            client.Credentials = new NetworkCredential(smtp.Username, smtp.Password);
        }

        using var mail = new MailMessage(new MailAddress(options.From), new MailAddress(message.To))
        {
            Subject = message.Subject,
            Body = message.Body,
            IsBodyHtml = false,
        };
        await client.SendMailAsync(mail, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>
/// The development outbox: rows in <c>email_outbox</c> instead of sent mail, so a developer (or a test) can read the
/// verification and reset links. Each message is also logged.
/// </summary>
public sealed partial class OutboxEmailSender(NpgsqlDataSource db, ILogger<OutboxEmailSender> logger) : IEmailSender
{
    public async Task SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        await using var command = db.CreateCommand("INSERT INTO email_outbox (to_address, subject, body) VALUES ($1, $2, $3)");
        command.Parameters.Add(new NpgsqlParameter { Value = message.To });
        command.Parameters.Add(new NpgsqlParameter { Value = message.Subject });
        command.Parameters.Add(new NpgsqlParameter { Value = message.Body });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        LogQueued(logger, message.To, message.Subject);
    }

    [LoggerMessage(90, LogLevel.Information, "No SMTP relay configured: email to {To} ({Subject}) is in the email_outbox table")]
    private static partial void LogQueued(ILogger logger, string to, string subject);
}
