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
    private static readonly ConcurrentDictionary<Type, bool> Compiled = new();

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

    // DispatchProxy.Create reflects over the proxy type on every call (Activator); references are made on every
    // GetGrain, so the generated type's constructor is compiled into a delegate once per interface. The generated type
    // takes the interface's method table as its only argument (the value the sample instance holds); if a runtime
    // generates it differently, each reference falls back to DispatchProxy.Create.
    private static Func<GrainReference> CompileFactory(Type interfaceType)
    {
        var sample = DispatchProxy.Create(interfaceType, typeof(GrainReference));
        var proxyType = sample.GetType();
        var constructors = proxyType.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance);
        if (constructors.Length == 1 && constructors[0].GetParameters() is var parameters)
        {
            if (parameters.Length == 0)
            {
                Compiled[interfaceType] = true;
                return Expression.Lambda<Func<GrainReference>>(Expression.New(constructors[0])).Compile();
            }

            var fields = proxyType.GetFields(BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Instance)
                .Where(f => f.DeclaringType == proxyType).ToArray();
            if (parameters.Length == 1 && fields.Length == 1 && fields[0].FieldType == parameters[0].ParameterType)
            {
                var argument = Expression.Constant(fields[0].GetValue(sample), parameters[0].ParameterType);
                Compiled[interfaceType] = true;
                return Expression.Lambda<Func<GrainReference>>(Expression.New(constructors[0], argument)).Compile();
            }
        }

        Compiled[interfaceType] = false;
        return () => (GrainReference)DispatchProxy.Create(interfaceType, typeof(GrainReference));
    }

    /// <summary>Whether references to <paramref name="interfaceType"/> are made by a compiled constructor call (for tests).</summary>
    internal static bool IsFactoryCompiled(Type interfaceType) => Compiled.TryGetValue(interfaceType, out var compiled) && compiled;

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
