using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using StackExchange.Redis;

namespace OrleansSocial.Runtime.Redis;

/// <summary>
/// The membership table in one Redis hash per cluster (<c>{serviceId}/members/{clusterId}</c>), as Orleans' Redis
/// clustering keeps it: a field per silo holding its row as JSON (with a row ETag), and a <c>Version</c> field. Every
/// insert or update is a MULTI/EXEC transaction conditioned on the <c>Version</c> field (and the row's current value),
/// so two silos changing membership at once cannot both win.
/// </summary>
public sealed class RedisMembershipTable(IConnectionMultiplexer redis, string serviceId, string clusterId) : IMembershipTable
{
    private const string VersionField = "Version";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private readonly RedisKey _key = $"{serviceId}/members/{clusterId}";

    private IDatabase Db => redis.GetDatabase();

    public async Task InitializeAsync(CancellationToken cancellationToken) =>
        await Db.HashSetAsync(_key, VersionField, "0", When.NotExists).ConfigureAwait(false);

    public async Task<MembershipTableData> ReadAllAsync(CancellationToken cancellationToken)
    {
        var fields = await Db.HashGetAllAsync(_key).ConfigureAwait(false);
        long version = 0;
        var rows = ImmutableList.CreateBuilder<(MembershipEntry, string)>();
        foreach (var field in fields)
        {
            if (field.Name == VersionField)
            {
                version = long.Parse((string)field.Value!, CultureInfo.InvariantCulture);
            }
            else
            {
                var row = Deserialize(field.Value!);
                rows.Add((row.Entry, row.ETag));
            }
        }

        return new MembershipTableData(rows.ToImmutable(), new TableVersion(version));
    }

    public async Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(version);
        var field = (RedisValue)entry.SiloAddress.ToString();
        var transaction = Db.CreateTransaction();
        transaction.AddCondition(Condition.HashEqual(_key, VersionField, Previous(version)));
        transaction.AddCondition(Condition.HashNotExists(_key, field));
        _ = transaction.HashSetAsync(_key, field, Serialize(entry));
        _ = transaction.HashSetAsync(_key, VersionField, version.ToString());
        return await transaction.ExecuteAsync().ConfigureAwait(false);
    }

    public async Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(version);
        var field = (RedisValue)entry.SiloAddress.ToString();
        var current = await Db.HashGetAsync(_key, field).ConfigureAwait(false);
        if (current.IsNull || Deserialize(current).ETag != etag)
        {
            return false;
        }

        var transaction = Db.CreateTransaction();
        transaction.AddCondition(Condition.HashEqual(_key, VersionField, Previous(version)));
        transaction.AddCondition(Condition.HashEqual(_key, field, current));
        _ = transaction.HashSetAsync(_key, field, Serialize(entry));
        _ = transaction.HashSetAsync(_key, VersionField, version.ToString());
        return await transaction.ExecuteAsync().ConfigureAwait(false);
    }

    public async Task UpdateIAmAliveAsync(SiloAddress silo, DateTimeOffset time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var field = (RedisValue)silo.ToString();
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var current = await Db.HashGetAsync(_key, field).ConfigureAwait(false);
            if (current.IsNull)
            {
                throw new InvalidOperationException($"Silo {silo} has no membership row.");
            }

            var row = Deserialize(current);
            var transaction = Db.CreateTransaction();
            transaction.AddCondition(Condition.HashEqual(_key, field, current));
            _ = transaction.HashSetAsync(_key, field, JsonSerializer.Serialize(row with { Entry = row.Entry with { IAmAliveTime = time } }, Json));
            if (await transaction.ExecuteAsync().ConfigureAwait(false))
            {
                return;
            }
        }

        throw new InvalidOperationException($"Could not record I-am-alive of {silo}: its row kept changing.");
    }

    public async Task<int> CleanupDefunctSiloEntriesAsync(DateTimeOffset beforeDate, CancellationToken cancellationToken)
    {
        var removed = 0;
        foreach (var field in await Db.HashGetAllAsync(_key).ConfigureAwait(false))
        {
            if (field.Name == VersionField)
            {
                continue;
            }

            var row = Deserialize(field.Value!);
            if (row.Entry.Status == SiloStatus.Dead && row.Entry.IAmAliveTime < beforeDate)
            {
                var transaction = Db.CreateTransaction();
                transaction.AddCondition(Condition.HashEqual(_key, field.Name, field.Value));
                _ = transaction.HashDeleteAsync(_key, field.Name);
                if (await transaction.ExecuteAsync().ConfigureAwait(false))
                {
                    removed++;
                }
            }
        }

        return removed;
    }

    public async Task DeleteMembershipTableEntriesAsync(CancellationToken cancellationToken) =>
        await Db.KeyDeleteAsync(_key).ConfigureAwait(false);

    private static RedisValue Previous(TableVersion version) => (version.Version - 1).ToString(CultureInfo.InvariantCulture);

    private static string Serialize(MembershipEntry entry) => JsonSerializer.Serialize(new Row(Guid.NewGuid().ToString("N"), entry), Json);

    private static Row Deserialize(RedisValue value) =>
        JsonSerializer.Deserialize<Row>((string)value!, Json) ?? throw new InvalidOperationException("A membership row is empty.");

    private sealed record Row(string ETag, MembershipEntry Entry);
}
