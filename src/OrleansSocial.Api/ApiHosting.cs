using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using OrleansSocial.Storage;
using OpenTelemetry.Metrics;
using OrleansSocial.Api.Accounts;
using OrleansSocial.Api.Analytics;
using OrleansSocial.Api.Email;
using OrleansSocial.Api.Infrastructure;
using OrleansSocial.Api.Realtime;
using OrleansSocial.Api.Notifications;
using OrleansSocial.Api.Posts;
using OrleansSocial.Api.Stories;
using OrleansSocial.Api.Moderation;
using OrleansSocial.Api.Timelines;
using OrleansSocial.Api.Conversations;
using OrleansSocial.Api.Relationships;
using OrleansSocial.Api.Media;

namespace OrleansSocial.Api;

/// <summary>Settings of the HTTP front end (section <c>Api</c>).</summary>
public sealed class ApiOptions
{
    /// <summary>Largest request body accepted, in bytes. Default 1 MiB (media uploads get their own limit).</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Origins allowed by CORS; empty allows none.</summary>
    public string[] CorsOrigins { get; set; } = [];

    /// <summary>
    /// Networks (CIDR, e.g. <c>10.0.0.0/8</c>) whose clients may read <c>/metrics</c>; others get 404. Default: this
    /// machine only (<c>127.0.0.0/8</c>, <c>::1/128</c>). List the Prometheus server's network in production (the list
    /// replaces the default).
    /// </summary>
    public string[] MetricsAllowedNetworks { get; set; } = [];

    /// <summary>When set, <c>/metrics</c> answers only on this port (a listener of its own, e.g. <c>9090</c>, not published).</summary>
    public int? MetricsPort { get; set; }
}

/// <summary>Wires the front end into an ASP.NET Core application.</summary>
public static class ApiHosting
{
    /// <summary>Health checks with this tag decide <c>/health/ready</c>.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Service key of the process's PostgreSQL data source (accounts, sessions, readiness; shared with a co-hosted silo).</summary>
    public const string PostgresKey = OrleansSocial.Storage.PostgresConnections.ServiceKey;

    /// <summary>
    /// Meters exported at <c>/metrics</c> besides ASP.NET Core's and the .NET runtime's: ours (<c>OrleansSocial.*</c>)
    /// and Orleans' own (<c>Microsoft.Orleans</c>: activations, messaging, grain calls, storage, streams, membership).
    /// </summary>
    public static readonly string[] ExportedMeters = ["OrleansSocial.*", "Microsoft.Orleans", "Microsoft.AspNetCore.*"];

    /// <summary>
    /// ASP.NET Core meters that record several measurements on every request for figures the request duration
    /// (<c>http_server_request_duration_seconds</c> by route and status) already gives: authentication and authorization
    /// outcomes, route matches, memory-pool blocks. Recording them cost about 3 % of an API request's CPU; dropped by a
    /// view, their instruments are never enabled, so ASP.NET Core skips the measurements.
    /// </summary>
    public static readonly string[] DroppedMeters =
        ["Microsoft.AspNetCore.Authentication", "Microsoft.AspNetCore.Authorization", "Microsoft.AspNetCore.Routing", "Microsoft.AspNetCore.MemoryPool"];

    /// <summary>
    /// Per-request instruments of the rate limiter dropped for the same reason: how long each request held its permit and
    /// how many hold one now. Its decisions (<c>aspnetcore_rate_limiting_requests_total</c> by result) are kept.
    /// </summary>
    public static readonly string[] DroppedInstruments = ["aspnetcore.rate_limiting.request_lease.duration", "aspnetcore.rate_limiting.active_request_leases"];

    private static MetricStreamConfiguration? DropPerRequestDetail(System.Diagnostics.Metrics.Instrument instrument) =>
        DroppedMeters.Contains(instrument.Meter.Name, StringComparer.Ordinal) || DroppedInstruments.Contains(instrument.Name, StringComparer.Ordinal)
            ? MetricStreamConfiguration.Drop
            : null;

    public static WebApplicationBuilder AddOrleansSocialApi(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Configuration.GetSection("Api").Get<ApiOptions>() ?? new ApiOptions();
        builder.Services.Configure<ApiOptions>(builder.Configuration.GetSection("Api"));
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o => o.IncludeScopes = true);
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
            context.ProblemDetails.Extensions["traceId"] = context.HttpContext.TraceIdentifier);
        builder.Services.Configure<KestrelServerOptions>(o => o.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes);

        // Binding errors throw (in every environment) so BadRequestExceptionHandler can say what was wrong.
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        builder.Services.AddExceptionHandler<UnavailableDependencyHandler>();
        builder.Services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow;
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default);
        });
        builder.Services.AddHealthChecks();
        builder.Services.AddSingleton(builder.Configuration.GetSection("Posts").Get<OrleansSocial.Posts.PostOptions>() ?? new OrleansSocial.Posts.PostOptions());
        builder.Services.AddSingleton(builder.Configuration.GetSection("Timelines").Get<OrleansSocial.Timelines.TimelineOptions>() ?? new OrleansSocial.Timelines.TimelineOptions());
        builder.Services.AddSingleton(builder.Configuration.GetSection("Stories").Get<OrleansSocial.Stories.StoryOptions>() ?? new OrleansSocial.Stories.StoryOptions());
        builder.Services.AddSingleton(builder.Configuration.GetSection("Analytics").Get<OrleansSocial.Analytics.AnalyticsOptions>() ?? new OrleansSocial.Analytics.AnalyticsOptions());
        builder.Services.AddSingleton(builder.Configuration.GetSection("Accounts:Export").Get<OrleansSocial.Users.ExportOptions>() ?? new OrleansSocial.Users.ExportOptions());
        builder.Services.AddSingleton(builder.Configuration.GetSection("Accounts:Deletion").Get<OrleansSocial.Users.ErasureOptions>() ?? new OrleansSocial.Users.ErasureOptions());
        builder.Services.AddSingleton(builder.Configuration.GetSection("Moderation").Get<OrleansSocial.Moderation.ModerationOptions>() ?? new OrleansSocial.Moderation.ModerationOptions());
        builder.Services.AddSingleton(builder.Configuration.GetSection("Conversations").Get<OrleansSocial.Conversations.ConversationOptions>() ?? new OrleansSocial.Conversations.ConversationOptions());
        AddAccounts(builder);
        builder.Services.AddOrleansSocialRateLimiting(builder.Configuration.GetSection("Api:RateLimit").Get<RateLimitOptions>() ?? new RateLimitOptions());
        builder.Services.AddOpenApi("v1", o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "OrleansSocial API";
            document.Info.Version = "v1";
            document.Info.Description = "REST API of OrleansSocial. Errors are RFC 7807 problem documents; lists use cursor pagination.";
            // The scraping endpoint is OpenTelemetry's middleware, not a minimal API: the document lists it by hand.
            document.Paths["/metrics"] = new Microsoft.OpenApi.OpenApiPathItem
            {
                Operations = new Dictionary<HttpMethod, Microsoft.OpenApi.OpenApiOperation>
                {
                    [HttpMethod.Get] = new()
                    {
                        OperationId = "Metrics",
                        Summary = "Prometheus text exposition of Orleans', ASP.NET Core's, the runtime's and the product's meters (for clients of Api:MetricsAllowedNetworks only; 404 for others).",
                        Responses = new Microsoft.OpenApi.OpenApiResponses
                        {
                            ["200"] = new Microsoft.OpenApi.OpenApiResponse { Description = "Prometheus text format 0.0.4 (or OpenMetrics when asked for)." },
                        },
                    },
                },
            };
            return Task.CompletedTask;
        }));
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(ExportedMeters)
            .AddAspNetCoreInstrumentation()
            .AddRuntimeInstrumentation()
            .AddView(DropPerRequestDetail)
            // Prometheus scrapes seldom (every 15 s or more): each scrape gets the figures of that moment.
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteOptions>(o =>
            o.SetParameterPolicy<OrleansSocial.Api.Web.WebClient.ClientRoute>(OrleansSocial.Api.Web.WebClient.ClientRoute.Name));
        builder.Services.AddCors(cors => cors.AddDefaultPolicy(policy =>
            policy.WithOrigins(options.CorsOrigins).AllowAnyHeader().AllowAnyMethod().AllowCredentials()));
        return builder;
    }

    private static void AddAccounts(WebApplicationBuilder builder)
    {
        var auth = builder.Configuration.GetSection("Auth").Get<AuthOptions>() ?? new AuthOptions();
        builder.Services.AddSingleton(auth);
        builder.Services.AddSingleton(builder.Configuration.GetSection("Accounts").Get<AccountOptions>() ?? new AccountOptions());
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new TokenService(auth, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<IPasswordHasher<Account>, PasswordHasher<Account>>();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<TokenService, TimeProvider, IServiceProvider>((o, tokens, time, services) =>
        {
            var revocations = services.GetService<SessionRevocations>();
            o.MapInboundClaims = false;
            o.SaveToken = false; // nothing reads the token back from the authentication properties: don't copy it there per request
            o.TokenHandlers.Clear();
            o.TokenHandlers.Add(new CachingTokenHandler(time, tokens.Keys) { MapInboundClaims = false });
            o.TokenValidationParameters = tokens.ValidationParameters;

            // Browsers cannot set headers on WebSocket requests: the hub also takes the token from the query string.
            o.Events = new JwtBearerEvents
            {
                OnMessageReceived = context =>
                {
                    if (context.Request.Path.StartsWithSegments("/hubs") && context.Request.Query["access_token"] is { Count: 1 } token)
                    {
                        context.Token = token[0];
                    }

                    return Task.CompletedTask;
                },

                // A signed-out session's access tokens stop working before they expire (SessionRevocations).
                OnTokenValidated = context =>
                {
                    if (revocations is { IsEmpty: false } && context.Principal?.FindFirst("sid")?.Value is { } sid && Guid.TryParseExact(sid, "N", out var session)
                        && revocations.IsRevoked(session))
                    {
                        context.Fail("The session is signed out.");
                    }

                    return Task.CompletedTask;
                },
            };
        });
        builder.Services.AddAuthorization();
        builder.Services.AddSignalR(o =>
        {
            o.KeepAliveInterval = TimeSpan.FromSeconds(15);
            o.ClientTimeoutInterval = TimeSpan.FromSeconds(30);
        }).AddJsonProtocol(o => o.PayloadSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        builder.Services.AddSingleton<ConnectionRelay>();
        builder.Services.AddSingleton(builder.Configuration.GetSection("Presence").Get<PresenceOptions>() ?? new PresenceOptions());
        builder.Services.AddSingleton<PresenceReporter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PresenceReporter>());
        var postgres = builder.Configuration.GetConnectionString("Postgres");
        if (!string.IsNullOrWhiteSpace(postgres))
        {
            builder.Services.AddPostgresDataSource(postgres);
            builder.Services.AddSingleton(sp => new AccountStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey)));
            builder.Services.AddSingleton(sp => ActivatorUtilities.CreateInstance<SessionRevocations>(sp, sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey)));
            builder.Services.AddHostedService(sp => sp.GetRequiredService<SessionRevocations>());
            builder.Services.AddSingleton(sp => new SessionStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey), sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<SessionRevocations>()));
            builder.Services.AddSingleton(sp => new LoginThrottle(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey), auth, sp.GetRequiredService<TimeProvider>()));
            builder.Services.AddSingleton(sp => new EmailTokenStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey), sp.GetRequiredService<TimeProvider>()));

            // Data Protection's keys in PostgreSQL: every process of the cluster protects and unprotects with the same ring.
            Microsoft.AspNetCore.DataProtection.DataProtectionBuilderExtensions.SetApplicationName(builder.Services.AddDataProtection(), "OrleansSocial");
            builder.Services.AddOptions<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>()
                .Configure<IServiceProvider>((o, sp) => o.XmlRepository = new PostgresXmlRepository(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey)));
            builder.Services.AddSingleton(sp => new TwoFactorStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey),
                sp.GetRequiredService<Microsoft.AspNetCore.DataProtection.IDataProtectionProvider>(), sp.GetRequiredService<TimeProvider>()));
            var passkeys = builder.Configuration.GetSection("Auth:Passkeys").Get<PasskeyOptions>() ?? new PasskeyOptions();
            builder.Services.AddSingleton(passkeys);
            builder.Services.AddSingleton<Fido2NetLib.IFido2>(new Fido2NetLib.Fido2(new Fido2NetLib.Fido2Configuration
            {
                RPID = passkeys.RelyingPartyId,
                RPName = passkeys.RelyingPartyName,
                Origins = new HashSet<string>(passkeys.Origins, StringComparer.Ordinal),
                Timeout = (uint)passkeys.CeremonyLifetime.TotalMilliseconds,
            }, metadataService: null));
            builder.Services.AddSingleton(sp => new PasskeyStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey), passkeys, sp.GetRequiredService<TimeProvider>()));
            AddEmail(builder);
            builder.Services.AddSingleton(sp => new SecurityAlerts(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey), sp.GetRequiredService<IGrainFactory>(),
                sp.GetRequiredService<OrleansSocial.Api.Email.AccountMail>(), sp.GetRequiredService<OrleansSocial.Api.Email.EmailQueue>()));
            AddMedia(builder);
            builder.Services.AddSingleton(builder.Configuration.GetSection("Auth:Admin").Get<AdminOptions>() ?? new AdminOptions());
            builder.Services.AddHostedService<AdminBootstrap>();
        }
    }

    // Uploads are checked and processed here, in the front end that received them; blobs go to the configured store.
    private static void AddMedia(WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection("Media").Get<OrleansSocial.Media.MediaOptions>() ?? new OrleansSocial.Media.MediaOptions();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(sp => new OrleansSocial.Media.MediaRepository(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey)));
        builder.Services.AddSingleton<OrleansSocial.Media.ImageProcessor>();
        builder.Services.AddSingleton<OrleansSocial.Media.VideoProcessor>();
        builder.Services.AddSingleton<Media.MediaAccessCache>();
        // Restricted media URLs are signed with keys derived from the access-token ring every front end shares.
        builder.Services.AddSingleton(sp =>
        {
            var ring = sp.GetRequiredService<TokenService>().Keys;
            return new OrleansSocial.Media.MediaUrlSigner(() => ring.Current is var key ? (key.KeyId, key.Key) : default,
                kid => ring.Resolve(kid).OfType<Microsoft.IdentityModel.Tokens.SymmetricSecurityKey>().FirstOrDefault()?.Key,
                sp.GetRequiredService<TimeProvider>(), options.SignedUrlLifetime);
        });
        builder.Services.AddSingleton<OrleansSocial.Media.IMediaStore>(sp => options.Store.Equals("s3", StringComparison.OrdinalIgnoreCase)
            ? new OrleansSocial.Media.S3MediaStore(options, sp.GetRequiredService<TimeProvider>())
            : new OrleansSocial.Media.LocalMediaStore(options, sp.GetRequiredService<OrleansSocial.Media.MediaUrlSigner>(), options.PublicBaseUrl));
        builder.Services.AddSingleton<OrleansSocial.Media.MediaService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OrleansSocial.Media.MediaService>());
        builder.Services.AddSingleton<OrleansSocial.Media.MediaSweeper>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OrleansSocial.Media.MediaSweeper>());
        builder.Services.AddHostedService<Media.MediaStoreStartup>();
    }

    private static void AddEmail(WebApplicationBuilder builder)
    {
        var email = builder.Configuration.GetSection("Email").Get<EmailOptions>() ?? new EmailOptions();
        builder.Services.AddSingleton(email);
        builder.Services.AddSingleton(new AccountMail(email));
        builder.Services.TryAddSingleton<IEmailSender>(sp => string.IsNullOrWhiteSpace(email.Smtp.Host)
            ? ActivatorUtilities.CreateInstance<OutboxEmailSender>(sp, sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey))
            : new SmtpEmailSender(email));
        builder.Services.AddSingleton<EmailQueue>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EmailQueue>());
    }

    /// <summary>Middleware and the endpoints every role serves: health and metrics.</summary>
    public static WebApplication UseOrleansSocialApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        if (app.Services.GetService<OrleansSocial.Media.IMediaStore>() is { } store)
        {
            // Media URLs in responses are made by this front end's store (and signed with its keys).
            OrleansSocial.Media.MediaLinks.Use(store);
            app.Use((context, next) =>
            {
                OrleansSocial.Media.MediaLinks.Current = store;
                return next(context);
            });
        }

        app.Use(SecurityHeadersAsync);
        OrleansSocial.Api.Web.WebClient.UseWebClient(app);
        app.UseCors();
        app.UseAuthentication();
        app.UseAppealScope();
        app.UseAuthorization();
        app.UseRateLimiter();

        app.MapOpenApi("/openapi/{documentName}.json");
        // Swagger UI matches each request's path against its routes: only requests under /docs reach it.
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/docs"), docs => docs.UseSwaggerUI(ui =>
        {
            ui.RoutePrefix = "docs";
            ui.SwaggerEndpoint("/openapi/v1.json", "OrleansSocial API v1");
            ui.DocumentTitle = "OrleansSocial API";
        }));

        app.MapGet("/health/live", () => TypedResults.Ok(new HealthResponse("live", [])))
            .WithName("Live").WithTags("Health").WithSummary("The process is up.")
            .Produces<HealthResponse>();
        app.MapGet("/health/ready", ReadyAsync).WithName("Ready").WithTags("Health")
            .WithSummary("The process can serve: its silo is Active (or a silo is, for a front end) and its databases answer; 200 with status degraded while its fan-out lags.")
            .Produces<HealthResponse>().Produces<HealthResponse>(StatusCodes.Status503ServiceUnavailable);
        // Not public: only clients from Api:MetricsAllowedNetworks (default this machine), on Api:MetricsPort when set.
        var apiOptions = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ApiOptions>>().Value;
        var allowed = (apiOptions.MetricsAllowedNetworks is { Length: > 0 } listed ? listed : ["127.0.0.0/8", "::1/128"]).Select(System.Net.IPNetwork.Parse).ToArray();
        var metrics = app.MapPrometheusScrapingEndpoint("/metrics", meterProvider: null, configureBranchedPipeline: branch => branch.Use((HttpContext http, RequestDelegate next) =>
                http.Connection.RemoteIpAddress is { } remote && allowed.Any(n => n.Contains(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote))
                    ? next(http)
                    : Results.NotFound().ExecuteAsync(http)), optionsName: null)
            .WithName("Metrics").WithTags("Health")
            .WithSummary("Prometheus text exposition of the runtime and HTTP meters (for clients of Api:MetricsAllowedNetworks only).");
        if (apiOptions.MetricsPort is { } port)
        {
            metrics.RequireHost($"*:{port}");
        }

        app.MapHub<EventsHub>("/hubs/events");
        if (app.Services.GetService<OrleansSocial.Media.IMediaStore>() is not null)
        {
            app.MapMediaFiles();
        }

        // Accounts live in PostgreSQL: without it (the in-memory development mode) there are none to serve.
        var api = app.MapGroup("/api/v1").CheckClientText();
        if (app.Services.GetService<AccountStore>() is not null)
        {
            api.MapAccountEndpoints().MapSessionEndpoints().MapPasswordEndpoints().MapRelationshipEndpoints().MapPostEndpoints().MapCommentEndpoints().MapNotificationEndpoints()
                .MapTimelineEndpoints().MapConversationEndpoints().MapMediaEndpoints().MapStoryEndpoints().MapHighlightEndpoints().MapModerationEndpoints()
                .MapAnalyticsEndpoints().MapTwoFactorEndpoints().MapPasskeyEndpoints().MapDeletionEndpoints().MapExportEndpoints();
        }

        return app;
    }

    private static async Task<IResult> ReadyAsync(HealthCheckService health, CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(c => c.Tags.Contains(ReadyTag), cancellationToken).ConfigureAwait(false);
        var checks = report.Entries.Select(e => new HealthCheckResponse(e.Key, e.Value.Status.ToString(), e.Value.Description)).ToArray();
        // Degraded still serves (a load balancer keeps sending requests); it is for operators and alerts.
        return report.Status switch
        {
            HealthStatus.Healthy => (IResult)TypedResults.Ok(new HealthResponse("ready", checks)),
            HealthStatus.Degraded => TypedResults.Ok(new HealthResponse("degraded", checks)),
            _ => TypedResults.Json(new HealthResponse("not_ready", checks), statusCode: StatusCodes.Status503ServiceUnavailable),
        };
    }

    private static Task SecurityHeadersAsync(HttpContext context, RequestDelegate next)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        if (!context.Request.Path.StartsWithSegments("/docs"))
        {
            headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";
        }

        return next(context);
    }
}

/// <summary>The body of <c>/health/live</c> and <c>/health/ready</c>.</summary>
public sealed record HealthResponse(string Status, IReadOnlyList<HealthCheckResponse> Checks);

/// <summary>One dependency's health.</summary>
public sealed record HealthCheckResponse(string Name, string Status, string? Description);
