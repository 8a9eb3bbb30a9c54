using Npgsql;
using OrleansSocial.Grains.Storage;
using OrleansSocial.TestInfrastructure;

namespace OrleansSocial.Orleans.Tests;

public sealed class MigrationTests
{
    private static async Task<long> CountAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Pending_migrations_are_applied_once_and_a_second_run_applies_nothing()
    {
        await using var db = NpgsqlDataSource.Create(PostgresServer.Instance.CreateDatabase("migrate"));

        var first = await new PostgresMigrator(db, PostgresMigrator.Embedded).MigrateAsync();
        var second = await new PostgresMigrator(db, PostgresMigrator.Embedded).MigrateAsync();

        Assert.Contains(1, first);
        Assert.Equal(PostgresMigrator.Embedded.Count, first.Count);
        Assert.Empty(second);
        Assert.Equal(1, await CountAsync(db, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'grain_state'"));
        Assert.Equal(PostgresMigrator.Embedded.Count, await CountAsync(db, "SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task Migrators_starting_at_the_same_time_apply_each_migration_exactly_once()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("race");
        var migrations = new[]
        {
            new Migration(1, "counter_table", "CREATE TABLE counter (n int NOT NULL); INSERT INTO counter VALUES (0);"),
            new Migration(2, "bump", "SELECT pg_sleep(0.2); UPDATE counter SET n = n + 1;"),
        };
        var sources = Enumerable.Range(0, 4).Select(_ => NpgsqlDataSource.Create(connectionString)).ToArray();

        var results = await Task.WhenAll(sources.Select(s => new PostgresMigrator(s, migrations).MigrateAsync()));

        Assert.Equal(2, results.Sum(r => r.Count));
        Assert.Equal(1, await CountAsync(sources[0], "SELECT n::bigint FROM counter"));
        foreach (var source in sources)
        {
            await source.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_changed_applied_migration_is_refused_with_a_clear_message()
    {
        await using var db = NpgsqlDataSource.Create(PostgresServer.Instance.CreateDatabase("changed"));
        await new PostgresMigrator(db, [new Migration(1, "posts", "CREATE TABLE posts (id bigint PRIMARY KEY);")]).MigrateAsync();

        var error = await Assert.ThrowsAsync<MigrationException>(() =>
            new PostgresMigrator(db, [new Migration(1, "posts", "CREATE TABLE posts (id bigint PRIMARY KEY, body text);")]).MigrateAsync());

        Assert.Contains("0001 (posts) was changed after it was applied", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_migration_leaves_nothing_half_applied()
    {
        await using var db = NpgsqlDataSource.Create(PostgresServer.Instance.CreateDatabase("failing"));
        var broken = new Migration(1, "broken", "CREATE TABLE half (id int); SELECT no_such_function();");

        await Assert.ThrowsAsync<PostgresException>(() => new PostgresMigrator(db, [broken]).MigrateAsync());

        Assert.Equal(0, await CountAsync(db, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'half'"));
        Assert.Equal(0, await CountAsync(db, "SELECT count(*) FROM schema_migrations"));
    }

    [Theory]
    [InlineData("1_short.sql")]
    [InlineData("0001-dash.sql")]
    [InlineData("0001_Upper.sql")]
    [InlineData("0001_ok.txt")]
    public void Misnamed_migration_files_are_rejected(string fileName)
    {
        var error = Assert.Throws<MigrationException>(() => PostgresMigrator.Parse(fileName, "SELECT 1"));

        Assert.Contains(fileName, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_migrations_with_one_number_are_rejected()
    {
        Assert.Throws<MigrationException>(() => new PostgresMigrator(null!, [new Migration(3, "a", ""), new Migration(3, "b", "")]));
    }
}
