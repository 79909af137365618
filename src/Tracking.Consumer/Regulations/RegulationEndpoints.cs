using System.Text.Json;
using Microsoft.Extensions.Options;
using Tracking.Consumer.Telemetry;
using Tracking.Consumer.Warehouse;

using Tracking.ServiceDefaults;

namespace Tracking.Consumer.Regulations;

/// <summary>
/// <c>POST /regulations</c> deletes a user's events and dead letters from the warehouse and answers what it removed;
/// <c>GET /regulations</c> lists the last 100 run. On the consumer's HTTP port, behind <c>Consumer:AdminKey</c> like
/// <c>/metrics</c>, and not served without it.
/// </summary>
internal static class RegulationEndpoints
{
    public const string Path = "/regulations";

    /// <summary>The largest request body: two ids, not data.</summary>
    private const int MaxBodyBytes = 4 * 1024;

    public static IServiceCollection AddRegulations(this IServiceCollection services)
    {
        services.AddSingleton<PostgresRegulations>();
        services.AddSingleton<RedshiftRegulations>();
        services.AddSingleton<IRegulations>(sp => sp.GetRequiredService<IOptions<WarehouseOptions>>().Value.Dialect == WarehouseDialect.Redshift
            ? sp.GetRequiredService<RedshiftRegulations>()
            : sp.GetRequiredService<PostgresRegulations>());
        return services;
    }

    public static WebApplication MapRegulationEndpoints(this WebApplication app)
    {
        if (!OperationsEndpoints.AdminKeySet(app.Configuration))
        {
            return app;
        }

        app.MapPost(Path, async (HttpRequest request, IRegulations regulations, CancellationToken cancellationToken) =>
        {
            var (deletion, problem) = await ReadAsync(request, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }

            var result = await regulations.DeleteAsync(deletion!, cancellationToken);
            return result.Outcome == RegulationKinds.Completed
                ? TypedResults.Json(result, RegulationJsonContext.Default.RegulationResult)
                : TypedResults.Problem(
                    statusCode: StatusCodes.Status503ServiceUnavailable,
                    title: "The deletion failed and deleted nothing",
                    detail: $"{result.Error} It is recorded as failed regulation {result.Id}; run it again once the warehouse answers.",
                    extensions: new Dictionary<string, object?> { ["regulation"] = result.Id });
        }).RequireAdmin();
        app.MapGet(Path, async (IRegulations regulations, CancellationToken cancellationToken) =>
            TypedResults.Json(await regulations.ListAsync(cancellationToken), RegulationJsonContext.Default.RegulationList))
            .RequireAdmin();
        return app;
    }

    private static async Task<(RegulationRequest? Request, IResult? Problem)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var tooLarge = TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request body too large", detail: $"A deletion request is at most {MaxBodyBytes} bytes.");
        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, tooLarge);
        }

        using var body = new MemoryStream();
        var buffer = new byte[1024];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (body.Length + read > MaxBodyBytes)
            {
                return (null, tooLarge);
            }

            body.Write(buffer, 0, read);
        }

        const string Expected = "Expected a JSON object with userId or anonymousId, and requestedBy";
        RegulationRequest? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(body.GetBuffer().AsSpan(0, (int)body.Length), RegulationJsonContext.Default.RegulationRequest);
        }
        catch (JsonException exception)
        {
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The body is not a deletion request", detail: $"{Expected}: {exception.Message}"));
        }

        if (parsed is null)
        {
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The body is not a deletion request", detail: $"{Expected}; got null."));
        }

        var problems = parsed.Problems();
        return problems.Count > 0 ? (null, TypedResults.ValidationProblem(problems, title: "The deletion request is not valid")) : (parsed, null);
    }
}
