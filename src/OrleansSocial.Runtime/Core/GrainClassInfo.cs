using System.Collections.Frozen;
using System.Linq.Expressions;
using Microsoft.Extensions.DependencyInjection;
using System.Reflection;
using OrleansSocial.Runtime.Activation;
using OrleansSocial.Runtime.Storage;

namespace OrleansSocial.Runtime.Core;

internal enum GrainKeyKind
{
    Guid,
    String,
    Integer,
}

/// <summary>Everything the runtime needs to know about one grain class, computed once at start-up.</summary>
internal sealed class GrainClassInfo
{
    private readonly Func<IServiceProvider, ActivationData, object> _factory;

    private GrainClassInfo(Type grainClass, string grainType, IReadOnlyList<Type> interfaces)
    {
        GrainClass = grainClass;
        GrainType = grainType;
        Interfaces = interfaces;
        IsReentrant = grainClass.IsDefined(typeof(ReentrantAttribute), inherit: true);
        var worker = grainClass.GetCustomAttribute<StatelessWorkerAttribute>(inherit: true);
        MaxLocalWorkers = worker is null ? 0 : worker.MaxLocalWorkers > 0 ? worker.MaxLocalWorkers : Environment.ProcessorCount;
        CollectionAge = grainClass.GetCustomAttribute<CollectionAgeLimitAttribute>(inherit: true)?.Amount;

        var methods = new Dictionary<MethodInfo, GrainMethod>();
        foreach (var @interface in interfaces)
        {
            var map = grainClass.GetInterfaceMap(@interface);
            for (var i = 0; i < map.InterfaceMethods.Length; i++)
            {
                methods[map.InterfaceMethods[i]] = GrainMethod.Create(map.InterfaceMethods[i], map.TargetMethods[i]);
            }
        }

        Methods = methods.ToFrozenDictionary();
        MethodsByKey = methods.Values.GroupBy(m => m.Key).ToFrozenDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        _factory = CompileFactory(grainClass);
    }

    public Type GrainClass { get; }

    public string GrainType { get; }

    /// <summary>The grain interfaces this class implements (interfaces deriving from <see cref="IGrain"/>, not the key markers).</summary>
    public IReadOnlyList<Type> Interfaces { get; }

    public bool IsReentrant { get; }

    /// <summary>0 for ordinary grains; the local activation limit for <see cref="StatelessWorkerAttribute"/> grains.</summary>
    public int MaxLocalWorkers { get; }

    public bool IsStatelessWorker => MaxLocalWorkers > 0;

    /// <summary>Per-class idle collection age, or null for the silo default.</summary>
    public TimeSpan? CollectionAge { get; }

    public FrozenDictionary<MethodInfo, GrainMethod> Methods { get; }

    /// <summary>The methods by <see cref="GrainMethod.Key"/>, for requests arriving from other processes.</summary>
    public FrozenDictionary<string, GrainMethod> MethodsByKey { get; }

    public static bool IsGrainClass(Type type) =>
        type is { IsClass: true, IsAbstract: false, IsGenericTypeDefinition: false } && typeof(Grain).IsAssignableFrom(type);

    public static bool IsGrainInterface(Type type) =>
        type.IsInterface && typeof(IGrain).IsAssignableFrom(type) && type != typeof(IGrain) &&
        type != typeof(IGrainWithGuidKey) && type != typeof(IGrainWithStringKey) && type != typeof(IGrainWithIntegerKey);

    public static GrainClassInfo Create(Type grainClass)
    {
        var interfaces = grainClass.GetInterfaces().Where(IsGrainInterface).ToArray();
        if (interfaces.Length == 0)
        {
            throw new InvalidOperationException($"Grain class {grainClass} implements no grain interface.");
        }

        var grainType = grainClass.GetCustomAttribute<GrainTypeAttribute>()?.GrainType ?? DefaultGrainType(grainClass);
        return new GrainClassInfo(grainClass, grainType, interfaces);
    }

    public static GrainKeyKind KeyKindOf(Type grainInterface) =>
        typeof(IGrainWithGuidKey).IsAssignableFrom(grainInterface) ? GrainKeyKind.Guid
        : typeof(IGrainWithIntegerKey).IsAssignableFrom(grainInterface) ? GrainKeyKind.Integer
        : GrainKeyKind.String;

    public object CreateInstance(IServiceProvider services, ActivationData activation) => _factory(services, activation);

    private static string DefaultGrainType(Type grainClass)
    {
        var name = grainClass.Name;
        if (name.EndsWith("Grain", StringComparison.Ordinal) && name.Length > "Grain".Length)
        {
            name = name[..^"Grain".Length];
        }

        return name.ToLowerInvariant();
    }

    /// <summary>
    /// Compiles the constructor call: parameters marked <see cref="PersistentStateAttribute"/> get a state bound to the
    /// activation; everything else comes from the silo's services.
    /// </summary>
    private static Func<IServiceProvider, ActivationData, object> CompileFactory(Type grainClass)
    {
        var constructors = grainClass.GetConstructors();
        if (constructors.Length == 0)
        {
            throw new InvalidOperationException($"Grain class {grainClass} has no public constructor.");
        }

        var constructor = constructors.OrderByDescending(c => c.GetParameters().Length).First();
        var services = Expression.Parameter(typeof(IServiceProvider), "services");
        var activation = Expression.Parameter(typeof(ActivationData), "activation");
        var getService = typeof(ServiceProviderServiceExtensions).GetMethod(
            nameof(ServiceProviderServiceExtensions.GetRequiredService), [typeof(IServiceProvider), typeof(Type)])!;
        var createState = typeof(PersistentStateFactory).GetMethod(nameof(PersistentStateFactory.Create))!;

        var arguments = constructor.GetParameters().Select(parameter =>
        {
            var attribute = parameter.GetCustomAttribute<PersistentStateAttribute>();
            if (attribute is null)
            {
                return (Expression)Expression.Convert(Expression.Call(getService, services, Expression.Constant(parameter.ParameterType)), parameter.ParameterType);
            }

            var type = parameter.ParameterType;
            if (!type.IsGenericType || type.GetGenericTypeDefinition() != typeof(IPersistentState<>))
            {
                throw new InvalidOperationException(
                    $"Parameter '{parameter.Name}' of {grainClass} is marked [PersistentState] but is {type}, not IPersistentState<T>.");
            }

            return Expression.Call(createState.MakeGenericMethod(type.GetGenericArguments()), services, activation,
                Expression.Constant(attribute.StateName), Expression.Constant(attribute.StorageName, typeof(string)));
        });

        var body = Expression.Convert(Expression.New(constructor, arguments), typeof(object));
        return Expression.Lambda<Func<IServiceProvider, ActivationData, object>>(body, services, activation).Compile();
    }
}
