using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

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
                              "at most 32 KB per message and 500 KB per batch after decompression.",
            });
            options.AddSecurityDefinition("writeKey", new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "basic",
                Description = "User name: the write key. Password: empty.",
            });
            options.AddSecurityRequirement(document => new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference("writeKey", document)] = [],
            });
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
}
