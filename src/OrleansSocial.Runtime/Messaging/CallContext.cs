using System.Collections.Immutable;
using OrleansSocial.Runtime.Activation;

namespace OrleansSocial.Runtime.Messaging;

/// <summary>An immutable singly-linked list of grain ids: the call chain, or the set of grains that allow re-entry.</summary>
internal sealed class GrainIdList(GrainId head, GrainIdList? tail)
{
    public GrainId Head { get; } = head;

    public GrainIdList? Tail { get; } = tail;

    public static bool Contains(GrainIdList? list, GrainId id)
    {
        for (var node = list; node is not null; node = node.Tail)
        {
            if (node.Head.Equals(id))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The ids oldest first.</summary>
    public static List<GrainId> ToList(GrainIdList? list)
    {
        var result = new List<GrainId>();
        for (var node = list; node is not null; node = node.Tail)
        {
            result.Add(node.Head);
        }

        result.Reverse();
        return result;
    }
}

/// <summary>
/// What flows with the logical thread of execution: the activation whose turn this is, the chain of grains that led to it,
/// the grains on the chain that allow re-entry, and the <see cref="RequestContext"/> values. Immutable; replaced, never mutated.
/// </summary>
internal sealed record CallContext(
    ActivationData? Activation,
    GrainIdList? Chain,
    GrainIdList? ReentrantFor,
    ImmutableDictionary<string, object?>? Values)
{
    private static readonly AsyncLocal<CallContext?> CurrentContext = new();

    public static CallContext? Current
    {
        get => CurrentContext.Value;
        set => CurrentContext.Value = value;
    }

    // Made on the first outgoing call and shared by the rest (a grain rendering a page calls many grains in one turn).
    private GrainIdList? _outgoingChain;

    /// <summary>The chain an outgoing call from here carries: the current chain plus the calling grain.</summary>
    public GrainIdList? OutgoingChain
    {
        get
        {
            if (Activation is null)
            {
                return Chain;
            }

            // Checked against this context's own members: a copy made with `with` carries the field along.
            if (_outgoingChain is not { } made || !ReferenceEquals(made.Tail, Chain) || !made.Head.Equals(Activation.GrainId))
            {
                _outgoingChain = made = new GrainIdList(Activation.GrainId, Chain);
            }

            return made;
        }
    }
}
