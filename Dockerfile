# One build, two images: the API and the consumer.
#   docker build --target api -t tracking-api .
#   docker build --target consumer -t tracking-consumer .
# docker-compose.yml builds and runs both with LocalStack and PostgreSQL. The last stage (api) is the default target.

# analytics.js 2.0 for Segment's stock snippet (src/Tracking.Api/SdkSettings): the pinned npm package, installed
# where npm is, then handed to the build, which copies its files beside the API.
FROM node:22-bookworm-slim AS sdk-assets
WORKDIR /sdk-assets
COPY src/Tracking.Api/sdk-assets/package.json src/Tracking.Api/sdk-assets/package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts

# The enrichments' pattern data (src/Tracking.Api/Enrichment): uap-core's regexes, crawler-user-agents, the referrer
# table, pinned in enrichment-data/package.json and copied beside the API by the build.
FROM node:22-bookworm-slim AS enrichment-data
WORKDIR /enrichment-data
COPY src/Tracking.Api/enrichment-data/package.json src/Tracking.Api/enrichment-data/package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Tracking.Events/Tracking.Events.csproj src/Tracking.Events/
COPY src/Tracking.Aws/Tracking.Aws.csproj src/Tracking.Aws/
COPY src/Tracking.ServiceDefaults/Tracking.ServiceDefaults.csproj src/Tracking.ServiceDefaults/
COPY src/Tracking.Plans/Tracking.Plans.csproj src/Tracking.Plans/
COPY src/Tracking.Api/Tracking.Api.csproj src/Tracking.Api/
COPY src/Tracking.Consumer/Tracking.Consumer.csproj src/Tracking.Consumer/
COPY src/Tracking.Replay/Tracking.Replay.csproj src/Tracking.Replay/
# Restored apart from the sources, so a code change does not download the packages again.
RUN dotnet restore src/Tracking.Api/Tracking.Api.csproj \
 && dotnet restore src/Tracking.Consumer/Tracking.Consumer.csproj \
 && dotnet restore src/Tracking.Replay/Tracking.Replay.csproj
COPY src/ src/
COPY --from=sdk-assets /sdk-assets/node_modules src/Tracking.Api/sdk-assets/node_modules
COPY --from=enrichment-data /enrichment-data/node_modules src/Tracking.Api/enrichment-data/node_modules
# Framework-dependent and without the native launcher: the runtime image has dotnet, the image stays small.
RUN dotnet publish src/Tracking.Api/Tracking.Api.csproj -c Release -o /out/api --no-restore -p:UseAppHost=false \
 && dotnet publish src/Tracking.Consumer/Tracking.Consumer.csproj -c Release -o /out/consumer --no-restore -p:UseAppHost=false \
 && dotnet publish src/Tracking.Replay/Tracking.Replay.csproj -c Release -o /out/consumer/replay --no-restore -p:UseAppHost=false

# The runtime both images share: ASP.NET Core only (no SDK), the non-root user the image defines ($APP_UID),
# and the health probe.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
COPY docker/healthcheck.sh /usr/local/bin/healthcheck.sh
ENV HEALTH_PATH=/health/live
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["bash", "/usr/local/bin/healthcheck.sh"]

FROM runtime AS consumer
WORKDIR /app
COPY --from=build /out/consumer .
# Consumer:Http:Urls serves the health endpoints; the consumer takes no other HTTP setting.
ENV DOTNET_ENVIRONMENT=Production \
    ASPNETCORE_ENVIRONMENT=Production \
    Consumer__Http__Urls=http://+:8081 \
    HEALTH_PORT=8081
EXPOSE 8081
USER $APP_UID
# The replay command ships beside it: docker run --entrypoint dotnet tracking-consumer replay/Tracking.Replay.dll --help
ENTRYPOINT ["dotnet", "Tracking.Consumer.dll"]

FROM runtime AS api
WORKDIR /app
COPY --from=build /out/api .
# The spool (what a 200 promises) and the File sink's outbox live on a volume, so accepted events survive the container.
RUN mkdir -p /data/spool /data/outbox && chown -R $APP_UID /data
VOLUME /data
ENV ASPNETCORE_URLS=http://+:8080 \
    ASPNETCORE_ENVIRONMENT=Production \
    Tracking__Spool__Directory=/data/spool \
    Tracking__File__Directory=/data/outbox \
    HEALTH_PORT=8080
EXPOSE 8080
USER $APP_UID
ENTRYPOINT ["dotnet", "Tracking.Api.dll"]
