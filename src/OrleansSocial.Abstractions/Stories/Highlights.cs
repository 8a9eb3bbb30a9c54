using Orleans;
using Orleans.Concurrency;
using OrleansSocial.Media;

namespace OrleansSocial.Stories;

/// <summary>
/// A highlight: a named, ordered collection of its owner's stories kept on the profile after they expire (their media
/// with them).
/// </summary>
[GenerateSerializer, Immutable, Alias("social.Highlight")]
public sealed record Highlight([property: Id(0)] Guid Id, [property: Id(1)] long OwnerId, [property: Id(2)] string Title,
    [property: Id(3)] IReadOnlyList<HighlightStory> Stories, [property: Id(4)] DateTimeOffset CreatedAt, [property: Id(5)] DateTimeOffset UpdatedAt);

/// <summary>A story in a highlight, in the highlight's order.</summary>
[GenerateSerializer, Immutable, Alias("social.HighlightStory")]
public sealed record HighlightStory([property: Id(0)] Guid Id, [property: Id(1)] MediaAttachment Media, [property: Id(2)] string Caption,
    [property: Id(3)] string? LinkUrl, [property: Id(4)] string Audience, [property: Id(5)] DateTimeOffset CreatedAt);

/// <summary>A highlight to create or replace: its title and its stories in order.</summary>
[GenerateSerializer, Immutable, Alias("social.HighlightChange")]
public sealed record HighlightChange([property: Id(0)] string Title, [property: Id(1)] IReadOnlyList<Guid> StoryIds);
