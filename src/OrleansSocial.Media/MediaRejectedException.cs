namespace OrleansSocial.Media;

/// <summary>An upload refused for what it is (unreadable, unsupported, too large): a 4xx naming <see cref="Field"/>.</summary>
public sealed class MediaRejectedException : Exception
{
    public MediaRejectedException()
    {
    }

    public MediaRejectedException(string message) : base(message)
    {
    }

    public MediaRejectedException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public MediaRejectedException(string message, string field, int statusCode = 422, Exception? innerException = null) : base(message, innerException) =>
        (Field, StatusCode) = (field, statusCode);

    /// <summary>The form field the problem is with.</summary>
    public string Field { get; } = "file";

    /// <summary>422 for content, 413 for size.</summary>
    public int StatusCode { get; } = 422;
}
