using Orleans;

namespace OrleansSocial;

/// <summary>
/// Past one of an account's limits (stories an hour, live stories, reports an hour): the front end answers 429 with
/// <c>Retry-After</c> — when the account may try again.
/// </summary>
[GenerateSerializer, Alias("social.LimitExceededException")]
public sealed class LimitExceededException : Exception
{
    public LimitExceededException()
    {
    }

    public LimitExceededException(string message) : base(message)
    {
    }

    public LimitExceededException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public LimitExceededException(string message, TimeSpan retryAfter) : base(message) => RetryAfter = retryAfter;

    /// <summary>When the account may try again.</summary>
    [Id(0)]
    public TimeSpan RetryAfter { get; init; }
}
