using System.Text.Json.Serialization;
using OrleansSocial.Api.Accounts;
using OrleansSocial.Api.Posts;
using OrleansSocial.Api.Relationships;
using OrleansSocial.Api.Timelines;

namespace OrleansSocial.Api.Infrastructure;

/// <summary>
/// Serialization code generated at build time for the responses the hottest endpoints write (posts, accounts, feeds):
/// no reflection on the request path. The settings match the API's JSON options, so the generated writers are used.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(TimelineItemResponse[]))]
[JsonSerializable(typeof(PostResponse))]
[JsonSerializable(typeof(PostResponse[]))]
[JsonSerializable(typeof(AccountResponse))]
[JsonSerializable(typeof(PublicAccountResponse))]
[JsonSerializable(typeof(PublicAccountResponse[]))]
[JsonSerializable(typeof(SearchResponse))]
[JsonSerializable(typeof(OrleansSocial.Api.Stories.TrayEntryResponse[]))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
