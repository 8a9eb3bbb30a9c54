using System.Collections.Immutable;
using OrleansSocial.Runtime.Messaging;

namespace OrleansSocial.Runtime;

/// <summary>
/// Ambient key/value pairs that travel with grain calls: values set before a call are visible to the callee and to
/// everything it calls; values the callee sets do not flow back to the caller.
/// </summary>
public static class RequestContext
{
    /// <summary>The keys currently set.</summary>
    public static IReadOnlyCollection<string> Keys =>
        (IReadOnlyCollection<string>?)CallContext.Current?.Values?.Keys.ToArray() ?? [];

    public static void Set(string key, object? value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var current = CallContext.Current ?? new CallContext(null, null, null, null);
        var values = (current.Values ?? ImmutableDictionary.Create<string, object?>(StringComparer.Ordinal)).SetItem(key, value);
        CallContext.Current = current with { Values = values };
    }

    public static object? Get(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var values = CallContext.Current?.Values;
        return values is not null && values.TryGetValue(key, out var value) ? value : null;
    }

    public static bool Remove(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var current = CallContext.Current;
        if (current?.Values is null || !current.Values.ContainsKey(key))
        {
            return false;
        }

        CallContext.Current = current with { Values = current.Values.Remove(key) };
        return true;
    }

    public static void Clear()
    {
        var current = CallContext.Current;
        if (current?.Values is not null)
        {
            CallContext.Current = current with { Values = null };
        }
    }

    /// <summary>
    /// Until the returned scope is disposed, calls made from the current grain let their call chain re-enter it
    /// (A → B → A succeeds instead of raising <see cref="DeadlockException"/>). Outside a grain this does nothing.
    /// </summary>
    public static IDisposable AllowCallChainReentrancy()
    {
        var current = CallContext.Current;
        if (current?.Activation is null)
        {
            return NoopScope.Instance;
        }

        CallContext.Current = current with { ReentrantFor = new GrainIdList(current.Activation.GrainId, current.ReentrantFor) };
        return new RestoreScope(current);
    }

    /// <summary>Until disposed, calls made from here carry no re-entry permission from earlier in the chain.</summary>
    public static IDisposable SuppressCallChainReentrancy()
    {
        var current = CallContext.Current;
        if (current?.ReentrantFor is null)
        {
            return NoopScope.Instance;
        }

        CallContext.Current = current with { ReentrantFor = null };
        return new RestoreScope(current);
    }

    private sealed class RestoreScope(CallContext previous) : IDisposable
    {
        // Only the re-entry permission is scoped; RequestContext values set inside the scope stay.
        public void Dispose() => CallContext.Current = (CallContext.Current ?? previous) with { ReentrantFor = previous.ReentrantFor };
    }

    private sealed class NoopScope : IDisposable
    {
        public static readonly NoopScope Instance = new();

        public void Dispose()
        {
        }
    }
}
