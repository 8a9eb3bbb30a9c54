using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;
using OrleansSocial.Runtime.Core;

namespace OrleansSocial.Runtime;

/// <summary>
/// The object behind every grain interface the runtime hands out: a <see cref="DispatchProxy"/> holding the target's
/// <see cref="GrainId"/>. A call looks up the method's precompiled invoker and sends it through the runtime; nothing
/// is reflected per call. References are equal when their grain ids are.
/// </summary>
#pragma warning disable CA1716 // the name Orleans uses
public class GrainReference : DispatchProxy, IAddressable
#pragma warning restore CA1716
{
    private static readonly ConcurrentDictionary<Type, Func<GrainReference>> Factories = new();

    private GrainId _grainId;
    private GrainClassInfo? _classInfo;
    private GrainRuntime? _runtime;

    /// <summary>The grain this reference points to.</summary>
    public GrainId GrainId => _grainId;

    internal GrainClassInfo ClassInfo => _classInfo!;

    internal GrainRuntime Runtime => _runtime!;

    /// <summary>The grain interface this reference implements.</summary>
    public Type InterfaceType { get; private set; } = typeof(IAddressable);

    internal static GrainReference Create(Type interfaceType, GrainId grainId, GrainClassInfo classInfo, GrainRuntime runtime)
    {
        var reference = Factories.GetOrAdd(interfaceType, CompileFactory)();
        reference._grainId = grainId;
        reference._classInfo = classInfo;
        reference._runtime = runtime;
        reference.InterfaceType = interfaceType;
        return reference;
    }

    private static Func<GrainReference> CompileFactory(Type interfaceType)
    {
        var sample = DispatchProxy.Create(interfaceType, typeof(GrainReference));
        var proxyType = sample.GetType();
        if (proxyType.GetConstructor(Type.EmptyTypes) is { } constructor)
        {
            return Expression.Lambda<Func<GrainReference>>(Expression.New(constructor)).Compile();
        }

        return () => (GrainReference)DispatchProxy.Create(interfaceType, typeof(GrainReference));
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (!_classInfo!.Methods.TryGetValue(targetMethod, out var method))
        {
            throw new NotSupportedException($"{targetMethod.DeclaringType}.{targetMethod.Name} is not a method of grain class {_classInfo.GrainClass}.");
        }

        return method.Adapter.FromRuntime(_runtime!.Invoke(this, method, args));
    }

    public override bool Equals(object? obj) => obj is GrainReference other && other._grainId.Equals(_grainId);

    public override int GetHashCode() => _grainId.GetHashCode();

    public override string ToString() => $"GrainReference:{_grainId}";
}
