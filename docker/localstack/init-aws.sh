#!/usr/bin/env bash
# LocalStack runs this once it is ready (mounted into /etc/localstack/init/ready.d/): the Kinesis stream the API
# writes to and the consumer reads, and for Tracking__Sink=Firehose a bucket and a Direct PUT delivery stream into it.
# Names come from the compose file's environment, so the apps and this script cannot disagree.
set -euo pipefail
stream=${TRACKING_STREAM:-events}
shards=${TRACKING_SHARDS:-2}
bucket=${TRACKING_BUCKET:-tracking-events}
delivery=${TRACKING_DELIVERY_STREAM:-events-to-s3}

awslocal kinesis create-stream --stream-name "$stream" --shard-count "$shards"
awslocal kinesis wait stream-exists --stream-name "$stream"

awslocal s3 mb "s3://$bucket"
awslocal firehose create-delivery-stream --delivery-stream-name "$delivery" --delivery-stream-type DirectPut \
  --extended-s3-destination-configuration "{\"RoleARN\":\"arn:aws:iam::000000000000:role/firehose-to-s3\",\"BucketARN\":\"arn:aws:s3:::$bucket\",\"Prefix\":\"events/\",\"BufferingHints\":{\"SizeInMBs\":1,\"IntervalInSeconds\":60}}"

echo "tracking: stream $stream ($shards shards), bucket $bucket and delivery stream $delivery are ready"
