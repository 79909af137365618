using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Tracking.ServiceDefaults;

/// <summary>How both hosts register options: bound from their section and checked when the host starts, not at first use.</summary>
public static class ValidatedOptions
{
    /// <summary>
    /// Binds <typeparamref name="TOptions"/> to <paramref name="section"/> and validates it on start with its own
    /// <see cref="IValidatedOptions.Validate"/>; a refused start lists every broken rule. Returns the builder for
    /// further configuration (e.g. <see cref="AwsClientSetup.UseDefaultRegion{TOptions}"/>), which runs before validation.
    /// </summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this IServiceCollection services, string section)
        where TOptions : class, IValidatedOptions
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.AddValidatedOptions<TOptions>().BindConfiguration(section);
    }

    /// <summary>
    /// Validates <typeparamref name="TOptions"/> on start with its own <see cref="IValidatedOptions.Validate"/>, for
    /// options filled by code rather than bound from one section.
    /// </summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this IServiceCollection services)
        where TOptions : class, IValidatedOptions
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, ValidatedOptionsAdapter<TOptions>>());
        return services.AddOptions<TOptions>().ValidateOnStart();
    }
}
