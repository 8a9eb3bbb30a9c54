using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OrleansSocial.TestInfrastructure;

namespace OrleansSocial.Runtime.Postgres.Tests;

public sealed class Note
{
    public string Text { get; set; } = "";

    public int Edits { get; set; }
}

public sealed class StorageTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private NpgsqlDataSource _db = null!;

    public async Task InitializeAsync()
    {
        _db = NpgsqlDataSource.Create(PostgresServer.Instance.CreateDatabase("storage"));
        await new PostgresMigrator(_db, PostgresMigrator.Embedded).MigrateAsync();
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private PostgresGrainStorage Storage(string serviceId = "svc", NpgsqlDataSource? db = null, int attempts = 6) =>
        new("pg", serviceId, db ?? _db, Json, new PostgresGrainStorageOptions { MaxAttempts = attempts, InitialRetryDelay = TimeSpan.FromMilliseconds(20) },
            TimeProvider.System, NullLogger<PostgresGrainStorage>.Instance);

    private static GrainId NewId() => new("note", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_written_state_reads_back_with_its_version_as_etag()
    {
        var storage = Storage();
        var id = NewId();
        var state = new GrainState<Note>(new Note { Text = "hello", Edits = 1 });

        await storage.WriteStateAsync("note", id, state);
        var read = new GrainState<Note>(new Note());
        await storage.ReadStateAsync("note", id, read);

        Assert.Equal("1", state.ETag);
        Assert.Equal("1", read.ETag);
        Assert.True(read.RecordExists);
        Assert.Equal("hello", read.State.Text);
    }

    [Fact]
    public async Task Of_two_writers_holding_the_same_etag_only_the_first_commits()
    {
        var storage = Storage();
        var id = NewId();
        await storage.WriteStateAsync("note", id, new GrainState<Note>(new Note { Text = "v1" }));
        var a = new GrainState<Note>(new Note());
        var b = new GrainState<Note>(new Note());
        await storage.ReadStateAsync("note", id, a);
        await storage.ReadStateAsync("note", id, b);

        a.State.Text = "from a";
        await storage.WriteStateAsync("note", id, a);
        b.State.Text = "from b";
        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("note", id, b));
        var stored = new GrainState<Note>(new Note());
        await storage.ReadStateAsync("note", id, stored);

        Assert.Equal("from a", stored.State.Text);
        Assert.Equal("2", error.StoredEtag);
        Assert.Equal("1", error.CurrentEtag);
    }

    [Fact]
    public async Task Two_first_writes_race_and_exactly_one_wins()
    {
        var storage = Storage();
        var id = NewId();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            try
            {
                await storage.WriteStateAsync("note", id, new GrainState<Note>(new Note { Text = $"writer {i}" }));
                return true;
            }
            catch (InconsistentStateException)
            {
                return false;
            }
        }));

        Assert.Equal(1, outcomes.Count(won => won));
    }

    [Fact]
    public async Task Clearing_keeps_versions_growing_so_an_old_etag_can_never_write_again()
    {
        var storage = Storage();
        var id = NewId();
        var holder = new GrainState<Note>(new Note { Text = "first" });
        await storage.WriteStateAsync("note", id, holder);
        var stale = new GrainState<Note>(new Note());
        await storage.ReadStateAsync("note", id, stale);

        await storage.ClearStateAsync("note", id, holder);
        holder.State.Text = "second";
        await storage.WriteStateAsync("note", id, holder);
        stale.State.Text = "stale";
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("note", id, stale));
        var read = new GrainState<Note>(new Note());
        await storage.ReadStateAsync("note", id, read);

        Assert.Equal("3", holder.ETag);
        Assert.True(read.RecordExists);
        Assert.Equal("second", read.State.Text);
    }

    [Fact]
    public async Task A_cleared_record_reads_as_absent_and_a_stale_clear_is_refused()
    {
        var storage = Storage();
        var id = NewId();
        var a = new GrainState<Note>(new Note { Text = "x" });
        await storage.WriteStateAsync("note", id, a);
        var b = new GrainState<Note>(new Note());
        await storage.ReadStateAsync("note", id, b);
        await storage.WriteStateAsync("note", id, a);

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync("note", id, b));
        await storage.ClearStateAsync("note", id, a);
        var read = new GrainState<Note>(new Note { Text = "junk" });
        await storage.ReadStateAsync("note", id, read);

        Assert.False(read.RecordExists);
        Assert.Equal("", read.State.Text);
        Assert.Equal(a.ETag, read.ETag);
    }

    [Fact]
    public async Task Services_sharing_a_database_do_not_see_each_others_state()
    {
        var id = NewId();
        await Storage("service-a").WriteStateAsync("note", id, new GrainState<Note>(new Note { Text = "a" }));

        var read = new GrainState<Note>(new Note());
        await Storage("service-b").ReadStateAsync("note", id, read);

        Assert.False(read.RecordExists);
    }

    [Fact]
    public async Task An_unreachable_database_is_reported_as_unavailable_after_retries()
    {
        await using var nowhere = NpgsqlDataSource.Create($"Host=127.0.0.1;Port={ServerProcess.FreePort()};Username=postgres;Timeout=2");
        var storage = Storage(db: nowhere, attempts: 3);

        var error = await Assert.ThrowsAsync<GrainStorageUnavailableException>(() =>
            storage.WriteStateAsync("note", NewId(), new GrainState<Note>(new Note())));

        Assert.Contains("after 3 attempts", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_write_during_a_database_restart_is_retried_and_lands_once()
    {
        var server = PostgresServer.StartNew();
        await using var db = NpgsqlDataSource.Create(server.CreateDatabase("restart"));
        await new PostgresMigrator(db, PostgresMigrator.Embedded).MigrateAsync();
        var storage = Storage(db: db, attempts: 30);
        var id = NewId();
        var state = new GrainState<Note>(new Note { Text = "before" });
        await storage.WriteStateAsync("note", id, state);

        server.Kill();
        state.State.Text = "during restart";
        var write = storage.WriteStateAsync("note", id, state);
        await Task.Delay(300);
        server.Start();
        await write;
        var read = new GrainState<Note>(new Note());
        await storage.ReadStateAsync("note", id, read);

        Assert.Equal("during restart", read.State.Text);
        Assert.Equal("2", read.ETag);
        server.Kill();
    }
}
