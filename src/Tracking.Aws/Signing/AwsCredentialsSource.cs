using Amazon.Runtime;
using Amazon.Runtime.Credentials;

namespace Tracking.Aws.Signing;

/// <summary>
/// The credentials a client signs with: those it was given, else AWSSDK.Core's default chain
/// (environment variables, web identity, shared profiles, container and instance metadata). The chain's
/// resolver caches its result and notices profile or environment changes, so it is kept for the client's life.
/// </summary>
internal sealed class AwsCredentialsSource : IDisposable
{
    private readonly AWSCredentials? _configured;
    private readonly DefaultAWSCredentialsIdentityResolver? _defaultChain;

    public AwsCredentialsSource(AWSCredentials? configured)
    {
        _configured = configured;
        _defaultChain = configured is null ? new DefaultAWSCredentialsIdentityResolver() : null;
    }

    public async Task<ImmutableCredentials> GetAsync(CancellationToken cancellationToken)
    {
        var credentials = _configured
            ?? await _defaultChain!.ResolveIdentityAsync(clientConfig: null, cancellationToken).ConfigureAwait(false);
        return await credentials.GetCredentialsAsync().ConfigureAwait(false);
    }

    public void Dispose() => _defaultChain?.Dispose();
}
