# The tracking API. Build: docker build -t tracking-api .
# Run:   docker run -p 8080:8080 -e Tracking__WriteKeys__<key>=<source> -v tracking-data:/data tracking-api
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Tracking.Events/Tracking.Events.csproj src/Tracking.Events/
COPY src/Tracking.Aws/Tracking.Aws.csproj src/Tracking.Aws/
COPY src/Tracking.Api/Tracking.Api.csproj src/Tracking.Api/
RUN dotnet restore src/Tracking.Api/Tracking.Api.csproj
COPY src/ src/
RUN dotnet publish src/Tracking.Api/Tracking.Api.csproj -c Release -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# The File sink's outbox lives on a volume so accepted events survive the container.
RUN mkdir -p /data/outbox && chown -R $APP_UID /data
VOLUME /data
ENV ASPNETCORE_URLS=http://+:8080 \
    ASPNETCORE_ENVIRONMENT=Production \
    Tracking__File__Directory=/data/outbox
EXPOSE 8080
USER $APP_UID
ENTRYPOINT ["dotnet", "Tracking.Api.dll"]
