using System.Diagnostics;
using Npgsql;
using OrleansSocial.Grains.Storage;
using OrleansSocial.Grains.Users;
using OrleansSocial.Media;
using OrleansSocial.TestInfrastructure;

namespace OrleansSocial.Bench;

/// <summary>
/// <c>./build.sh bench export</c>: the archive of one account with 50,000 posts (a tenth of them edited), 50,000 likes,
/// 10,000 comments, 20,000 messages and 200 uploads of 64 KB, written by <see cref="DataArchive"/> (as a silo does)
/// against PostgreSQL and a media directory. Prints the time it takes and how far the managed heap grows over its
/// level before — the build streams, so that growth must not follow the account's size.
/// </summary>
internal static class ExportBenchmark
{
    private const int Posts = 50_000;
    private const int Likes = 50_000;
    private const int Comments = 10_000;
    private const int Messages = 20_000;
    private const int Uploads = 200;

    public static async Task<int> RunAsync()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("export_bench");
        await using var db = NpgsqlDataSource.Create(connectionString);
        await new PostgresMigrator(db, PostgresMigrator.Embedded).MigrateAsync();
        var blobs = Directory.CreateTempSubdirectory("export-bench-").FullName;
        var media = new LocalMediaStore(new MediaOptions { LocalPath = blobs },
            new MediaUrlSigner(() => ("k", new byte[32]), _ => new byte[32], TimeProvider.System, TimeSpan.FromMinutes(5)));
        var clock = Stopwatch.StartNew();
        var account = await SeedAsync(db, media);
        Console.Error.WriteLine($"[bench] seeded {Posts:N0} posts, {Likes:N0} likes, {Comments:N0} comments, {Messages:N0} messages, {Uploads} uploads in {clock.Elapsed.TotalSeconds:F1} s");

        var archive = new DataArchive(db, media);
        var path = Path.Combine(blobs, "archive.zip");
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var peak = baseline;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(false));
                await Task.Delay(10);
            }
        });
        clock.Restart();
        await using (var file = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous))
        {
            await archive.WriteAsync(account, file, CancellationToken.None);
        }

        var seconds = clock.Elapsed.TotalSeconds;
        await sampling.CancelAsync();
        await sampler;
        var sizeMb = new FileInfo(path).Length / 1048576.0;
        Directory.Delete(blobs, recursive: true);
        Console.WriteLine($"export-50k-posts-seconds: {seconds:F1}     # the whole archive, {sizeMb:F0} MB (target <= 60)");
        Console.WriteLine($"export-heap-growth-mb: {(peak - baseline) / 1048576.0:F1}     # managed heap over its level before, at most (target <= 64)");
        return 0;
    }

    private static async Task<long> SeedAsync(NpgsqlDataSource db, LocalMediaStore media)
    {
        await using var batch = db.CreateBatch();
        foreach (var sql in new[]
        {
            "INSERT INTO accounts (username, email, password_hash) VALUES ('exporter', 'exporter@example.org', 'x'), ('friend', 'friend@example.org', 'x')",
            $"""
            INSERT INTO posts (id, author_id, text, visibility, created_at)
            SELECT gen_random_uuid(), a.id, 'post ' || g || ' ' || repeat('words of a typical post ', 8), 'public', now() - make_interval(secs => g)
            FROM generate_series(1, {Posts}) g, (SELECT id FROM accounts WHERE username = 'exporter') a
            """,
            "INSERT INTO post_edits (post_id, text, edited_at) SELECT id, 'an earlier version of ' || left(text, 40), now() FROM posts WHERE random() < 0.1",
            $"""
            INSERT INTO posts (id, author_id, text, visibility)
            SELECT gen_random_uuid(), a.id, 'a post of the friend ' || g, 'public' FROM generate_series(1, {Likes}) g, (SELECT id FROM accounts WHERE username = 'friend') a
            """,
            """
            INSERT INTO likes (post_id, account_id)
            SELECT p.id, a.id FROM posts p, (SELECT id FROM accounts WHERE username = 'exporter') a WHERE p.author_id <> a.id
            """,
            $"""
            INSERT INTO comments (post_id, author_id, text)
            SELECT p.id, a.id, 'a comment ' || repeat('of some length ', 5)
            FROM (SELECT id FROM posts ORDER BY id LIMIT {Comments}) p, (SELECT id FROM accounts WHERE username = 'exporter') a
            """,
            "INSERT INTO conversations (id, kind, pair_key) SELECT gen_random_uuid(), 'direct', min(id) || ':' || max(id) FROM accounts",
            "INSERT INTO conversation_members (conversation_id, account_id) SELECT c.id, a.id FROM conversations c, accounts a",
            $"""
            INSERT INTO messages (conversation_id, seq, sender_id, client_id, text)
            SELECT c.id, g, CASE WHEN g % 2 = 0 THEN (SELECT min(id) FROM accounts) ELSE (SELECT max(id) FROM accounts) END, 'c' || g, 'message ' || g
            FROM generate_series(1, {Messages}) g, conversations c
            """,
        })
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(sql));
        }

        await batch.ExecuteNonQueryAsync();
        await using var read = db.CreateCommand("SELECT id FROM accounts WHERE username = 'exporter'");
        var account = (long)(await read.ExecuteScalarAsync())!;
        var bytes = new byte[64 * 1024];
        Random.Shared.NextBytes(bytes);
        for (var i = 0; i < Uploads; i++)
        {
            var key = MediaKeys.NewToken() + "/original.jpg";
            await media.PutAsync(key, new MemoryStream(bytes), "image/jpeg", CancellationToken.None);
            await using var insert = db.CreateCommand("""
                INSERT INTO media (id, account_id, type, status, token, original_key) VALUES (gen_random_uuid(), $1, 'image', 'ready', $2, $3)
                """);
            insert.Parameters.Add(new NpgsqlParameter { Value = account });
            insert.Parameters.Add(new NpgsqlParameter { Value = key[..22] });
            insert.Parameters.Add(new NpgsqlParameter { Value = key });
            await insert.ExecuteNonQueryAsync();
        }

        return account;
    }
}
