# OrleansSocial: one image, every role (Role=all | silo | frontend). Build: docker build -t orleans-social .
# Stage 1 builds with the SDK; stage 2 is the ASP.NET Core runtime image, run as its non-root user (app, uid 1654).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props nuget.config ./
COPY src/ src/
COPY sql/ sql/
RUN dotnet publish src/OrleansSocial.Host/OrleansSocial.Host.csproj -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# ffmpeg/ffprobe: the front end probes uploaded video, makes posters and turns animated GIFs into MP4.
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
ENV Urls=http://0.0.0.0:8080 \
    DOTNET_gcServer=1
EXPOSE 8080 11111 30000
USER app
HEALTHCHECK --interval=10s --timeout=6s --start-period=30s --retries=3 CMD ["dotnet", "OrleansSocial.Host.dll", "health"]
ENTRYPOINT ["dotnet", "OrleansSocial.Host.dll"]
