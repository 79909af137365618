using System.Text.Json.Serialization;

namespace Tracking.Aws.Firehose;

/// <summary>Source-generated serialisation of the Firehose operations: names as AWS spells them, nulls omitted.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PutRecordBatchRequest))]
[JsonSerializable(typeof(PutRecordBatchResponse))]
[JsonSerializable(typeof(DescribeDeliveryStreamRequest))]
[JsonSerializable(typeof(DescribeDeliveryStreamResponse))]
internal sealed partial class FirehoseJsonContext : JsonSerializerContext;
