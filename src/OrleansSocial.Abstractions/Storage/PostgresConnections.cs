using System.Data.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace OrleansSocial.Storage;

/// <summary>
/// A process's PostgreSQL connections, within one budget: the connection string's <c>Maximum Pool Size</c> when it sets
/// one, otherwise <see cref="DefaultMaxConnections"/>. Every store of the front end and the silo shares one
/// <see cref="NpgsqlDataSource"/> (registered under <see cref="ServiceKey"/> by whichever of them is added first);
/// Orleans' ADO.NET grain storage and reminders open their connections through Npgsql's pool of their own connection
/// string, which gets <see cref="OrleansShare"/> of the budget, and the data source the rest. So a process never holds
/// more than the budget: N processes need N × budget (plus a few for operators) under PostgreSQL's
/// <c>max_connections</c> (docs/operations.md).
/// </summary>
public static class PostgresConnections
{
    /// <summary>Service key of the process's data source.</summary>
    public const string ServiceKey = "postgres";

    /// <summary>The budget of a process whose connection string sets no pool size.</summary>
    public const int DefaultMaxConnections = 30;

    /// <summary>The process's connection budget for this connection string.</summary>
    public static int Budget(string connectionString)
    {
        var written = new DbConnectionStringBuilder { ConnectionString = connectionString };
        var setsPoolSize = written.Keys.Cast<string>().Any(k => string.Equals(k, "Maximum Pool Size", StringComparison.OrdinalIgnoreCase));
        return setsPoolSize ? new NpgsqlConnectionStringBuilder(connectionString).MaxPoolSize : DefaultMaxConnections;
    }

    /// <summary>Connections of the budget for Orleans' grain storage and reminders (a sixth, at least 2, at most 10).</summary>
    public static int OrleansShare(int budget) => Math.Clamp(budget / 6, 2, 10);

    /// <summary>The connection string of the shared data source: the rest of the budget, statements prepared automatically.</summary>
    public static string ForStores(string connectionString)
    {
        var budget = Budget(connectionString);
        return Settings(connectionString, Math.Max(1, budget - OrleansShare(budget)), "orleans-social");
    }

    /// <summary>The connection string Orleans' ADO.NET providers get: their share of the budget.</summary>
    public static string ForOrleans(string connectionString) => Settings(connectionString, OrleansShare(Budget(connectionString)), "orleans-social/orleans");

    /// <summary>Registers the process's data source unless it is registered already.</summary>
    public static IServiceCollection AddPostgresDataSource(this IServiceCollection services, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddKeyedSingleton(ServiceKey, (_, _) => NpgsqlDataSource.Create(ForStores(connectionString)));
        return services;
    }

    // The same few statements run all the time: Npgsql prepares them after their second use on each connection (unless
    // the connection string says otherwise), which saves PostgreSQL a parse and plan per statement.
    // Each pool names itself to PostgreSQL (pg_stat_activity.application_name) unless the connection string names the application.
    private static string Settings(string connectionString, int poolSize, string application)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = poolSize };
        settings.ApplicationName ??= application;
        settings.MinPoolSize = Math.Min(settings.MinPoolSize, poolSize);
        if (settings.MaxAutoPrepare == 0)
        {
            (settings.MaxAutoPrepare, settings.AutoPrepareMinUsages) = (16, 2);
        }

        return settings.ConnectionString;
    }
}
