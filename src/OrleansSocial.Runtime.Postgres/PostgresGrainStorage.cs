using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace OrleansSocial.Runtime.Postgres;

/// <summary>Settings of a PostgreSQL grain storage provider.</summary>
public sealed class PostgresGrainStorageOptions
{
    /// <summary>Npgsql connection string.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Attempts for an operation that fails on a transient connection error before giving up. Default 6.</summary>
    public int MaxAttempts { get; set; } = 6;

    /// <summary>Delay before the first retry; doubled for each further attempt (capped at 2 s). Default 100 ms.</summary>
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);
}

/// <summary>The grain storage database could not be reached, even after retries.</summary>
public sealed class GrainStorageUnavailableException(string message, Exception innerException) : OrleansException(message, innerException);

/// <summary>
/// Grain storage in the <c>grain_state</c> table. The ETag is the row's integer version; writes and clears are
/// compare-and-swap on it (<see cref="InconsistentStateException"/> on a lost race). Transient connection failures are
/// retried with exponential backoff. A write whose outcome is unknown (the connection broke after the statement was
/// sent) is resolved by reading the row back: if it holds our version and payload, the write happened.
/// </summary>
public sealed partial class PostgresGrainStorage(
    string name,
    string serviceId,
    NpgsqlDataSource dataSource,
    JsonSerializerOptions serializerOptions,
    PostgresGrainStorageOptions options,
    TimeProvider time,
    ILogger<PostgresGrainStorage> logger) : IGrainStorage
{
    public string Name { get; } = name;

    public async Task ReadStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var row = await WithRetriesAsync(grainId, "read", () => ReadRowAsync(stateName, grainId)).ConfigureAwait(false);
        if (row is { Payload: { } payload })
        {
            grainState.State = JsonSerializer.Deserialize<TState>(payload, serializerOptions)!;
            grainState.RecordExists = true;
        }
        else
        {
            grainState.State = Storage.StateDefaults.Create<TState>();
            grainState.RecordExists = false;
        }

        grainState.ETag = row is null ? null : FormatETag(row.Value.Version);
    }

    public async Task WriteStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var payload = JsonSerializer.Serialize(grainState.State, serializerOptions);
        var expected = ParseETag(grainState.ETag, stateName, grainId);
        var version = await CompareAndSwapAsync(stateName, grainId, expected, payload).ConfigureAwait(false);
        grainState.ETag = FormatETag(version);
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var expected = ParseETag(grainState.ETag, stateName, grainId);
        if (expected is null)
        {
            // Nothing was ever stored as far as this activation knows: make sure that is still true.
            var row = await WithRetriesAsync(grainId, "read", () => ReadRowAsync(stateName, grainId)).ConfigureAwait(false);
            if (row is not null)
            {
                throw Conflict(stateName, grainId, row.Value.Version, null);
            }
        }
        else
        {
            grainState.ETag = FormatETag(await CompareAndSwapAsync(stateName, grainId, expected, null).ConfigureAwait(false));
        }

        grainState.State = Storage.StateDefaults.Create<TState>();
        grainState.RecordExists = false;
    }

    private async Task<long> CompareAndSwapAsync(string stateName, GrainId grainId, long? expected, string? payload)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync().ConfigureAwait(false);
                long? written;
                try
                {
                    written = await ExecuteSwapAsync(connection, stateName, grainId, expected, payload).ConfigureAwait(false);
                }
                catch (Exception e) when (IsTransient(e))
                {
                    // The statement may or may not have committed: look at the row to find out.
                    var outcome = await WithRetriesAsync(grainId, "verify", () => ReadRowAsync(stateName, grainId)).ConfigureAwait(false);
                    var target = (expected ?? 0) + 1;
                    if (outcome is { } row && row.Version == target && await SamePayloadAsync(stateName, grainId, payload).ConfigureAwait(false))
                    {
                        return target;
                    }

                    var notApplied = expected is null ? outcome is null : outcome?.Version == expected;
                    if (!notApplied)
                    {
                        throw Conflict(stateName, grainId, outcome?.Version, expected);
                    }

                    throw; // not applied: retried below
                }

                if (written is { } version)
                {
                    return version;
                }

                var now = await ReadRowAsync(stateName, grainId).ConfigureAwait(false);
                throw Conflict(stateName, grainId, now?.Version, expected);
            }
            catch (Exception e) when (IsTransient(e) && attempt < options.MaxAttempts)
            {
                LogRetry(logger, e, Name, grainId, attempt);
                await Task.Delay(Backoff(attempt), time).ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e))
            {
                throw Unavailable(grainId, "write", e);
            }
        }
    }

    private async Task<long?> ExecuteSwapAsync(NpgsqlConnection connection, string stateName, GrainId grainId, long? expected, string? payload)
    {
        var sql = expected is null
            ? """
              INSERT INTO grain_state (service_id, grain_type, grain_key, state_name, payload, version)
              VALUES ($1, $2, $3, $4, $5, 1)
              ON CONFLICT DO NOTHING
              RETURNING version
              """
            : """
              UPDATE grain_state SET payload = $5, version = version + 1, modified_at = now()
              WHERE service_id = $1 AND grain_type = $2 AND grain_key = $3 AND state_name = $4 AND version = $6
              RETURNING version
              """;
        await using var command = new NpgsqlCommand(sql, connection);
        AddKey(command, stateName, grainId);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = (object?)payload ?? DBNull.Value });
        if (expected is { } v)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = v });
        }

        var result = await command.ExecuteScalarAsync().ConfigureAwait(false);
        return result is long version ? version : null;
    }

    private async Task<(long Version, string? Payload)?> ReadRowAsync(string stateName, GrainId grainId)
    {
        await using var connection = await dataSource.OpenConnectionAsync().ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "SELECT version, payload::text FROM grain_state WHERE service_id = $1 AND grain_type = $2 AND grain_key = $3 AND state_name = $4",
            connection);
        AddKey(command, stateName, grainId);
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        if (!await reader.ReadAsync().ConfigureAwait(false))
        {
            return null;
        }

        return (reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1));
    }

    private async Task<bool> SamePayloadAsync(string stateName, GrainId grainId, string? payload)
    {
        await using var connection = await dataSource.OpenConnectionAsync().ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "SELECT payload IS NOT DISTINCT FROM $5 FROM grain_state WHERE service_id = $1 AND grain_type = $2 AND grain_key = $3 AND state_name = $4",
            connection);
        AddKey(command, stateName, grainId);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = (object?)payload ?? DBNull.Value });
        return await command.ExecuteScalarAsync().ConfigureAwait(false) is true;
    }

    private void AddKey(NpgsqlCommand command, string stateName, GrainId grainId)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = serviceId });
        command.Parameters.Add(new NpgsqlParameter { Value = grainId.Type });
        command.Parameters.Add(new NpgsqlParameter { Value = grainId.Key });
        command.Parameters.Add(new NpgsqlParameter { Value = stateName });
    }

    private async Task<T> WithRetriesAsync<T>(GrainId grainId, string operation, Func<Task<T>> action)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await action().ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e) && attempt < options.MaxAttempts)
            {
                LogRetry(logger, e, Name, grainId, attempt);
                await Task.Delay(Backoff(attempt), time).ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e))
            {
                throw Unavailable(grainId, operation, e);
            }
        }
    }

    private TimeSpan Backoff(int attempt) =>
        TimeSpan.FromTicks(Math.Min(options.InitialRetryDelay.Ticks << Math.Min(attempt - 1, 16), TimeSpan.FromSeconds(2).Ticks));

    internal static bool IsTransient(Exception e) => e switch
    {
        NpgsqlException { IsTransient: true } => true,
        NpgsqlException { InnerException: SocketException or IOException or TimeoutException } => true,
        PostgresException { SqlState: "57P01" or "57P02" or "57P03" or "53300" } => true, // shutting down, too many connections
        SocketException or IOException => true,
        _ => false,
    };

    private GrainStorageUnavailableException Unavailable(GrainId grainId, string operation, Exception e) =>
        new($"Grain storage '{Name}': PostgreSQL did not answer the {operation} of {grainId} after {options.MaxAttempts} attempts: {e.Message}", e);

    private InconsistentStateException Conflict(string stateName, GrainId grainId, long? stored, long? current) =>
        new($"Grain storage '{Name}': state '{stateName}' of {grainId} was changed by someone else (stored version " +
            $"{stored?.ToString(CultureInfo.InvariantCulture) ?? "none"}, this activation's version {current?.ToString(CultureInfo.InvariantCulture) ?? "none"}).",
            stored is null ? null : FormatETag(stored.Value), current is null ? null : FormatETag(current.Value));

    private static string FormatETag(long version) => version.ToString(CultureInfo.InvariantCulture);

    private long? ParseETag(string? etag, string stateName, GrainId grainId) =>
        etag is null ? null
        : long.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version
        : throw new InconsistentStateException($"Grain storage '{Name}': '{etag}' is not an ETag of this provider (state '{stateName}' of {grainId}).");

    [LoggerMessage(41, LogLevel.Warning, "Grain storage {Name}: transient failure on {GrainId}, attempt {Attempt}; retrying")]
    private static partial void LogRetry(ILogger logger, Exception exception, string name, GrainId grainId, int attempt);
}
