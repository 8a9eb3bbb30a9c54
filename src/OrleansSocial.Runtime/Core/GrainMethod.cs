using System.Linq.Expressions;
using System.Reflection;

namespace OrleansSocial.Runtime.Core;

[Flags]
internal enum InvokeFlags
{
    None = 0,
    AlwaysInterleave = 1,
    ReadOnly = 2,
}

/// <summary>
/// One grain interface method as implemented by one grain class: its scheduling flags, a compiled invoker that calls it
/// on a grain instance, and an adapter that turns the runtime's result into the interface's return type.
/// Built once at registration; nothing here uses reflection per call.
/// </summary>
internal sealed class GrainMethod
{
    private GrainMethod(MethodInfo interfaceMethod, MethodInfo implementationMethod, InvokeFlags flags,
        Func<object, object?[]?, ValueTask<object?>> invoker, ResultAdapter adapter)
    {
        InterfaceMethod = interfaceMethod;
        ImplementationMethod = implementationMethod;
        Flags = flags;
        Invoker = invoker;
        Adapter = adapter;
        Name = $"{interfaceMethod.DeclaringType!.Name}.{interfaceMethod.Name}";
        Key = $"{interfaceMethod.DeclaringType!.FullName}.{interfaceMethod.Name}({string.Join(",", interfaceMethod.GetParameters().Select(p => p.ParameterType.FullName))})";
        ParameterTypes = [.. interfaceMethod.GetParameters().Select(p => p.ParameterType)];
    }

    /// <summary>Identifies the method on the wire: interface, name and parameter types.</summary>
    public string Key { get; }

    public Type[] ParameterTypes { get; }

    /// <summary>The type of the method's result (T of Task&lt;T&gt;), or null for Task and ValueTask.</summary>
    public Type? ResultType => InterfaceMethod.ReturnType.IsGenericType ? InterfaceMethod.ReturnType.GetGenericArguments()[0] : null;

    public MethodInfo InterfaceMethod { get; }

    public MethodInfo ImplementationMethod { get; }

    public InvokeFlags Flags { get; }

    public string Name { get; }

    /// <summary>Calls the method on a grain instance with the given arguments and returns its result as a <see cref="ValueTask{Object}"/>.</summary>
    public Func<object, object?[]?, ValueTask<object?>> Invoker { get; }

    public ResultAdapter Adapter { get; }

    public static GrainMethod Create(MethodInfo interfaceMethod, MethodInfo implementationMethod)
    {
        if (interfaceMethod.IsGenericMethodDefinition)
        {
            throw new NotSupportedException($"Grain method {interfaceMethod.DeclaringType}.{interfaceMethod.Name} is generic; generic grain methods are not supported.");
        }

        var adapter = ResultAdapter.For(interfaceMethod);
        var flags = InvokeFlags.None;
        if (interfaceMethod.IsDefined(typeof(AlwaysInterleaveAttribute)) || implementationMethod.IsDefined(typeof(AlwaysInterleaveAttribute)))
        {
            flags |= InvokeFlags.AlwaysInterleave;
        }

        if (interfaceMethod.IsDefined(typeof(ReadOnlyAttribute)) || implementationMethod.IsDefined(typeof(ReadOnlyAttribute)))
        {
            flags |= InvokeFlags.ReadOnly;
        }

        return new GrainMethod(interfaceMethod, implementationMethod, flags, CompileInvoker(interfaceMethod, adapter), adapter);
    }

    private static Func<object, object?[]?, ValueTask<object?>> CompileInvoker(MethodInfo method, ResultAdapter adapter)
    {
        var grain = Expression.Parameter(typeof(object), "grain");
        var args = Expression.Parameter(typeof(object?[]), "args");
        var parameters = method.GetParameters();
        var arguments = new Expression[parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            var type = parameters[i].ParameterType;
            if (type.IsByRef)
            {
                throw new NotSupportedException($"Grain method {method.DeclaringType}.{method.Name} has a by-ref parameter '{parameters[i].Name}'.");
            }

            arguments[i] = Expression.Convert(Expression.ArrayIndex(args, Expression.Constant(i)), type);
        }

        // Calls through the interface (the grain class implements it, possibly explicitly).
        var call = Expression.Call(Expression.Convert(grain, method.DeclaringType!), method, arguments);
        var body = Expression.Call(adapter.ToValueTaskMethod, call);
        return Expression.Lambda<Func<object, object?[]?, ValueTask<object?>>>(body, grain, args).Compile();
    }
}

/// <summary>Converts between a grain method's declared return type and the runtime's <see cref="ValueTask{Object}"/>.</summary>
internal abstract class ResultAdapter
{
    // The completed Task<T> a grain method last returned on this thread. A call that ran inline hands its result back to
    // the proxy on the same thread: the proxy then returns the grain's own task (often one the grain keeps and returns
    // again) rather than a new one per call. Any completed task holding the same result would do, so a task left here
    // by a call whose result went elsewhere (to another silo, or replaced by a filter) is harmless. Not generic: thread
    // statics of generic classes are slower to reach.
    [ThreadStatic]
    private static Task? t_completedTask;

    /// <summary>A static method taking the method's return value and returning <see cref="ValueTask{Object}"/>.</summary>
    public abstract MethodInfo ToValueTaskMethod { get; }

    /// <summary>The value a proxy returns to its caller.</summary>
    public abstract object FromRuntime(ValueTask<object?> result);

    public static ResultAdapter For(MethodInfo method)
    {
        var type = method.ReturnType;
        if (type == typeof(Task))
        {
            return TaskAdapter.Instance;
        }

        if (type == typeof(ValueTask))
        {
            return ValueTaskAdapter.Instance;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Task<>))
        {
            return (ResultAdapter)Activator.CreateInstance(typeof(TaskAdapter<>).MakeGenericType(type.GetGenericArguments()))!;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ValueTask<>))
        {
            return (ResultAdapter)Activator.CreateInstance(typeof(ValueTaskAdapter<>).MakeGenericType(type.GetGenericArguments()))!;
        }

        throw new NotSupportedException(
            $"Grain method {method.DeclaringType}.{method.Name} returns {type}; grain methods must return Task, Task<T>, ValueTask or ValueTask<T>.");
    }

    private sealed class TaskAdapter : ResultAdapter
    {
        public static readonly TaskAdapter Instance = new();

        public override MethodInfo ToValueTaskMethod { get; } = typeof(TaskAdapter).GetMethod(nameof(ToValueTask))!;

        public static ValueTask<object?> ToValueTask(Task task) =>
            task.IsCompletedSuccessfully ? default : AwaitAsync(task);

        public override object FromRuntime(ValueTask<object?> result) =>
            result.IsCompletedSuccessfully ? Task.CompletedTask : result.AsTask();

        private static async ValueTask<object?> AwaitAsync(Task task)
        {
            await task.ConfigureAwait(false);
            return null;
        }
    }

    private sealed class ValueTaskAdapter : ResultAdapter
    {
        public static readonly ValueTaskAdapter Instance = new();

        public override MethodInfo ToValueTaskMethod { get; } = typeof(ValueTaskAdapter).GetMethod(nameof(ToValueTask))!;

        public static ValueTask<object?> ToValueTask(ValueTask task) =>
            task.IsCompletedSuccessfully ? default : AwaitAsync(task);

        public override object FromRuntime(ValueTask<object?> result) =>
            result.IsCompletedSuccessfully ? default(ValueTask) : new ValueTask(result.AsTask());

        private static async ValueTask<object?> AwaitAsync(ValueTask task)
        {
            await task.ConfigureAwait(false);
            return null;
        }
    }

    private sealed class TaskAdapter<T> : ResultAdapter
    {
        public override MethodInfo ToValueTaskMethod { get; } = typeof(TaskAdapter<T>).GetMethod(nameof(ToValueTask))!;

        public static ValueTask<object?> ToValueTask(Task<T> task)
        {
            if (!task.IsCompletedSuccessfully)
            {
                return AwaitAsync(task);
            }

            t_completedTask = task;
            return new ValueTask<object?>(task.Result);
        }

        public override object FromRuntime(ValueTask<object?> result)
        {
            if (!result.IsCompletedSuccessfully)
            {
                return ConvertAsync(result);
            }

            var value = (T)result.Result!;
            var completed = t_completedTask as Task<T>;
            t_completedTask = null;
            return completed is not null && SameResult(completed.Result, value) ? completed : Task.FromResult(value);
        }

        // By reference for objects (a caller may rely on getting the very instance), by value otherwise.
        private static bool SameResult(T kept, T value) =>
            typeof(T).IsValueType ? EqualityComparer<T>.Default.Equals(kept, value) : ReferenceEquals(kept, value);

        private static async ValueTask<object?> AwaitAsync(Task<T> task) => await task.ConfigureAwait(false);

        private static async Task<T> ConvertAsync(ValueTask<object?> result) => (T)(await result.ConfigureAwait(false))!;
    }

    private sealed class ValueTaskAdapter<T> : ResultAdapter
    {
        public override MethodInfo ToValueTaskMethod { get; } = typeof(ValueTaskAdapter<T>).GetMethod(nameof(ToValueTask))!;

        public static ValueTask<object?> ToValueTask(ValueTask<T> task) =>
            task.IsCompletedSuccessfully ? new ValueTask<object?>(task.Result) : AwaitAsync(task);

        public override object FromRuntime(ValueTask<object?> result) =>
            result.IsCompletedSuccessfully ? new ValueTask<T>((T)result.Result!) : new ValueTask<T>(ConvertAsync(result));

        private static async ValueTask<object?> AwaitAsync(ValueTask<T> task) => await task.ConfigureAwait(false);

        private static async Task<T> ConvertAsync(ValueTask<object?> result) => (T)(await result.ConfigureAwait(false))!;
    }
}
