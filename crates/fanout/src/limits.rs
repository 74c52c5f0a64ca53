//! AWS limits that fanout checks before CloudFormation or AWS would reject a template.
//!
//! Each bound is taken from the AWS documentation cited beside it.

/// SQS queue name, including `.fifo` (CreateQueue `QueueName`).
pub const QUEUE_NAME: usize = 80;
/// SNS topic name, including `.fifo` (CreateTopic `Name`).
pub const TOPIC_NAME: usize = 256;
/// SSM parameter name (the API's 2048 less the 1037 reserved for internal use).
pub const SSM_PARAMETER_NAME: usize = 1011;
/// SSM parameter hierarchy depth.
pub const SSM_PARAMETER_LEVELS: usize = 15;
/// CloudFormation stack name.
pub const STACK_NAME: usize = 128;
/// CloudFormation template `Description`.
pub const TEMPLATE_DESCRIPTION: usize = 1024;
/// Template body sent inline with a request; larger ones go through S3.
pub const TEMPLATE_BODY_INLINE: usize = 51_200;
/// Template body uploaded through S3, in bytes.
pub const TEMPLATE_BODY: usize = 1_000_000;
/// Resources per template.
pub const RESOURCES: usize = 500;
/// Outputs per template.
pub const OUTPUTS: usize = 200;
/// Parameters per template.
pub const PARAMETERS: usize = 200;
/// Characters in the value of a standard-tier SSM parameter.
pub const SSM_STANDARD_PARAMETER_VALUE: usize = 4_096;
/// Tags per resource.
pub const TAGS_PER_RESOURCE: usize = 50;
/// Tag key length.
pub const TAG_KEY: usize = 128;
/// Tag value length.
pub const TAG_VALUE: usize = 256;
/// Statements in one SQS access policy.
pub const QUEUE_POLICY_STATEMENTS: usize = 20;
/// Size of one SNS message, in bytes: the largest event `fanout event check` reads.
pub const SNS_MESSAGE_BYTES: usize = 256 * 1024;
/// Message attributes SNS delivers with one message to an SQS queue with raw message
/// delivery (more are discarded as a client-side error).
pub const MESSAGE_ATTRIBUTES: usize = 10;
/// Characters in an SNS message attribute name.
pub const ATTRIBUTE_NAME: usize = 256;
/// Keys in one SNS filter policy.
pub const FILTER_KEYS: usize = 5;
/// Value combinations (product of the values per key) in one SNS filter policy.
pub const FILTER_COMBINATIONS: u64 = 150;
/// Size of one SNS filter policy.
pub const FILTER_POLICY_BYTES: usize = 256 * 1024;
/// SQS `VisibilityTimeout`, seconds.
pub const VISIBILITY_TIMEOUT: (u32, u32) = (0, 43_200);
/// SQS `MessageRetentionPeriod`, seconds.
pub const RETENTION: (u32, u32) = (60, 1_209_600);
/// SQS `ReceiveMessageWaitTimeSeconds`.
pub const RECEIVE_WAIT: (u32, u32) = (0, 20);
/// SQS `DelaySeconds`.
pub const DELAY: (u32, u32) = (0, 900);
/// SQS redrive `maxReceiveCount`.
pub const MAX_RECEIVE_COUNT: (u16, u16) = (1, 1_000);
/// API Gateway's default throttle quota per account and Region, in requests per second,
/// shared by every API there (2,500 in some newer Regions); it can be raised on request.
pub const API_ACCOUNT_RATE: i64 = 10_000;
/// API Gateway's default burst quota per account and Region (1,250 in some newer Regions).
pub const API_ACCOUNT_BURST: i64 = 5_000;
/// The largest throttling limit a stage takes (`ThrottlingBurstLimit` is a 32-bit integer
/// in API Gateway's API).
pub const API_THROTTLE_MAX: i64 = i32::MAX as i64;
