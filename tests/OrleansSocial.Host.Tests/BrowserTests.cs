using System.Diagnostics;
using OrleansSocial.TestInfrastructure;

namespace OrleansSocial.Host.Tests;

/// <summary>A host on a real port serving the built web client (web/dist), for a real browser.</summary>
public sealed class BrowserFactory : AccountsFactory
{
    public static readonly string Root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));

    // The HTTP port chosen first, so the page's origin can be a passkey origin (WebAuthn binds ceremonies to it); the
    // silo's ports in the same call, so none of the three can be handed out twice.
    private readonly int[] _ports = ServerProcess.FreePorts(3);

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Auth:Passkeys:Origins:0"] = $"http://localhost:{_ports[0]}",
        ["Silo:Port"] = _ports[1].ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Silo:GatewayPort"] = _ports[2].ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public BrowserFactory()
    {
        UseKestrel(_ports[0]);
        var shots = Path.Combine(Root, "artifacts", "screenshots");
        if (Directory.Exists(shots))
        {
            Directory.Delete(shots, recursive: true); // this run's screenshots, not an earlier one's
        }
    }
}

/// <summary>Runs a script of web/e2e in Debian's Chromium (playwright-core) against hosts on real ports.</summary>
internal static class BrowserRun
{
    public static string Shots => Path.Combine(BrowserFactory.Root, "artifacts", "screenshots");

    /// <summary>Runs <paramref name="script"/> against <paramref name="hosts"/>; returns the screens it scanned for accessibility.</summary>
    /// <remarks>
    /// A script may ask the test for something only it can see (a line <c>ask &lt;question&gt;</c> on its output):
    /// <paramref name="answer"/> gives the line written back to its input.
    /// </remarks>
    public static async Task<string[]> RunAsync(string script, IReadOnlyList<Uri> hosts, IReadOnlyDictionary<string, string>? environment = null,
        Func<string, Task<string>>? answer = null)
    {
        // localhost: a secure context for the browser over plain HTTP, so the Secure refresh cookie is kept.
        var urls = hosts.Select(h => new UriBuilder(h) { Host = "localhost" }.Uri.ToString()).ToArray();
        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = Path.Combine(BrowserFactory.Root, "web"), RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
        };
        foreach (var argument in new[] { script, urls[0], Shots }.Concat(urls.Skip(1)))
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var browser = Process.Start(info)!;
        var errors = browser.StandardError.ReadToEndAsync();
        var output = Task.Run(async () =>
        {
            var last = "";
            while (await browser.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("ask ", StringComparison.Ordinal) && answer is not null)
                {
                    await browser.StandardInput.WriteLineAsync(await answer(line[4..]));
                    await browser.StandardInput.FlushAsync();
                }
                else
                {
                    last = line;
                }
            }

            return last;
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        try
        {
            await browser.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            browser.Kill(entireProcessTree: true);
            throw new TimeoutException("The browser run took more than 4 minutes: " + await errors);
        }

        Assert.True(browser.ExitCode == 0, await errors + await output);
        var outcome = (await output).Trim().Split(' ', 2);
        Assert.Equal("ok", outcome[0]);
        return outcome.Length > 1 ? outcome[1].Split(',') : [];
    }

    public static void AssertScreenshots(params string[] screens)
    {
        foreach (var screen in screens)
        {
            foreach (var width in new[] { "desktop", "phone" })
            {
                Assert.True(new FileInfo(Path.Combine(Shots, $"{screen}-{width}.png")).Length > 1000, $"{screen} at {width} width");
            }
        }
    }
}

/// <summary>The web client driven in Debian's Chromium by playwright-core (web/e2e), against a real host and PostgreSQL.</summary>
public sealed class BrowserTests(BrowserFactory factory) : IClassFixture<BrowserFactory>
{
    private Task<string[]> RunAsync(string script)
    {
        factory.StartServer();
        return BrowserRun.RunAsync(script, [factory.ClientOptions.BaseAddress], answer: AnswerAsync);
    }

    // "verification-link <email>": the link of the newest verification email to that address in the development outbox.
    private async Task<string> AnswerAsync(string question)
    {
        var (what, email) = (question.Split(' ')[0], question.Split(' ')[1]);
        Assert.Equal("verification-link", what);
        await using var db = Npgsql.NpgsqlDataSource.Create(factory.ConnectionString);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            await using var command = db.CreateCommand("SELECT body FROM email_outbox WHERE to_address = $1 ORDER BY id DESC LIMIT 1");
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = email });
            if (await command.ExecuteScalarAsync() is string body
                && System.Text.RegularExpressions.Regex.Match(body, @"https?://\S+/verify-email\?token=\S+") is { Success: true } link)
            {
                return link.Value;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"No verification email to {email}.");
    }

    [Fact]
    public async Task A_person_signs_up_posts_likes_reloads_still_signed_in_and_signs_out_in_a_real_chromium_and_each_screen_passes_the_accessibility_scan()
    {
        var scanned = await RunAsync("e2e/smoke.mjs");

        Assert.Equal(["sign-in", "sign-up", "home"], scanned);
        BrowserRun.AssertScreenshots(scanned);
    }

    [Fact]
    public async Task A_person_adds_a_passkey_in_settings_and_signs_in_with_it_alone_in_a_real_chromium()
    {
        var scanned = await RunAsync("e2e/passkey.mjs");

        Assert.Equal(["passkeys", "signed-in-with-passkey"], scanned);
        BrowserRun.AssertScreenshots(scanned);
    }

    [Fact]
    public async Task One_person_follows_another_sees_their_next_post_arrive_live_then_mutes_and_blocks_them_in_a_real_chromium()
    {
        var scanned = await RunAsync("e2e/follow.mjs");

        Assert.Equal(["profile", "home-live", "blocked", "settings-blocked"], scanned);
        BrowserRun.AssertScreenshots(scanned);
    }
}

/// <summary>
/// Two people in two browsers, each on its own host of a two-silo cluster (both silo and front end, sharing PostgreSQL,
/// Redis and the media folder): every real-time path crosses silos and front ends.
/// </summary>
public sealed class TwoSiloBrowserTests
{
    [Fact]
    public async Task Two_people_on_two_silos_use_every_screen_against_one_another_in_a_real_chromium_with_no_serious_accessibility_violations()
    {
        var media = Directory.CreateTempSubdirectory("e2e-media");
        var image = Path.Combine(media.FullName, "square.png");
        await File.WriteAllBytesAsync(image, TestMedia.Png(640, 480));
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:Postgres"] = PostgresServer.Instance.CreateDatabase("e2e"),
            ["ConnectionStrings:Redis"] = RedisServer.Instance.Configuration,
            ["Cluster:ClusterId"] = "e2e-" + Guid.NewGuid().ToString("N")[..8],
            ["Auth:SigningKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
            ["Accounts:RequireVerifiedEmail"] = "false", // people post as soon as they sign up (VerifiedEmailTests covers the rule)
            ["Media:LocalPath"] = Path.Combine(media.FullName, "store"),
            ["Media:TempDirectory"] = Path.Combine(media.FullName, "temp"),
            ["Web:Root"] = Path.Combine(BrowserFactory.Root, "web", "dist"),
        };
        try
        {
            await using var first = await HostProcess.StartAsync("all", settings);
            await using var second = await HostProcess.StartAsync("all", settings);

            var scanned = await BrowserRun.RunAsync("e2e/social.mjs", [first.BaseAddress, second.BaseAddress], new Dictionary<string, string> { ["E2E_IMAGE"] = image });

            string[] screens = ["settings", "edit-profile", "own-profile", "private-profile", "follow-requests", "home-with-picture", "post-detail", "notifications",
                "conversations", "thread", "story", "story-viewers", "search", "hashtag", "explore", "bookmarks", "signed-out"];
            Assert.Equal(screens, scanned);
            BrowserRun.AssertScreenshots(screens);
        }
        finally
        {
            media.Delete(recursive: true);
        }
    }
}
