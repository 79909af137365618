using System.Reflection;
using System.Runtime.Loader;

namespace Tracking.Consumer.Tests.Support;

/// <summary>
/// The settings the built API and consumer read: every options class (a type with a <c>Section</c> constant) of both
/// assemblies and its public settable properties, found by reflection, so a deployment file can be checked against
/// the code rather than against a list kept by hand. The API is loaded into its own context with its own dependencies.
/// </summary>
public sealed class SettingsCatalog
{
    // Several classes may read one section (Tracking: the sink choice and the admin key).
    private readonly Dictionary<string, List<Type>> _sections = new(StringComparer.OrdinalIgnoreCase);

    private SettingsCatalog()
    {
    }

    /// <summary>Every section found, e.g. <c>Tracking:Kinesis</c>, <c>Consumer:Warehouse</c>.</summary>
    public IReadOnlyCollection<string> Sections => _sections.Keys;

    public static SettingsCatalog Load()
    {
        var catalog = new SettingsCatalog();
        catalog.Add(new AppContext(ConsumerProcess.ApiAssemblyPath).Main);
        catalog.Add(new AppContext(ConsumerProcess.AssemblyPath).Main);
        return catalog;
    }

    /// <summary>
    /// Whether <paramref name="key"/>, in environment form (<c>Tracking__Kinesis__StreamName</c>) or configuration form
    /// (<c>Tracking:Kinesis:StreamName</c>), names a property of an options class; why not otherwise.
    /// </summary>
    public string? Problem(string key)
    {
        var path = key.Replace("__", ":", StringComparison.Ordinal).Split(':');
        if (path.Length < 2)
        {
            return $"{key}: not a section and a setting";
        }

        var section = string.Join(':', path[..^1]);
        if (!_sections.TryGetValue(section, out var types))
        {
            return $"{key}: no options class reads the section '{section}' (known: {string.Join(", ", _sections.Keys.Order())})";
        }

        return types.Any(type => type.GetProperty(path[^1], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase) is { CanWrite: true })
            ? null
            : $"{key}: {string.Join(", ", types.Select(t => t.Name))} ({section}) have no setting '{path[^1]}'";
    }

    private void Add(Assembly assembly)
    {
        Type?[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException partial)
        {
            types = partial.Types;
        }

        foreach (var type in types)
        {
            if (type?.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } field && field.GetRawConstantValue() is string section)
            {
                if (!_sections.TryGetValue(section, out var readers))
                {
                    _sections[section] = readers = [];
                }

                readers.Add(type);
            }
        }
    }

    /// <summary>An app's assembly with its dependencies resolved from its own folder, as the app itself would.</summary>
    private sealed class AppContext : AssemblyLoadContext
    {
        private readonly AssemblyDependencyResolver _resolver;

        public AppContext(string path)
            : base($"settings of {Path.GetFileName(path)}", isCollectible: true)
        {
            _resolver = new AssemblyDependencyResolver(path);
            Main = LoadFromAssemblyPath(path);
        }

        public Assembly Main { get; }

        protected override Assembly? Load(AssemblyName assemblyName) =>
            _resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadFromAssemblyPath(path) : null;
    }
}
