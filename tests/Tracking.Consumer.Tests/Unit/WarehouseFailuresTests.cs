using System.Net;
using System.Net.Sockets;
using Amazon.S3;
using Npgsql;
using Tracking.Consumer.Loading;

namespace Tracking.Consumer.Tests.Unit;

public sealed class WarehouseFailuresTests
{
    [Theory]
    [InlineData("22P02")] // invalid text representation
    [InlineData("22003")] // numeric value out of range
    [InlineData("22021")] // character not in repertoire (bytes that are not UTF-8)
    [InlineData("22P05")] // untranslatable character (\u0000)
    [InlineData("23505")] // unique violation
    [InlineData("23502")] // not-null violation
    [InlineData("54000")] // program limit exceeded (an index row too large)
    public void PostgresRefusingTheDataIsNarrowedDownNotRetried(string sqlState)
    {
        var exception = Postgres(sqlState);

        Assert.True(PostgresLoader.IsRefusedData(exception));
        Assert.False(WarehouseFailures.IsUnavailable(exception));
    }

    [Theory]
    [InlineData("08006")] // connection failure
    [InlineData("08001")] // could not connect
    [InlineData("53300")] // too many connections
    [InlineData("53100")] // disk full
    [InlineData("57P01")] // admin shutdown
    [InlineData("57P03")] // cannot connect now (starting up)
    [InlineData("57014")] // statement timeout or cancel
    [InlineData("40001")] // serialization failure
    public void AWarehouseThatCannotWorkNowIsRetriedAndBlamesNoRecord(string sqlState)
    {
        var exception = Postgres(sqlState);

        Assert.True(WarehouseFailures.IsUnavailable(exception));
        Assert.False(PostgresLoader.IsRefusedData(exception));
    }

    [Fact]
    public void LostConnectionsTimeoutsAndAnS3ThatIsDownOrThrottlingAreUnavailability()
    {
        Assert.True(WarehouseFailures.IsUnavailable(new NpgsqlException("Exception while reading from stream", new EndOfStreamException())));
        Assert.True(WarehouseFailures.IsUnavailable(new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused))));
        Assert.True(WarehouseFailures.IsUnavailable(new TimeoutException()));
        Assert.True(WarehouseFailures.IsUnavailable(new HttpRequestException("no route")));
        Assert.True(WarehouseFailures.IsUnavailable(new AmazonS3Exception("down") { StatusCode = HttpStatusCode.ServiceUnavailable }));
        Assert.True(WarehouseFailures.IsUnavailable(new AmazonS3Exception("slow down") { StatusCode = HttpStatusCode.BadRequest, ErrorCode = "SlowDown" }));
    }

    [Fact]
    public void MistakesOfOursOrOfTheSetupAreNeitherRetriedHereNorBlamedOnTheData()
    {
        Assert.False(WarehouseFailures.IsUnavailable(Postgres("42P01"))); // undefined table
        Assert.False(WarehouseFailures.IsUnavailable(Postgres("42501"))); // insufficient privilege
        Assert.False(PostgresLoader.IsRefusedData(Postgres("42P01")));
        Assert.False(WarehouseFailures.IsUnavailable(new AmazonS3Exception("denied") { StatusCode = HttpStatusCode.Forbidden, ErrorCode = "AccessDenied" }));
        Assert.False(WarehouseFailures.IsUnavailable(new InvalidOperationException()));
    }

    private static PostgresException Postgres(string sqlState) => new("refused", "ERROR", "ERROR", sqlState);
}
