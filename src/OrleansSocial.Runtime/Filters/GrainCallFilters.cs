using System.Reflection;
using OrleansSocial.Runtime.Activation;
using OrleansSocial.Runtime.Core;
using OrleansSocial.Runtime.Messaging;

namespace OrleansSocial.Runtime;

/// <summary>A grain call seen by a filter.</summary>
public interface IGrainCallContext
{
    /// <summary>The grain instance (incoming) or the grain reference (outgoing).</summary>
    object Grain { get; }

    /// <summary>The calling grain, or null when the call comes from outside any grain.</summary>
    GrainId? SourceId { get; }

    GrainId TargetId { get; }

    MethodInfo InterfaceMethod { get; }

    /// <summary>"Interface.Method", for logs and metrics.</summary>
    string MethodName { get; }

    /// <summary>The call's arguments.</summary>
    IReadOnlyList<object?> Arguments { get; }

    /// <summary>The result, available after <see cref="Invoke"/>; a filter may replace it.</summary>
    object? Result { get; set; }

    /// <summary>Runs the next filter, or the call itself.</summary>
    Task Invoke();
}

/// <summary>A call arriving at a grain.</summary>
public interface IIncomingGrainCallContext : IGrainCallContext
{
    MethodInfo ImplementationMethod { get; }
}

/// <summary>A call leaving a grain or client.</summary>
public interface IOutgoingGrainCallContext : IGrainCallContext;

/// <summary>Runs around every call a silo's grains receive. A grain class implementing it filters its own calls.</summary>
public interface IIncomingGrainCallFilter
{
    Task Invoke(IIncomingGrainCallContext context);
}

/// <summary>Runs around every call made through grain references of this silo or client.</summary>
public interface IOutgoingGrainCallFilter
{
    Task Invoke(IOutgoingGrainCallContext context);
}

/// <summary>What incoming and outgoing call contexts share: the method, its arguments, the result and the filter position.</summary>
internal abstract class GrainCallContextBase(GrainMethod method, object?[]? arguments)
{
    private static readonly object?[] NoArguments = [];
    private int _next;

    protected GrainMethod Method { get; } = method;

    protected object?[] ArgumentArray { get; } = arguments ?? NoArguments;

    public MethodInfo InterfaceMethod => Method.InterfaceMethod;

    public string MethodName => Method.Name;

    public IReadOnlyList<object?> Arguments => ArgumentArray;

    public object? Result { get; set; }

    /// <summary>Runs the whole chain and returns the final result.</summary>
    public async ValueTask<object?> InvokeChainAsync()
    {
        await Invoke().ConfigureAwait(true);
        return Result;
    }

    /// <summary>Runs the next step of the chain.</summary>
    public Task Invoke() => InvokeStep(_next++);

    /// <summary>Runs filter number <paramref name="index"/>, or the call itself when the filters are exhausted.</summary>
    protected abstract Task InvokeStep(int index);
}

internal sealed class IncomingGrainCallContext(ActivationData activation, GrainMethod method, object?[]? arguments)
    : GrainCallContextBase(method, arguments), IIncomingGrainCallContext
{
    public object Grain => activation.GrainInstance!;

    public GrainId? SourceId => CallContext.Current?.Chain?.Head;

    public GrainId TargetId => activation.GrainId;

    public MethodInfo ImplementationMethod => Method.ImplementationMethod;

    protected override async Task InvokeStep(int index)
    {
        var filters = activation.Runtime.IncomingFilters;
        if (index < filters.Length)
        {
            await filters[index].Invoke(this).ConfigureAwait(true);
        }
        else if (index == filters.Length && activation.GrainInstance is IIncomingGrainCallFilter grainFilter)
        {
            await grainFilter.Invoke(this).ConfigureAwait(true);
        }
        else
        {
            Result = await Method.Invoker(activation.GrainInstance!, ArgumentArray).ConfigureAwait(true);
        }
    }
}

internal sealed class OutgoingGrainCallContext(GrainReference reference, GrainMethod method, object?[]? arguments, CallContext? caller)
    : GrainCallContextBase(method, arguments), IOutgoingGrainCallContext
{
    public object Grain => reference;

    public GrainId? SourceId => caller?.Activation?.GrainId;

    public GrainId TargetId => reference.GrainId;

    protected override async Task InvokeStep(int index)
    {
        var filters = reference.Runtime.OutgoingFilters;
        if (index < filters.Length)
        {
            await filters[index].Invoke(this).ConfigureAwait(true);
        }
        else
        {
            Result = await reference.Runtime.Send(reference.GrainId, reference.ClassInfo, Method, ArgumentArray, caller).ConfigureAwait(true);
        }
    }
}

/// <summary>Adapts a delegate to <see cref="IIncomingGrainCallFilter"/>.</summary>
internal sealed class IncomingGrainCallFilterDelegate(Func<IIncomingGrainCallContext, Task> filter) : IIncomingGrainCallFilter
{
    public Task Invoke(IIncomingGrainCallContext context) => filter(context);
}

/// <summary>Adapts a delegate to <see cref="IOutgoingGrainCallFilter"/>.</summary>
internal sealed class OutgoingGrainCallFilterDelegate(Func<IOutgoingGrainCallContext, Task> filter) : IOutgoingGrainCallFilter
{
    public Task Invoke(IOutgoingGrainCallContext context) => filter(context);
}
