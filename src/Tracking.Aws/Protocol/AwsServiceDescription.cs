namespace Tracking.Aws.Protocol;

/// <summary>What distinguishes one JSON 1.1 service from another on the wire.</summary>
/// <param name="SigningName">The SigV4 service name in the credential scope, e.g. <c>kinesis</c>.</param>
/// <param name="EndpointPrefix">The first label of the regional host name, e.g. <c>kinesis</c> in <c>kinesis.us-east-1.amazonaws.com</c>.</param>
/// <param name="TargetPrefix">The <c>X-Amz-Target</c> prefix before the operation name, e.g. <c>Kinesis_20131202</c>.</param>
internal sealed record AwsServiceDescription(string SigningName, string EndpointPrefix, string TargetPrefix);
