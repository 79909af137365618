using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Tracking.Api.Ingestion;

namespace Tracking.Api.Debugger;

/// <summary>
/// Shows the debugger every refusal of the ingestion endpoints, by wrapping them (the endpoint filters'
/// refusals included): the whole request's problem, or each refused item of a batch. While no debugger is
/// connected it costs one volatile read per request.
/// </summary>
internal sealed class RefusalTap(EventTap tap, TimeProvider time) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var pending = next(context);
        return tap.Watching == 0 ? pending : ObserveAsync(context.HttpContext, pending);
    }

    private async ValueTask<object?> ObserveAsync(HttpContext http, ValueTask<object?> pending)
    {
        var result = await pending;
        var refused = Describe(http, result is INestedHttpResult nested ? nested.Result : result);
        if (refused.Count > 0)
        {
            tap.ObserveRefused(refused);
        }

        return result;
    }

    /// <summary>Shows a refusal answered outside the endpoint (the concurrency limiter's 429 and 503).</summary>
    public void Observe(HttpContext http, ProblemHttpResult refusal)
    {
        if (tap.Watching > 0)
        {
            tap.ObserveRefused(Describe(http, refusal));
        }
    }

    private List<byte[]> Describe(HttpContext http, object? result)
    {
        var details = http.Features.Get<TappedRequest>();
        var messages = details?.Parsed.Messages;
        var batch = details is { Batch: true };
        var single = details is { Batch: false } && messages!.Count == 1 ? messages[0] : null;
        var refused = new List<byte[]>();
        switch (result)
        {
            case ProblemHttpResult problem:
                refused.Add(Json(http, problem.StatusCode, problem.ProblemDetails.Title, problem.ProblemDetails.Detail, null, single, null, batch ? details!.Parsed.MessageCount : null));
                break;
            case ValidationProblem invalid when batch:
                foreach (var item in details!.Rejected)
                {
                    refused.Add(Json(http, invalid.StatusCode, "Invalid message", invalid.ProblemDetails.Detail, item.Errors, At(messages!, item.Index), item.Index, null));
                }

                break;
            case ValidationProblem invalid:
                refused.Add(Json(http, invalid.StatusCode, invalid.ProblemDetails.Title, invalid.ProblemDetails.Detail, invalid.ProblemDetails.Errors, single, null, null));
                break;
            case Ok<IngestionResponse> when details is { Rejected.Count: > 0 }:
                foreach (var item in details.Rejected)
                {
                    refused.Add(Json(http, StatusCodes.Status200OK, Title(item.Kind), "The batch was answered 200; this item was left out and listed in the answer's 'rejected'.", item.Errors, At(messages!, item.Index), item.Index, null));
                }

                break;
        }

        return refused;
    }

    private static string Title(RejectionKind kind) => kind switch
    {
        RejectionKind.TooLargeAsSent => "Message too large",
        RejectionKind.TooLargeEnriched => "Message too large once enriched",
        _ => "Invalid message",
    };

    private static IncomingMessage? At(List<IncomingMessage> messages, int index) =>
        messages.Find(m => m.Index == index);

    private byte[] Json(HttpContext http, int status, string? title, string? detail, IDictionary<string, string[]>? errors, IncomingMessage? message, int? index, int? count) =>
        JsonSerializer.SerializeToUtf8Bytes(
            new RefusedMessage(
                true,
                status,
                title,
                detail,
                errors,
                http.Request.Path.Value ?? "",
                time.GetUtcNow(),
                http.Features.Get<AuthenticatedSource>()?.Name,
                index,
                count,
                message?.TypeName,
                message?.Event ?? message?.Name,
                message?.MessageId,
                message?.UserId,
                message?.AnonymousId),
            DebuggerJsonContext.Default.RefusedMessage);
}
