using System.Diagnostics;

namespace OrleansSocial.Host.Tests;

/// <summary>A host on a real port serving the built web client (web/dist), for a real browser.</summary>
public sealed class BrowserFactory : AccountsFactory
{
    public static readonly string Root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));

    public BrowserFactory()
    {
        UseKestrel(0);
        var shots = Path.Combine(Root, "artifacts", "screenshots");
        if (Directory.Exists(shots))
        {
            Directory.Delete(shots, recursive: true); // this run's screenshots, not an earlier one's
        }
    }
}

/// <summary>The web client driven in Debian's Chromium by playwright-core (web/e2e), against a real host and PostgreSQL.</summary>
public sealed class BrowserTests(BrowserFactory factory) : IClassFixture<BrowserFactory>
{
    private static readonly string Root = BrowserFactory.Root;

    private async Task RunAsync(string script)
    {
        factory.StartServer();
        // localhost: a secure context for the browser over plain HTTP, so the Secure refresh cookie is kept.
        var url = new UriBuilder(factory.ClientOptions.BaseAddress) { Host = "localhost" }.Uri.ToString();
        var shots = Path.Combine(Root, "artifacts", "screenshots");
        var info = new ProcessStartInfo("node") { WorkingDirectory = Path.Combine(Root, "web"), RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { script, url, shots })
        {
            info.ArgumentList.Add(argument);
        }

        using var browser = Process.Start(info)!;
        var output = browser.StandardOutput.ReadToEndAsync();
        var errors = browser.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await browser.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            browser.Kill(entireProcessTree: true);
            throw new TimeoutException("The browser run took more than 3 minutes: " + await errors);
        }

        Assert.True(browser.ExitCode == 0, await errors + await output);
        Assert.Equal("ok", (await output).Trim());
    }

    [Fact]
    public async Task A_person_signs_up_posts_likes_reloads_still_signed_in_and_signs_out_in_a_real_chromium()
    {
        await RunAsync("e2e/smoke.mjs");

        foreach (var screen in new[] { "sign-in", "sign-up", "home" })
        {
            foreach (var width in new[] { "desktop", "phone" })
            {
                Assert.True(new FileInfo(Path.Combine(Root, "artifacts", "screenshots", $"{screen}-{width}.png")).Length > 1000, $"{screen} at {width} width");
            }
        }
    }

    [Fact]
    public async Task One_person_follows_another_from_their_profile_and_sees_their_next_post_arrive_live_in_a_real_chromium()
    {
        await RunAsync("e2e/follow.mjs");

        Assert.True(File.Exists(Path.Combine(Root, "artifacts", "screenshots", "profile-phone.png")));
        Assert.True(File.Exists(Path.Combine(Root, "artifacts", "screenshots", "home-live-desktop.png")));
    }
}
