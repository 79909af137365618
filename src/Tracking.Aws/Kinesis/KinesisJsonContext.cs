using System.Text.Json.Serialization;

namespace Tracking.Aws.Kinesis;

/// <summary>Source-generated serialisation of the Kinesis operations: names as AWS spells them, nulls omitted.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PutRecordsRequest))]
[JsonSerializable(typeof(PutRecordsResponse))]
[JsonSerializable(typeof(ListShardsRequest))]
[JsonSerializable(typeof(ListShardsResponse))]
[JsonSerializable(typeof(DescribeStreamSummaryRequest))]
[JsonSerializable(typeof(DescribeStreamSummaryResponse))]
[JsonSerializable(typeof(GetShardIteratorRequest))]
[JsonSerializable(typeof(GetShardIteratorResponse))]
[JsonSerializable(typeof(GetRecordsRequest))]
[JsonSerializable(typeof(GetRecordsResponse))]
[JsonSerializable(typeof(CreateStreamRequest))]
[JsonSerializable(typeof(DeleteStreamRequest))]
[JsonSerializable(typeof(SplitShardRequest))]
[JsonSerializable(typeof(MergeShardsRequest))]
internal sealed partial class KinesisJsonContext : JsonSerializerContext;
