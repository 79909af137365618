using System.Reflection;
using System.Reflection.Emit;
using Tracking.Consumer.Leases;

namespace Tracking.Consumer.Tests.Unit;

/// <summary>
/// The consumer's parts point one way: the shard loop (<c>Shards</c>) → the buffer and loaders (<c>Loading</c>) → the
/// warehouse (<c>Warehouse</c>), with the leases (<c>Leases</c>) beside them all. Checked on the compiled assembly:
/// every type a part's types name in a signature or use in a method body, lambdas and async state machines included.
/// (A constant is copied into its user by the compiler, so reading another part's <c>const</c> is not seen, nor are
/// documentation references.)
/// </summary>
public sealed class DependencyDirectionTests
{
    private const string Root = "Tracking.Consumer.";

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    [Theory]
    [InlineData("Leases", new[] { "Shards", "Loading", "Warehouse", "Redrive", "Regulations", "Telemetry", "Health" })]
    [InlineData("Warehouse", new[] { "Shards", "Loading", "Redrive" })]
    [InlineData("Loading", new[] { "Shards", "Redrive" })]
    public void APartUsesNothingOfThePartsThatDependOnIt(string part, string[] upstream)
    {
        var offending = typeof(ShardFence).Assembly.GetTypes()
            .Where(t => PartOf(t) == part)
            .SelectMany(t => Referenced(t).Where(r => upstream.Contains(PartOf(r))).Select(r => $"{t.FullName} uses {r.FullName}"))
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(offending.Count == 0, string.Join(Environment.NewLine, offending));
    }

    [Fact]
    public void TheScanSeesATypeUsedOnlyInsideAMethodBody()
    {
        // PostgresLoader names PostgresCheckpoints (Leases) only in the body of an async method.
        Assert.Contains(typeof(PostgresCheckpoints), Referenced(typeof(Loading.PostgresLoader)));
    }

    private static string? PartOf(Type type)
    {
        var name = type.Namespace;
        if (name is null || !name.StartsWith(Root, StringComparison.Ordinal))
        {
            return null;
        }

        var part = name[Root.Length..];
        var dot = part.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? part : part[..dot];
    }

    private static IEnumerable<Type> Referenced(Type type)
    {
        var named = new List<Type>();
        const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        if (type.BaseType is { } baseType)
        {
            named.Add(baseType);
        }

        named.AddRange(type.GetInterfaces());
        named.AddRange(type.GetFields(Declared).Select(f => f.FieldType));
        named.AddRange(type.GetProperties(Declared).Select(p => p.PropertyType));
        foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            if (method is MethodInfo info)
            {
                named.Add(info.ReturnType);
            }

            named.AddRange(method.GetParameters().Select(p => p.ParameterType));
            if (method.GetMethodBody() is { } body)
            {
                named.AddRange(body.LocalVariables.Select(l => l.LocalType));
                named.AddRange(UsedInBody(type, method, body.GetILAsByteArray()!));
            }
        }

        // The nested types (closures, state machines) are parts of their declaring type.
        foreach (var nested in type.GetNestedTypes(Declared))
        {
            named.AddRange(Referenced(nested));
        }

        return named.SelectMany(Expand).Distinct();
    }

    /// <summary>The types whose members or tokens a method body's instructions name.</summary>
    private static List<Type> UsedInBody(Type type, MethodBase method, byte[] il)
    {
        var typeArguments = type.IsGenericType ? type.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var used = new List<Type>();
        var at = 0;
        while (at < il.Length)
        {
            short value = il[at++];
            if (value == 0xFE)
            {
                value = unchecked((short)(0xFE00 | il[at++]));
            }

            var opCode = OpCodesByValue[value];
            switch (opCode.OperandType)
            {
                case OperandType.InlineField:
                case OperandType.InlineMethod:
                case OperandType.InlineTok:
                case OperandType.InlineType:
                    var member = method.Module.ResolveMember(BitConverter.ToInt32(il, at), typeArguments, methodArguments);
                    used.AddRange(member switch
                    {
                        Type named => [named],
                        FieldInfo field => [field.DeclaringType!, field.FieldType],
                        MethodInfo called => [called.DeclaringType!, called.ReturnType, .. called.GetParameters().Select(p => p.ParameterType), .. called.IsGenericMethod ? called.GetGenericArguments() : []],
                        ConstructorInfo created => [created.DeclaringType!],
                        _ => [],
                    });
                    at += 4;
                    break;
                case OperandType.InlineSwitch:
                    at += 4 + (4 * BitConverter.ToInt32(il, at));
                    break;
                case OperandType.InlineI8:
                case OperandType.InlineR:
                    at += 8;
                    break;
                case OperandType.InlineVar:
                    at += 2;
                    break;
                case OperandType.ShortInlineBrTarget:
                case OperandType.ShortInlineI:
                case OperandType.ShortInlineVar:
                    at += 1;
                    break;
                case OperandType.InlineNone:
                    break;
                default:
                    at += 4;
                    break;
            }
        }

        return used;
    }

    /// <summary>A type with the types it is made of: element types and generic arguments.</summary>
    private static IEnumerable<Type> Expand(Type type)
    {
        yield return type;
        if (type.HasElementType)
        {
            foreach (var element in Expand(type.GetElementType()!))
            {
                yield return element;
            }
        }

        if (type.IsGenericType && !type.IsGenericTypeDefinition)
        {
            foreach (var argument in type.GetGenericArguments().SelectMany(Expand))
            {
                yield return argument;
            }
        }
    }
}
