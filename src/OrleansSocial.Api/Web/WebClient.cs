using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.AspNetCore.Routing;

namespace OrleansSocial.Api.Web;

/// <summary>
/// Serves the web client (<c>web/</c>, built by <c>./build.sh</c> into <c>web/dist</c>) at <c>/</c>, same origin as
/// <c>/api</c> and <c>/hubs</c>: hashed files under <c>/assets</c> cached for a year as immutable, <c>index.html</c>
/// revalidated on every load, and every other GET path that is not the server's own and names no file answered with
/// <c>index.html</c> so client routes survive a reload. Its responses carry a Content-Security-Policy that allows only
/// this origin's scripts, styles and connections (pictures and videos may also come from the media store's origin).
/// </summary>
public static class WebClient
{
    /// <summary>Where the built client is: <c>Web:Root</c>, else <c>web/dist</c> found from the content root or the working directory.</summary>
    public static string? Root(IConfiguration configuration, IWebHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(environment);
        if (configuration["Web:Root"] is { Length: > 0 } configured)
        {
            return File.Exists(Path.Combine(configured, "index.html")) ? Path.GetFullPath(configured) : null;
        }

        return new[] { Path.Combine(environment.ContentRootPath, "..", "..", "web", "dist"), Path.Combine(Directory.GetCurrentDirectory(), "web", "dist") }
            .Select(Path.GetFullPath).FirstOrDefault(d => File.Exists(Path.Combine(d, "index.html")));
    }

    /// <summary>The policy of the client's pages and files.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: https:; media-src 'self' blob: https:; " +
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    // Paths the server answers itself (the Orleans dashboard among them, on or off): never the client's index.
    private static readonly string[] ServerPaths = ["/api", "/hubs", "/media", "/docs", "/openapi", "/health", "/metrics", "/dashboard"];

    /// <summary>The static files of the client (before the endpoints; after the security headers, whose policy it replaces).</summary>
    public static WebApplication UseWebClient(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (Root(app.Configuration, app.Environment) is not { } root)
        {
            return app;
        }

        var files = new PhysicalFileProvider(root);
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.CacheControl = context.Context.Request.Path.StartsWithSegments("/assets")
                    ? "public, max-age=31536000, immutable"
                    : "no-cache";
            },
        });
        var index = files.GetFileInfo("index.html");

        // A client route: a GET of a path that is not the server's and names no file (so it never competes with an API
        // endpoint, and a wrong method on one is still 405). GET only: HEAD and writes to a client route are 405.
        app.MapFallback("{*path:" + ClientRoute.Name + "}", async context =>
        {
            context.Response.ContentType = "text/html; charset=utf-8";
            context.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
            context.Response.Headers.CacheControl = "no-cache";
            await context.Response.SendFileAsync(index, context.RequestAborted).ConfigureAwait(false);
        }).WithMetadata(new HttpMethodMetadata([HttpMethods.Get])).ExcludeFromDescription();
        return app;
    }

    /// <summary>The route constraint of client routes (registered by <c>AddOrleansSocialApi</c>).</summary>
    public sealed class ClientRoute : IRouteConstraint
    {
        public const string Name = "clientroute";

        public bool Match(HttpContext? httpContext, IRouter? route, string routeKey, RouteValueDictionary values, RouteDirection routeDirection)
        {
            ArgumentNullException.ThrowIfNull(values);
            if (!values.TryGetValue(routeKey, out var value) || value is not string { Length: > 0 } path)
            {
                return true; // the root
            }

            // Asked of every request's path (the fallback is a candidate for all of them): nothing allocated.
            var first = path.AsSpan();
            if (first.IndexOf('/') is >= 0 and var slash)
            {
                first = first[..slash];
            }

            foreach (var serverPath in ServerPaths)
            {
                if (first.Equals(serverPath.AsSpan(1), StringComparison.OrdinalIgnoreCase))
                {
                    return false;
                }
            }

            return !Path.HasExtension(path.AsSpan());
        }
    }
}
