using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace OrleansSocial.Grains.Storage;

/// <summary>One numbered schema migration.</summary>
public sealed record Migration(int Version, string Name, string Sql)
{
    /// <summary>SHA-256 of the script (line endings normalised), recorded when applied.</summary>
    public string Checksum { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql.ReplaceLineEndings("\n"))));
}

/// <summary>An applied migration was changed, a migration file is misnamed, or two share a number.</summary>
public sealed class MigrationException(string message) : Exception(message);

/// <summary>
/// Applies pending migrations in order, each in its own transaction, recording them in <c>schema_migrations</c>. The
/// whole run holds a PostgreSQL advisory lock, so silos starting at the same time apply each migration exactly once.
/// </summary>
public sealed partial class PostgresMigrator(NpgsqlDataSource dataSource, IReadOnlyList<Migration> migrations, ILogger<PostgresMigrator>? logger = null)
{
    // An arbitrary constant: the advisory lock key every OrleansSocial migrator agrees on.
    private const long AdvisoryLockKey = 0x4f726c65616e73; // "Orleans"

    /// <summary>The migrations embedded from the repository's <c>sql/</c> folder.</summary>
    public static IReadOnlyList<Migration> Embedded { get; } = LoadEmbedded(typeof(PostgresMigrator).Assembly);

    public IReadOnlyList<Migration> Migrations { get; } = Validate(migrations);

    /// <summary>Applies what is pending; returns the versions applied by this call.</summary>
    public async Task<IReadOnlyList<int>> MigrateAsync(CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({AdvisoryLockKey})", cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer     PRIMARY KEY,
                    name       text        NOT NULL,
                    checksum   text        NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, cancellationToken).ConfigureAwait(false);

            var applied = new Dictionary<int, (string Name, string Checksum)>();
            await using (var read = new NpgsqlCommand("SELECT version, name, checksum FROM schema_migrations", connection))
            await using (var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    applied[reader.GetInt32(0)] = (reader.GetString(1), reader.GetString(2));
                }
            }

            foreach (var (version, record) in applied)
            {
                var migration = Migrations.FirstOrDefault(m => m.Version == version);
                if (migration is not null && migration.Checksum != record.Checksum)
                {
                    throw new MigrationException(
                        $"Migration {version:D4} ({migration.Name}) was changed after it was applied to this database " +
                        $"(recorded checksum {record.Checksum}, file checksum {migration.Checksum}). Applied migrations must never be " +
                        "edited: restore the original file and add a new migration with the change.");
                }
            }

            var done = new List<int>();
            foreach (var migration in Migrations.Where(m => !applied.ContainsKey(m.Version)))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (var apply = new NpgsqlCommand(migration.Sql, connection, transaction))
                {
                    await apply.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await using (var record = new NpgsqlCommand(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", connection, transaction))
                {
                    record.Parameters.Add(new NpgsqlParameter { Value = migration.Version });
                    record.Parameters.Add(new NpgsqlParameter { Value = migration.Name });
                    record.Parameters.Add(new NpgsqlParameter { Value = migration.Checksum });
                    await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                done.Add(migration.Version);
                if (logger is not null)
                {
                    LogApplied(logger, migration.Version, migration.Name);
                }
            }

            return done;
        }
        finally
        {
            await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({AdvisoryLockKey})", CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Parses <c>NNNN_description.sql</c> files.</summary>
    public static Migration Parse(string fileName, string sql)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        var match = FileNamePattern().Match(fileName);
        if (!match.Success)
        {
            throw new MigrationException($"Migration file '{fileName}' must be named NNNN_description.sql (four digits, underscore, lower-case words).");
        }

        return new Migration(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), match.Groups[2].Value, sql);
    }

    private static IReadOnlyList<Migration> LoadEmbedded(Assembly assembly)
    {
        const string prefix = "migrations/";
        var result = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            result.Add(Parse(resource[prefix.Length..], reader.ReadToEnd()));
        }

        return result;
    }

    private static List<Migration> Validate(IReadOnlyList<Migration> migrations)
    {
        ArgumentNullException.ThrowIfNull(migrations);
        var duplicate = migrations.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new MigrationException($"Migrations {string.Join(" and ", duplicate.Select(m => m.Name))} share the number {duplicate.Key:D4}.");
        }

        return [.. migrations.OrderBy(m => m.Version)];
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    [GeneratedRegex(@"^(\d{4})_([a-z0-9_]+)\.sql$")]
    private static partial Regex FileNamePattern();

    [LoggerMessage(40, LogLevel.Information, "Applied migration {Version} ({Name})")]
    private static partial void LogApplied(ILogger logger, int version, string name);
}
