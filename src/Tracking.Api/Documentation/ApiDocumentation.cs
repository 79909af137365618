using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

using Tracking.ServiceDefaults;

namespace Tracking.Api.Documentation;

/// <summary>The OpenAPI document at <c>/swagger/v1/swagger.json</c> and Swagger UI at <c>/swagger</c>.</summary>
internal static class ApiDocumentation
{
    public const string DocumentName = "v1";
    public const string DocumentPath = "/swagger/v1/swagger.json";

    public static IServiceCollection AddApiDocumentation(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc(DocumentName, new OpenApiInfo
            {
                Title = "Tracking API",
                Version = "v1",
                Description = "A Segment-compatible HTTP Tracking API. Authenticate with the source's write key as the user name of HTTP Basic auth " +
                              "(password empty), or as \"writeKey\" in the body. Bodies may be application/json or text/plain, plain or gzip; " +
                              "at most 32 KB per message and 500 KB per batch after decompression. " +
                              "Try it out: press Authorize and enter the write key as Username with an empty Password (in Development without configured keys, nothing to enter). " +
                              "Each Execute sends the example with a new messageId: the warehouse keeps only the first message of each messageId.",
            });
            options.AddSecurityDefinition("writeKey", new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "basic",
                Description = "Username: the source's write key (a key of Tracking:WriteKeys). Password: leave it empty. " +
                              "In Development with no write keys configured, every key is accepted and Swagger UI sends the key \"development\" by itself: Execute works without Authorize.",
            });
            options.AddSecurityRequirement(document => new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference("writeKey", document)] = [],
            });
            options.AddSecurityDefinition(AdminOperations.Scheme, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "The admin key (Tracking:AdminKey) as the bearer token; browsers use the session cookie of /admin/login instead. The operations endpoints exist only when the key is set.",
            });
            options.OperationFilter<AdminOperations>();
            options.DocumentFilter<MetricsDocument>();
            var xml = Path.Combine(AppContext.BaseDirectory, "Tracking.Api.xml");
            if (File.Exists(xml))
            {
                options.IncludeXmlComments(xml);
            }

            options.OperationFilter<RequestExamples>();

            // Free-form objects: any JSON object, as the Segment spec allows for properties, traits and context.
            options.MapType<System.Text.Json.Nodes.JsonObject>(() => new OpenApiSchema { Type = JsonSchemaType.Object, AdditionalPropertiesAllowed = true });
        });
        return services;
    }

    public static WebApplication MapApiDocumentation(this WebApplication app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(options =>
        {
            options.SwaggerEndpoint(DocumentPath, "Tracking API v1");
            options.DocumentTitle = "Tracking API";
            options.UseRequestInterceptor(SwaggerUiRequests.Interceptor(app.Services.GetRequiredService<Ingestion.WriteKeys>().AcceptsAnyKey));
        });
        return app;
    }

    /// <summary>
    /// Documents each endpoint's body (JSON or text/plain, with an example "Try it out" can send).
    /// Declared here rather than with <c>Accepts</c>, whose content-type constraint would answer
    /// 415 in routing before the endpoint could explain what it accepts.
    /// </summary>
    private sealed class RequestExamples : IOperationFilter
    {
        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            var metadata = context.ApiDescription.ActionDescriptor.EndpointMetadata;
            if (metadata.OfType<RequestBodySchema>().FirstOrDefault() is not { } body)
            {
                return;
            }

            var name = metadata.OfType<IEndpointNameMetadata>().First().EndpointName;
            var schema = context.SchemaGenerator.GenerateSchema(body.Type, context.SchemaRepository);
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, IOpenApiMediaType>
                {
                    [MessageSchemas.Json] = new OpenApiMediaType { Schema = schema, Example = MessageSchemas.ExampleFor(name) },
                    [MessageSchemas.PlainText] = new OpenApiMediaType { Schema = schema, Example = MessageSchemas.ExampleFor(name) },
                },
            };
        }
    }

    /// <summary>The operations endpoints take the admin key, not a write key.</summary>
    private sealed class AdminOperations : IOperationFilter
    {
        public const string Scheme = "adminKey";

        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            var authorize = context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<Microsoft.AspNetCore.Authorization.IAuthorizeData>();
            if (authorize.Any(a => a.Policy == AdminAccess.Policy))
            {
                operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Scheme, context.Document)] = [] }];
            }
        }
    }

    /// <summary>
    /// <c>/metrics</c> is the Prometheus exporter's middleware, not a route handler the API explorer sees;
    /// described here when it is served.
    /// </summary>
    private sealed class MetricsDocument(Microsoft.Extensions.Options.IOptions<Admin.AdminOptions> admin) : IDocumentFilter
    {
        public void Apply(OpenApiDocument swaggerDoc, DocumentFilterContext context)
        {
            if (!admin.Value.Enabled)
            {
                return;
            }

            var operation = new OpenApiOperation
            {
                OperationId = "Metrics",
                Summary = "The API's metrics in the Prometheus text format",
                Description = "The Tracking.Api meter (events accepted and rejected, delivered, failed, recovered, queue depth, ...) and ASP.NET Core's " +
                              "request and connection instruments, for a Prometheus scraper (bearer_token or authorization in its scrape config).",
                Tags = new HashSet<OpenApiTagReference> { new(Status.StatusApi.Tag, swaggerDoc) },
                Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(AdminOperations.Scheme, swaggerDoc)] = [] }],
                Responses = new OpenApiResponses
                {
                    ["200"] = new OpenApiResponse
                    {
                        Description = "The exposition, text/plain; version=0.0.4 (or OpenMetrics when asked for).",
                        Content = new Dictionary<string, IOpenApiMediaType> { ["text/plain"] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String } } },
                    },
                    ["401"] = new OpenApiResponse { Description = "No admin key, or a wrong one (a problem document)." },
                },
            };
            swaggerDoc.Paths[Telemetry.MetricsEndpoint.Path] = new OpenApiPathItem { Operations = new Dictionary<HttpMethod, OpenApiOperation> { [HttpMethod.Get] = operation } };
        }
    }
}
