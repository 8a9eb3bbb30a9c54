using Orleans;
using Orleans.Concurrency;

namespace OrleansSocial.Users;

/// <summary>How data exports run.</summary>
public sealed class ExportOptions
{
    /// <summary>How long a finished archive can be downloaded. Default 7 days.</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long after asking for an export the next may be asked for. Default 24 hours.</summary>
    public TimeSpan Cooldown { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often the export's reminder fires while a build is owed: the cadence at which an interrupted build restarts. Default 1 minute.</summary>
    public TimeSpan ResumePeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How soon after asking the build starts (through the reminder, so it starts even if this silo stops). Default 1 second.</summary>
    public TimeSpan StartDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Builds tried before an export is marked failed. Default 3.</summary>
    public int MaxAttempts { get; set; } = 3;
}

public static class ExportStatuses
{
    public const string Pending = "pending";
    public const string Building = "building";
    public const string Ready = "ready";
    public const string Failed = "failed";
    public const string Expired = "expired";
}

/// <summary>One export of an account's data.</summary>
[GenerateSerializer, Immutable, Alias("social.DataExport")]
public sealed record DataExport([property: Id(0)] Guid Id, [property: Id(1)] string Status, [property: Id(2)] DateTimeOffset RequestedAt,
    [property: Id(3)] DateTimeOffset? FinishedAt, [property: Id(4)] DateTimeOffset? ExpiresAt, [property: Id(5)] long? Size, [property: Id(6)] string? BlobKey);

/// <summary>The answer to asking for an export: the new one, or why not (one being built, or the last asked for too recently).</summary>
[GenerateSerializer, Immutable, Alias("social.ExportRequest")]
public sealed record ExportRequestResult([property: Id(0)] DataExport? Export, [property: Id(1)] DataExport? Building, [property: Id(2)] DateTimeOffset? NextAllowedAt);

/// <summary>
/// An account's data exports (keyed by the account id): asked for, built in the background into a zip in the media store
/// (restarted by a reminder if a build is interrupted), downloadable for <see cref="ExportOptions.Lifetime"/>, then deleted.
/// </summary>
[Alias("social.IDataExportGrain")]
public interface IDataExportGrain : IGrainWithIntegerKey
{
    /// <summary>Starts an export unless one is being built or the last was asked for within the cooldown.</summary>
    [AlwaysInterleave]
    Task<ExportRequestResult> RequestAsync();

    /// <summary>The account's exports, newest first.</summary>
    [AlwaysInterleave]
    Task<IReadOnlyList<DataExport>> ListAsync();

    /// <summary>For the account's erasure: every archive's blob and row go, and the reminder. Idempotent.</summary>
    Task EraseAsync();
}
