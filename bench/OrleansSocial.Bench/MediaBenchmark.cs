using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace OrleansSocial.Bench;

/// <summary>
/// <c>./build.sh bench media</c>, against one silo + PostgreSQL + the local media store (<see cref="FrontendBenchServer"/>
/// in its own process): the peak resident memory of the server while 20 uploads of a 12-megapixel JPEG arrive at once
/// and are processed; 2-megapixel JPEG uploads through the whole path (upload → processed → its URL served) for a
/// while; and the bytes per second the product's media route serves from the local store (public post media, with
/// their access check) against ASP.NET Core's bare static-file middleware over the same files in the same run.
/// </summary>
internal static class MediaBenchmark
{
    private const int UploadConcurrency = 8;
    private const int LargeUploads = 20;
    private static readonly TimeSpan UploadWarmup = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan UploadMeasure = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan ServeWarmup = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan ServeMeasure = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync()
    {
        var store = Directory.CreateTempSubdirectory("bench-media-").FullName;
        var temp = Directory.CreateTempSubdirectory("bench-uploads-").FullName;
        try
        {
            using var server = await BenchServerProcess.StartAsync("media_bench", new Dictionary<string, string>
            {
                ["Media__LocalPath"] = store,
                ["Media__TempDirectory"] = temp,
                ["Api__RateLimit__UploadsPerMinutePerUser"] = "100000000",
                ["Bench__StaticRoot"] = store,
            });
            var users = await server.CreateUsersAsync(UploadConcurrency);

            var (peakMb, idleMb, largeSeconds) = await LargeUploadsAsync(server, users.Tokens[0]);
            Console.Error.WriteLine($"[bench] {LargeUploads} uploads of 12 MP processed in {largeSeconds:F1} s; resident {idleMb:F0} MB before, {peakMb:F0} MB at most");

            var (perSecond, p50, p99, processed) = await PhotoUploadsAsync(server, users);
            Console.Error.WriteLine($"[bench] {processed.Count} photos uploaded and served");

            var (mediaBytes, staticBytes) = await ServeAsync(server, processed);

            Console.WriteLine($"image-uploads-per-sec: {perSecond:F1}     # 2 MP JPEG, upload -> processed -> URL served, {UploadConcurrency} clients (target >= 20)");
            Console.WriteLine($"upload-p50-ms: {p50:F0}");
            Console.WriteLine($"upload-p99-ms: {p99:F0}");
            Console.WriteLine($"media-bytes-served-per-sec: {mediaBytes / 1e6:F1} MB     # public post media from the local store");
            Console.WriteLine($"static-bytes-served-per-sec: {staticBytes / 1e6:F1} MB     # the same files, bare static-file middleware");
            Console.WriteLine($"media-serve-ratio: {mediaBytes / staticBytes:F2}     # (target >= 0.7)");
            Console.WriteLine($"upload-peak-mb: {peakMb:F0}     # resident, {LargeUploads} concurrent 12 MP uploads (target <= 600)");
            return 0;
        }
        finally
        {
            Directory.Delete(store, recursive: true);
            Directory.Delete(temp, recursive: true);
        }
    }

    // 20 uploads of one 12 MP photo at once, then polled until each is processed; the server's RSS sampled all along.
    private static async Task<(double PeakMb, double IdleMb, double Seconds)> LargeUploadsAsync(BenchServerProcess server, string token)
    {
        var photo = Photo(4000, 3000, seed: 12);
        var idle = server.RssMb();
        var peak = idle;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, server.RssMb());
                await Task.Delay(10);
            }
        });
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, LargeUploads).Select(async _ =>
        {
            var media = await UploadAsync(server, token, photo);
            await ProcessedAsync(server, token, media);
        }));
        var seconds = clock.Elapsed.TotalSeconds;
        await sampling.CancelAsync();
        await sampler;
        return (Math.Max(peak, server.RssMb()), idle, seconds);
    }

    // Clients each upload a 2 MP photo, wait for it to be processed and fetch its URL, again and again.
    private static async Task<(double PerSecond, double P50, double P99, List<JsonElement> Processed)> PhotoUploadsAsync(BenchServerProcess server, BenchUsers users)
    {
        var photos = Enumerable.Range(0, 16).Select(i => Photo(1732, 1155, seed: i)).ToArray();
        Console.Error.WriteLine($"[bench] 2 MP photos of {photos.Average(p => p.Length) / 1024:F0} KB on average");
        var processed = new ConcurrentBag<JsonElement>();
        async Task<List<double>> RunAsync(TimeSpan duration)
        {
            var latencies = new ConcurrentBag<double>();
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, UploadConcurrency).Select(worker => Task.Run(async () =>
            {
                for (var i = worker; clock.Elapsed < duration; i += UploadConcurrency)
                {
                    var started = Stopwatch.GetTimestamp();
                    var media = await UploadAsync(server, users.Tokens[worker], photos[i % photos.Length]);
                    media = await ProcessedAsync(server, users.Tokens[worker], media);
                    using var served = await server.Http.GetAsync(new Uri(server.Api, media.GetProperty("url").GetString()!));
                    served.EnsureSuccessStatusCode();
                    await served.Content.LoadIntoBufferAsync();
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    processed.Add(media);
                }
            })));
            return [.. latencies];
        }

        await RunAsync(UploadWarmup);
        var clock = Stopwatch.StartNew();
        var measured = await RunAsync(UploadMeasure);
        var perSecond = measured.Count / clock.Elapsed.TotalSeconds;
        measured.Sort();
        return (perSecond, MixedBenchmark.Percentile(measured, 0.50), MixedBenchmark.Percentile(measured, 0.99), [.. processed]);
    }

    // Public posts carrying 40 of the uploads; their media (original and small) read through the product's route and the bare one.
    private static async Task<(double Media, double Static)> ServeAsync(BenchServerProcess server, List<JsonElement> uploads)
    {
        var urls = new List<string>();
        foreach (var owned in uploads.GroupBy(m => m.GetProperty("bench_token").GetString()!).Take(4))
        {
            // A post takes only its author's own uploads: each uploader posts ten of theirs, one post each.
            foreach (var media in owned.Take(10))
            {
                using var created = await server.Http.SendAsync(server.Authorized(HttpMethod.Post, "/api/v1/posts", media.GetProperty("bench_token").GetString()!,
                    new { text = "benchmark photo", media_ids = new[] { media.GetProperty("id").GetString() } }));
                created.EnsureSuccessStatusCode();
                var post = await created.Content.ReadFromJsonAsync<JsonElement>();
                var attachment = post.GetProperty("media_attachments")[0];
                urls.Add(attachment.GetProperty("url").GetString()!);
                urls.Add(attachment.GetProperty("preview_url").GetString()!);
            }
        }

        if (urls.Any(u => u.Contains('?', StringComparison.Ordinal)))
        {
            throw new InvalidOperationException("Public post media should have stable URLs.");
        }

        var sizes = new long[urls.Count];
        for (var i = 0; i < urls.Count; i++)
        {
            using var response = await server.Http.GetAsync(new Uri(server.Api, urls[i]));
            response.EnsureSuccessStatusCode();
            sizes[i] = (await response.Content.ReadAsByteArrayAsync()).Length;
        }

        // The same sequence of files on both sides: bytes per second = requests per second × the mean size.
        HttpRequestMessage Static(int i) => new(HttpMethod.Get, new Uri(server.Hello, "/static" + urls[i % urls.Count]["/media".Length..]));
        HttpRequestMessage Media(int i) => new(HttpMethod.Get, new Uri(server.Api, urls[i % urls.Count]));
        var (staticRps, mediaRps) = await FrontendBenchmark.CompareRpsAsync(server.Http, Static, Media, ServeWarmup, ServeMeasure);
        var mean = sizes.Average();
        return (mediaRps * mean, staticRps * mean);
    }

    internal static async Task<JsonElement> UploadAsync(BenchServerProcess server, string token, byte[] photo)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(photo);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        form.Add(file, "file", "photo.jpg");
        form.Add(new StringContent("a benchmark photo"), "description");
        using var request = server.Authorized(HttpMethod.Post, "/api/v1/media", token);
        request.Content = form;
        using var response = await server.Http.SendAsync(request);
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Accepted))
        {
            throw new InvalidOperationException($"An upload answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        return WithToken(await response.Content.ReadFromJsonAsync<JsonElement>(), token);
    }

    // Polls GET /api/v1/media/{id} until the upload is processed (206 while it is).
    internal static async Task<JsonElement> ProcessedAsync(BenchServerProcess server, string token, JsonElement media)
    {
        var deadline = Stopwatch.StartNew();
        while (media.GetProperty("url").ValueKind == JsonValueKind.Null)
        {
            if (deadline.Elapsed > TimeSpan.FromMinutes(5))
            {
                throw new TimeoutException("An upload was not processed within five minutes.");
            }

            await Task.Delay(50);
            using var polled = await server.Http.SendAsync(server.Authorized(HttpMethod.Get, $"/api/v1/media/{media.GetProperty("id").GetString()}", token));
            if (polled.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.PartialContent))
            {
                throw new InvalidOperationException($"Polling an upload answered {(int)polled.StatusCode}: {await polled.Content.ReadAsStringAsync()}");
            }

            media = WithToken(await polled.Content.ReadFromJsonAsync<JsonElement>(), token);
        }

        return media;
    }

    // The attachment with the uploader's token beside it (so the right account posts it later).
    private static JsonElement WithToken(JsonElement media, string token)
    {
        var copy = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(media.GetRawText())!;
        copy["bench_token"] = JsonSerializer.SerializeToElement(token);
        return JsonSerializer.SerializeToElement(copy);
    }

    // A photograph-like JPEG (smooth shapes and fine grain, quality 90) of the given size, different per seed.
    internal static byte[] Photo(int width, int height, int seed)
    {
        var random = new Random(seed);
        using var image = new Image<Rgb24>(width, height);
        var (fx, fy) = (random.NextDouble() * 0.02 + 0.002, random.NextDouble() * 0.02 + 0.002);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++)
                {
                    var grain = random.Next(-12, 13);
                    row[x] = new Rgb24(
                        (byte)Math.Clamp(128 + (100 * Math.Sin(x * fx)) + grain, 0, 255),
                        (byte)Math.Clamp(128 + (100 * Math.Cos(y * fy)) + grain, 0, 255),
                        (byte)Math.Clamp(128 + (100 * Math.Sin((x + y) * fx * 0.5)) + grain, 0, 255));
                }
            }
        });
        using var output = new MemoryStream();
        image.SaveAsJpeg(output, new JpegEncoder { Quality = 90 });
        return output.ToArray();
    }
}
