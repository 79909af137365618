using Microsoft.AspNetCore.Http.HttpResults;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Tracking.Consumer.Telemetry;
using Tracking.Consumer.Warehouse;

using Tracking.ServiceDefaults;

namespace Tracking.Consumer.Redrive;

/// <summary>
/// <c>POST /dead-letters/redrive</c> on the consumer's HTTP port, behind <c>Consumer:AdminKey</c> like
/// <c>/metrics</c>: reads <c>dead_letters</c> again (all, or by reason prefix, failure time and stream) and loads what
/// now loads. The body is optional JSON (<see cref="RedriveRequest"/>); the answer is a <see cref="RedriveResult"/>.
/// </summary>
internal static class RedriveEndpoints
{
    public const string Path = "/dead-letters/redrive";

    /// <summary>The largest request body: a filter, not data.</summary>
    private const int MaxBodyBytes = 16 * 1024;

    public static IServiceCollection AddRedrive(this IServiceCollection services)
    {
        services.AddSingleton<PostgresRedrive>();
        services.AddSingleton<RedshiftRedrive>();
        return services;
    }

    public static WebApplication MapRedriveEndpoints(this WebApplication app)
    {
        if (!OperationsEndpoints.AdminKeySet(app.Configuration))
        {
            return app;
        }

        app.MapPost(Path, async (HttpRequest request, IOptions<WarehouseOptions> warehouse, IServiceProvider services, CancellationToken cancellationToken) =>
        {
            var (redrive, problem) = await ReadAsync(request, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }

            if (warehouse.Value.Dialect == WarehouseDialect.Redshift)
            {
                return TypedResults.Json(
                    await services.GetRequiredService<RedshiftRedrive>().RunAsync(redrive!, cancellationToken),
                    RedriveJsonContext.Default.RedriveResult);
            }

            return TypedResults.Json(
                await services.GetRequiredService<PostgresRedrive>().RunAsync(redrive!, cancellationToken),
                RedriveJsonContext.Default.RedriveResult);
        }).RequireAdmin();
        return app;
    }

    private static ProblemHttpResult TooLarge() =>
        TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request body too large", detail: $"A re-drive request is a filter of at most {MaxBodyBytes} bytes.");

    private static async Task<(RedriveRequest? Request, IResult? Problem)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, TooLarge());
        }

        using var body = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (body.Length + read > MaxBodyBytes)
            {
                return (null, TooLarge());
            }

            body.Write(buffer, 0, read);
        }

        RedriveRequest? parsed;
        try
        {
            parsed = body.Length == 0 ? new RedriveRequest() : JsonSerializer.Deserialize(body.GetBuffer().AsSpan(0, (int)body.Length), RedriveJsonContext.Default.RedriveRequest);
        }
        catch (JsonException exception)
        {
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The body is not a re-drive request", detail: $"Expected a JSON object with optional reason, from, to, stream and dryRun: {exception.Message}"));
        }

        if (parsed is null)
        {
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The body is not a re-drive request", detail: "Expected a JSON object with optional reason, from, to, stream and dryRun; got null."));
        }

        var problems = parsed.Problems();
        return problems.Count > 0 ? (null, TypedResults.ValidationProblem(problems, title: "The re-drive request is not valid")) : (parsed, null);
    }
}
