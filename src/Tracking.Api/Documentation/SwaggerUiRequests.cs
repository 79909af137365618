using System.Text.Json.Nodes;

namespace Tracking.Api.Documentation;

/// <summary>
/// Swagger UI's request interceptor: what "Try it out" adds to every request it sends. It marks the
/// request as a script's (<c>X-Requested-With</c>), so a 401 comes without the Basic challenge that
/// would open the browser's own sign-in box; when every write key is accepted (Development without
/// <c>Tracking:WriteKeys</c>) it signs requests that carry no key with the write key "development", so
/// the first Execute is answered 200; and it replaces the examples' fixed <c>messageId</c>s with new
/// ones, since a second message with the same id is dropped as a duplicate in the warehouse.
/// </summary>
internal static class SwaggerUiRequests
{
    /// <summary>The key "Try it out" sends when any key is accepted.</summary>
    public const string DevelopmentWriteKey = "development";

    /// <summary>The <c>Authorization</c> header "Try it out" sends when any key is accepted.</summary>
    public static string DevelopmentAuthorization => "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(DevelopmentWriteKey + ":"));

    /// <summary>The interceptor's JavaScript, for <c>SwaggerUIOptions.UseRequestInterceptor</c>.</summary>
    public static string Interceptor(bool signWithDevelopmentKey)
    {
        var exampleIds = new JsonArray([.. ExampleMessageIds().Select(id => JsonValue.Create(id))]).ToJsonString();
        var authorization = JsonValue.Create(DevelopmentAuthorization).ToJsonString();
        // Emitted only when every key is accepted, so a page with configured keys holds nothing that authenticates.
        var sign = signWithDevelopmentKey
            ? $$"""
              if (!request.headers.Authorization && !request.headers.authorization) {
                request.headers.Authorization = {{authorization}};
              }
            """
            : "";
        return $$"""
            (request) => {
              request.headers['X-Requested-With'] = 'XMLHttpRequest';
            {{sign}}
              const exampleIds = {{exampleIds}};
              const newId = () => {
                const b = crypto.getRandomValues(new Uint8Array(16));
                b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
                const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
                return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
              };
              if (typeof request.body === 'string' && new URL(request.url, location.href).pathname.startsWith('/v1/')) {
                try {
                  const body = JSON.parse(request.body);
                  let changed = false;
                  for (const message of [body, ...(Array.isArray(body?.batch) ? body.batch : [])]) {
                    if (message && typeof message === 'object' && exampleIds.includes(message.messageId)) {
                      message.messageId = newId();
                      changed = true;
                    }
                  }
                  if (changed) request.body = JSON.stringify(body);
                } catch {
                  // Not JSON: sent as typed, for the API to explain.
                }
              }
              return request;
            }
            """;
    }

    /// <summary>Every <c>messageId</c> in the examples, top level and in batches.</summary>
    public static IEnumerable<string> ExampleMessageIds()
    {
        foreach (var json in MessageSchemas.Examples.Values)
        {
            var example = JsonNode.Parse(json)!.AsObject();
            var messages = example["batch"] is JsonArray batch ? batch.Select(m => m!.AsObject()) : [example];
            foreach (var message in messages)
            {
                if (message["messageId"]?.GetValue<string>() is { } id)
                {
                    yield return id;
                }
            }
        }
    }
}
