using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Tracking.Api.Telemetry;
using Tracking.Events;

namespace Tracking.Api.Ingestion;

/// <summary>
/// analytics.js 2.0 reports counters about itself (<c>{"series":[{"type":"Counter","metric":…,"value":…,"tags":{…}}]}</c>)
/// to <c>/v1/m</c>. They are not events: they are counted, never stored, and need no write key.
/// </summary>
internal static class ClientMetrics
{
    public static async Task<Results<Ok<ClientMetricsResponse>, ProblemHttpResult>> ReceiveAsync(HttpContext http, TrackingMetrics metrics, CancellationToken cancellationToken)
    {
        var (body, unreadable) = await RequestBody.ReadAsync(http.Request, ProtocolLimits.MaxMessageBytes, batch: false, cancellationToken);
        if (unreadable is not null)
        {
            return unreadable;
        }

        using (body)
        {
            if (JsonText.Scan(body!.Span).LoneSurrogateAt is var lone and >= 0)
            {
                return Refusals.LoneSurrogate(lone);
            }

            int series;
            try
            {
                series = CountSeries(body.Span);
            }
            catch (JsonException ex)
            {
                return Refusals.NotJson(ex);
            }

            metrics.ClientMetrics(series);
            return TypedResults.Ok(new ClientMetricsResponse(true, series));
        }
    }

    /// <summary>The number of items in the report's <c>series</c> array (0 when it has none).</summary>
    private static int CountSeries(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        var series = 0;
        if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isSeries = reader.ValueTextEquals("series"u8);
                reader.Read();
                if (isSeries && reader.TokenType == JsonTokenType.StartArray)
                {
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        reader.Skip();
                        series++;
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        else
        {
            reader.Skip();
        }

        while (reader.Read())
        {
            reader.Skip();
        }

        return series;
    }
}
