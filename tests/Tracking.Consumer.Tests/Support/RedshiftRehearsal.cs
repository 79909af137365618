using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Npgsql;
using Tracking.Aws;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Warehouse;
using Tracking.Testing.Emulators;

namespace Tracking.Consumer.Tests.Support;

/// <summary>
/// Runs the Redshift dialect's SQL on PostgreSQL. The database gets stand-ins for the Redshift names the shared
/// statements use (a <c>super</c> domain over <c>jsonb</c>, <c>json_parse</c>, <c>json_size</c>, <c>json_serialize</c> (failing past 65,535 bytes as Redshift's does) and <c>getdate</c> functions); the tables are created
/// without Redshift's DISTKEY/SORTKEY attributes; and <c>COPY … FROM 's3://…'</c>, which only Redshift runs, is
/// replaced by <see cref="StagedFileCopy"/>, which loads the very files the manifest lists.
/// </summary>
internal static class RedshiftRehearsal
{
    public static async Task PrepareDatabaseAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            CREATE DOMAIN super AS jsonb;
            CREATE FUNCTION json_parse(text) RETURNS super LANGUAGE sql IMMUTABLE AS 'SELECT $1::jsonb';
            CREATE FUNCTION getdate() RETURNS timestamp LANGUAGE sql STABLE AS 'SELECT now() AT TIME ZONE ''UTC''';
            CREATE FUNCTION json_size(super) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT octet_length($1::text)';
            -- As Redshift's: a value whose text is longer than a VARCHAR fails the statement.
            CREATE FUNCTION json_serialize(super) RETURNS json LANGUAGE plpgsql IMMUTABLE AS $$
            BEGIN
                IF octet_length($1::text) > 65535 THEN
                    RAISE EXCEPTION 'JSON_SERIALIZE: the result exceeds the VARCHAR limit';
                END IF;
                RETURN $1::json;
            END $$;
            """,
            connection);
        await command.ExecuteNonQueryAsync();
    }

    public static AmazonS3Client S3Client(S3rverFixture s3rver) =>
        S3Clients.Create(
            new AwsClientSettings { Region = S3rverFixture.Region, ServiceUrl = s3rver.ServiceUrl },
            new BasicAWSCredentials(S3rverFixture.AccessKey, S3rverFixture.SecretKey));

    public static RedshiftOptions Options(S3rverFixture s3rver, string prefix, int copyThresholdRows = 1000) => new()
    {
        S3Bucket = S3rverFixture.Bucket,
        S3Prefix = prefix,
        IamRole = "arn:aws:iam::123456789012:role/RedshiftCopy",
        CopyThresholdRows = copyThresholdRows,
        S3 = new AwsClientSettings { Region = S3rverFixture.Region, ServiceUrl = s3rver.ServiceUrl },
    };

    /// <summary>Keys under a prefix, to see what is staged.</summary>
    public static async Task<List<string>> KeysAsync(IAmazonS3 s3, string prefix)
    {
        var response = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = S3rverFixture.Bucket, Prefix = prefix + "/" });
        return (response.S3Objects ?? []).Select(o => o.Key).ToList();
    }
}

/// <summary>What a staged batch looked like on S3 when it was loaded.</summary>
internal sealed record StagedFiles(StagedBatch Batch, string Manifest, IReadOnlyList<(string Key, byte[] Body, string? ContentEncoding)> Parts);

/// <summary>
/// The stand-in for Redshift's <c>COPY … JSON 'auto ignorecase' GZIP MANIFEST</c> on PostgreSQL: reads the manifest
/// from S3, fails like a mandatory entry would when a file is missing, gunzips each file and loads each line by
/// matching its keys to column names (<c>json_populate_record</c>, as <c>'auto'</c> does). It keeps what it read.
/// </summary>
internal sealed class StagedFileCopy(IAmazonS3 s3) : IRedshiftCopy
{
    public List<StagedFiles> Copied { get; } = [];

    public async Task CopyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, StagedBatch staged, CancellationToken cancellationToken)
    {
        var manifest = await ReadAsync(staged.ManifestUrl);
        var parts = new List<(string, byte[], string?)>();
        using var document = JsonDocument.Parse(manifest.Body);
        foreach (var entry in document.RootElement.GetProperty("entries").EnumerateArray())
        {
            Assert.True(entry.GetProperty("mandatory").GetBoolean());
            var url = entry.GetProperty("url").GetString()!;
            var part = await ReadAsync(url);
            parts.Add((url, part.Body, part.ContentEncoding));
            using var gzip = new GZipStream(new MemoryStream(part.Body), CompressionMode.Decompress);
            using var reader = new StreamReader(gzip, new UTF8Encoding(false, throwOnInvalidBytes: true));
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                await using var insert = new NpgsqlCommand(
                    $"INSERT INTO {RedshiftSql.StagingTable} SELECT * FROM json_populate_record(NULL::{RedshiftSql.StagingTable}, $1::json)", connection, transaction);
                insert.Parameters.Add(new NpgsqlParameter { Value = line });
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        Copied.Add(new StagedFiles(staged, Encoding.UTF8.GetString(manifest.Body), parts));
    }

    private async Task<(byte[] Body, string? ContentEncoding)> ReadAsync(string url)
    {
        var uri = new Uri(url);
        Assert.Equal("s3", uri.Scheme);
        using var response = await s3.GetObjectAsync(uri.Host, uri.AbsolutePath.TrimStart('/'));
        using var body = new MemoryStream();
        await response.ResponseStream.CopyToAsync(body);
        return (body.ToArray(), response.Headers.ContentEncoding);
    }
}
