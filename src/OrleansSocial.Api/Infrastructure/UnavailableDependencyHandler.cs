using System.Net.Sockets;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Runtime;
using OrleansSocial.Diagnostics;

namespace OrleansSocial.Api.Infrastructure;

/// <summary>
/// A dependency that is down — a silo (or the whole cluster), PostgreSQL — answers 503 with <c>Retry-After</c> and a
/// problem document naming what is unavailable, not a 500 with a stack trace. Each dependency's outage is logged as one
/// warning (again at most every 30 seconds while it lasts), not once per request.
/// </summary>
internal sealed partial class UnavailableDependencyHandler(IProblemDetailsService problems, ILogger<UnavailableDependencyHandler> logger, TimeProvider time)
    : IExceptionHandler
{
    /// <summary>Seconds a client should wait before retrying (the time Orleans takes to move a dead silo's grains is about 10 s).</summary>
    public const int RetryAfterSeconds = 5;

    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(30);
    private readonly OncePer _clusterWarning = new(WarningInterval, time);
    private readonly OncePer _databaseWarning = new(WarningInterval, time);

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (Classify(exception) is not { } dependency)
        {
            return false;
        }

        Warn(dependency, exception);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "The service is temporarily unavailable.",
            Detail = (dependency == Dependency.Cluster ? "A part of the cluster" : "The database") + " is not reachable right now; try again in a few seconds.",
        };
        problem.Extensions["dependency"] = dependency == Dependency.Cluster ? "cluster" : "database";
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception })
            .ConfigureAwait(false);
    }

    internal enum Dependency
    {
        Cluster,
        Database,
    }

    /// <summary>Which dependency the failure says is down, or null for any other failure.</summary>
    internal static Dependency? Classify(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SiloUnavailableException or OrleansMessageRejectionException or GatewayTooBusyException or TimeoutException:
                    return Dependency.Cluster;
                case PostgresException postgres when postgres.SqlState is "53300" or "57P01" or "57P02" or "57P03" || postgres.SqlState.StartsWith("08", StringComparison.Ordinal):
                    return Dependency.Database;
                case NpgsqlException npgsql when npgsql is not PostgresException && (npgsql.IsTransient || npgsql.InnerException is SocketException or IOException):
                    return Dependency.Database;
                case SocketException:
                    return Dependency.Database;
            }
        }

        return null;
    }

    private void Warn(Dependency dependency, Exception exception)
    {
        if ((dependency == Dependency.Cluster ? _clusterWarning : _databaseWarning).Now())
        {
            LogUnavailable(dependency == Dependency.Cluster ? "The Orleans cluster (a silo)" : "PostgreSQL", exception.GetType().Name, exception.Message);
        }
    }

    [LoggerMessage(EventId = 503, Level = LogLevel.Warning,
        Message = "{Dependency} is unavailable ({Error}: {Detail}); requests that need it answer 503 with Retry-After. Further failures in the next 30 s are not logged.")]
    private partial void LogUnavailable(string dependency, string error, string detail);
}
