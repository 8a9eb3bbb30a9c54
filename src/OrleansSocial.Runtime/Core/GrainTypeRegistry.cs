using System.Collections.Concurrent;
using System.Reflection;

namespace OrleansSocial.Runtime.Core;

/// <summary>An assembly whose grain classes the silo hosts (registered by <c>AddGrainsFromAssembly</c>).</summary>
public sealed record GrainAssembly(Assembly Assembly);

/// <summary>Maps grain interfaces and grain type names to grain classes.</summary>
internal sealed class GrainTypeRegistry
{
    private readonly Dictionary<string, GrainClassInfo> _byGrainType = new(StringComparer.Ordinal);
    private readonly Dictionary<Type, List<GrainClassInfo>> _byInterface = [];
    private readonly ConcurrentDictionary<(Type Interface, string? Prefix), GrainClassInfo> _resolved = new();

    public GrainTypeRegistry(IEnumerable<GrainAssembly> assemblies)
    {
        foreach (var assembly in assemblies.Select(a => a.Assembly).Distinct())
        {
            foreach (var type in assembly.GetTypes().Where(GrainClassInfo.IsGrainClass))
            {
                Register(GrainClassInfo.Create(type));
            }
        }
    }

    public IEnumerable<GrainClassInfo> GrainClasses => _byGrainType.Values;

    public GrainClassInfo GetByGrainType(string grainType) =>
        _byGrainType.TryGetValue(grainType, out var info)
            ? info
            : throw new ArgumentException($"No grain class with grain type '{grainType}' is registered with this silo.", nameof(grainType));

    /// <summary>The class implementing <paramref name="grainInterface"/>; with several, the one whose full name starts with the prefix.</summary>
    public GrainClassInfo Resolve(Type grainInterface, string? grainClassNamePrefix = null) =>
        _resolved.GetOrAdd((grainInterface, grainClassNamePrefix), static (key, self) => self.ResolveCore(key.Interface, key.Prefix), this);

    private GrainClassInfo ResolveCore(Type grainInterface, string? prefix)
    {
        if (!_byInterface.TryGetValue(grainInterface, out var candidates))
        {
            throw new ArgumentException(
                $"No grain class implementing {grainInterface.FullName} is registered. Add its assembly with AddGrainsFromAssembly.",
                nameof(grainInterface));
        }

        if (prefix is not null)
        {
            candidates = candidates.Where(c => c.GrainClass.FullName!.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        }

        return candidates.Count switch
        {
            1 => candidates[0],
            0 => throw new ArgumentException($"No grain class implementing {grainInterface.FullName} has a name starting with '{prefix}'.", nameof(grainInterface)),
            _ => throw new ArgumentException(
                $"Several grain classes implement {grainInterface.FullName} ({string.Join(", ", candidates.Select(c => c.GrainClass.FullName))}); " +
                "pass grainClassNamePrefix to choose one.", nameof(grainInterface)),
        };
    }

    private void Register(GrainClassInfo info)
    {
        if (_byGrainType.TryGetValue(info.GrainType, out var existing))
        {
            if (existing.GrainClass == info.GrainClass)
            {
                return;
            }

            throw new InvalidOperationException(
                $"Grain classes {existing.GrainClass} and {info.GrainClass} share the grain type '{info.GrainType}'; give one a [GrainType].");
        }

        _byGrainType[info.GrainType] = info;
        foreach (var @interface in info.Interfaces)
        {
            if (!_byInterface.TryGetValue(@interface, out var list))
            {
                _byInterface[@interface] = list = [];
            }

            list.Add(info);
        }
    }
}
