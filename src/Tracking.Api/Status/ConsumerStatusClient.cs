using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Options;
using Tracking.Api.Admin;
using Tracking.Events;

namespace Tracking.Api.Status;

/// <summary>
/// Asks the consumer (<c>Tracking:Status:ConsumerUrl</c>) for its <c>/status.json</c> with a short timeout,
/// so the status page can show the lag of each shard, or why the consumer could not be asked.
/// </summary>
internal sealed class ConsumerStatusClient(HttpClient http, IOptions<StatusOptions> options, IOptions<AdminOptions> admin)
{
    public const string HttpClientName = "consumer-status";

    public async Task<ConsumerView> FetchAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (settings.ConsumerUrl is not { } baseUrl)
        {
            return new ConsumerView("not configured", null, null, null);
        }

        var url = new Uri(baseUrl, "status.json");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.ConsumerTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.ConsumerKey ?? admin.Value.AdminKey);
            using var response = await http.SendAsync(request, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                return new ConsumerView("unreachable", url.ToString(), $"{url} answered {(int)response.StatusCode} {response.ReasonPhrase}", null);
            }

            var status = await response.Content.ReadFromJsonAsync(StatusJsonContext.Default.ConsumerStatus, timeout.Token);
            return new ConsumerView("reachable", url.ToString(), null, status);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ConsumerView("unreachable", url.ToString(), $"{url} did not answer within {settings.ConsumerTimeout.TotalSeconds:0.###} s", null);
        }
        catch (Exception exception) when (exception is HttpRequestException or System.Text.Json.JsonException or NotSupportedException)
        {
            return new ConsumerView("unreachable", url.ToString(), $"{url}: {exception.Message}", null);
        }
    }
}

/// <summary>The consumer as the API sees it.</summary>
/// <param name="State"><c>reachable</c>, <c>unreachable</c> or <c>not configured</c> (no <c>Tracking:Status:ConsumerUrl</c>).</param>
/// <param name="Url">Where it was asked.</param>
/// <param name="Error">Why it could not be asked.</param>
/// <param name="Status">What it said.</param>
internal sealed record ConsumerView(string State, string? Url, string? Error, ConsumerStatus? Status);
