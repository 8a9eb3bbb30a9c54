using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;

namespace OrleansSocial.Api.Infrastructure;

/// <summary>Request rates (section <c>Api:RateLimit</c>), per fixed one-minute window.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Requests a signed-in user may make per minute. Default 300.</summary>
    public int PermitsPerMinutePerUser { get; set; } = 300;

    /// <summary>Requests an anonymous client (by IP address) may make per minute. Default 120.</summary>
    public int PermitsPerMinutePerIp { get; set; } = 120;

    /// <summary>Requests per minute per IP address to sign-up, login and password endpoints. Default 10.</summary>
    public int AuthPermitsPerMinutePerIp { get; set; } = 10;

    /// <summary>Media uploads (attachments, avatars, headers) a signed-in user may make per minute. Default 30.</summary>
    public int UploadsPerMinutePerUser { get; set; } = 30;
}

/// <summary>
/// Rate limiting with System.Threading.RateLimiting: every API request counts against its user (when signed in) or
/// its IP address; sign-up, login and password endpoints also count against the stricter <see cref="AuthPolicy"/>.
/// Health, metrics and docs are exempt. A refused request gets 429, <c>Retry-After</c>, <c>RateLimit-Remaining</c>,
/// <c>RateLimit-Reset</c> and a problem document.
/// </summary>
public static class RateLimiting
{
    /// <summary>The policy for sign-up, login and password endpoints.</summary>
    public const string AuthPolicy = "auth";

    /// <summary>The policy for media uploads, per user.</summary>
    public const string UploadPolicy = "upload";

    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    public static IServiceCollection AddOrleansSocialRateLimiting(this IServiceCollection services, RateLimitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // The partition of every API request is worked out per request: the keys are values (no string built) and the
        // limiter factories are made once here (no closure per request).
        var perUser = FixedWindow<PartitionKey>(options.PermitsPerMinutePerUser);
        var perIp = FixedWindow<PartitionKey>(options.PermitsPerMinutePerIp);
        var perIpSignIn = FixedWindow<string>(options.AuthPermitsPerMinutePerIp);
        var uploads = FixedWindow<string>(options.UploadsPerMinutePerUser);
        return services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, PartitionKey>(context =>
            {
                if (!context.Request.Path.StartsWithSegments("/api"))
                {
                    return RateLimitPartition.GetNoLimiter(default(PartitionKey));
                }

                var user = context.User.FindFirstValue("sub") ?? context.User.FindFirstValue(ClaimTypes.NameIdentifier);
                return user is not null
                    ? RateLimitPartition.Get(new PartitionKey(PartitionKind.User, user), perUser)
                    : RateLimitPartition.Get(new PartitionKey(PartitionKind.Address, ClientAddress(context)), perIp);
            });
            limiter.AddPolicy(AuthPolicy, context => RateLimitPartition.Get(ClientAddress(context), perIpSignIn));
            limiter.AddPolicy(UploadPolicy, context => RateLimitPartition.Get(context.User.FindFirstValue("sub") ?? ClientAddress(context), uploads));
            limiter.OnRejected = (context, cancellationToken) => RejectAsync(context, cancellationToken);
        });
    }

    private enum PartitionKind
    {
        Exempt,
        User,
        Address,
    }

    // Whose permits a request takes: a signed-in account's, or (anonymous) its client address's.
    private readonly record struct PartitionKey(PartitionKind Kind, string? Value);

    private static Func<TKey, RateLimiter> FixedWindow<TKey>(int permits) => _ => new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions
    {
        PermitLimit = permits,
        Window = Window,
        QueueLimit = 0,
        AutoReplenishment = true,
    });

    private static string ClientAddress(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : Window;
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds;
        context.Response.Headers["RateLimit-Remaining"] = "0";
        context.Response.Headers["RateLimit-Reset"] = seconds;
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests.",
                Detail = $"Try again in {seconds} seconds.",
            },
        }).ConfigureAwait(false);
    }
}
