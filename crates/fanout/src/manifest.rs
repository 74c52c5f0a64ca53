//! The manifest: the YAML a domain team writes, as serde types.
//!
//! These types are the user-facing contract and the source of the JSON Schema
//! (`fanout schema`) and of the manifest reference. They are deliberately loose (strings,
//! optional fields): [`crate::model`] is where a manifest becomes a checked [`crate::Domain`].
//!
//! Every struct denies unknown fields. A field is read by serde from the positioned tree
//! of [`crate::yaml`], so it needs nothing beyond its type and doc comment; the hint for a
//! value of the wrong type is in `read.rs`. The two choices that are either a word or a
//! mapping (`encryption`, `dead_letter`) implement `Deserialize` by hand, so that a wrong
//! value is told what is expected in the manifest's words.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

/// One domain: the topics it publishes and the queues it consumes with.
///
/// Lives in `domains/<domain>.yaml`; the file name must match `domain`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "fanout domain manifest")]
pub struct DomainManifest {
    /// The domain's name: lowercase letters, digits and single hyphens, starting with a
    /// letter. It prefixes every physical name (`{stage}-{domain}-{name}`) and the stack name.
    #[schemars(regex(pattern = r"^[a-z]([a-z0-9]|-[a-z0-9])*$"))]
    pub domain: String,
    /// What the domain does; becomes the template's description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The owning team; tagged as `owner` on every resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Extra tags for every resource (string values; quote numbers: `cost-center: "4711"`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// How topics, queues and dead-letter queues are encrypted at rest: `customer-key`
    /// (default), `service-managed`, or `{ kms_key: <key ARN or alias> }` for a key managed
    /// elsewhere.
    #[serde(default)]
    pub encryption: EncryptionManifest,
    /// Who hears about this domain's trouble: alarms on its queues and topics notify an
    /// alert topic. Off unless recipients are named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerts: Option<AlertsManifest>,
    /// The settings of the domain's REST API, which holds the publish and poll endpoints of
    /// its topics and queues with `http: true`: throttling limits and a web ACL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpManifest>,
    /// The topics this domain publishes, by name. An empty entry (`name:` or `name: {}`)
    /// is a standard topic with defaults.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub topics: BTreeMap<String, Option<TopicManifest>>,
    /// The queues this domain consumes with, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub queues: BTreeMap<String, Option<QueueManifest>>,
}

/// Encryption at rest: a mode, or a key managed elsewhere.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum EncryptionManifest {
    /// `customer-key` or `service-managed`.
    Mode(EncryptionMode),
    /// `{ kms_key: <key ARN or alias> }`.
    Key(ExistingKey),
}

impl<'de> Deserialize<'de> for EncryptionManifest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Choice;
        impl<'de> Visitor<'de> for Choice {
            type Value = EncryptionManifest;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`customer-key`, `service-managed` or `{ kms_key: <key ARN or alias> }`")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                match text {
                    "customer-key" => Ok(EncryptionManifest::Mode(EncryptionMode::CustomerKey)),
                    "service-managed" => Ok(EncryptionManifest::Mode(EncryptionMode::ServiceManaged)),
                    _ => Err(E::invalid_value(de::Unexpected::Str(text), &self)),
                }
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                ExistingKey::deserialize(de::value::MapAccessDeserializer::new(map)).map(EncryptionManifest::Key)
            }
        }
        deserializer.deserialize_any(Choice)
    }
}

impl Default for EncryptionManifest {
    fn default() -> Self {
        Self::Mode(EncryptionMode::default())
    }
}

/// A KMS key managed outside this domain's template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExistingKey {
    /// The key's ARN or alias (`alias/team-key`). Its key policy must let
    /// `sns.amazonaws.com` use it, or SNS cannot deliver to the queues.
    pub kms_key: String,
}

/// The encryption modes fanout manages itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EncryptionMode {
    /// One customer-managed KMS key per domain (rotation on), whose key policy lets SNS
    /// deliver to this domain's queues. Passes checkov and cfn-guard.
    #[default]
    CustomerKey,
    /// AWS-managed encryption: SSE-SQS on queues, `alias/aws/sns` on topics. No key to pay
    /// for, but checkov's CMK checks are recorded as skipped in the template.
    ServiceManaged,
}

/// A topic the domain publishes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicManifest {
    /// What the topic's events mean.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A FIFO topic: ordered within a message group, deduplicated. Only FIFO topics may
    /// feed FIFO queues. Default `false`.
    #[serde(default)]
    pub fifo: bool,
    /// FIFO only: deduplicate by a hash of the message body, so publishers need no
    /// deduplication ID. Default `false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = false))]
    pub content_based_deduplication: Option<bool>,
    /// The JSON Schema of the topic's events: a file path relative to this manifest's folder
    /// (`schemas/scoring-inputs-ready.json`). `fanout validate` checks it, `fanout event check`
    /// validates events against it, and the stack publishes it in SSM beside the topic ARN,
    /// at `{ssm_prefix}/{stage}/{domain}/topics/{topic}/schema` (at most 4096 characters as
    /// compact JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// A publish endpoint: `POST /topics/{topic}` on the domain's regional REST API
    /// (`{stage}-{domain}`, stage `{stage}`), with IAM authorization (SigV4), publishing the
    /// JSON body to the topic without a Lambda. A FIFO topic takes the message group from the
    /// required header `X-Message-Group-Id` and the deduplication ID from
    /// `X-Message-Deduplication-Id` (required unless `content_based_deduplication`). With a
    /// `schema`, API Gateway rejects bodies that do not match it (it knows JSON Schema
    /// draft 4 only). The URL is an output and is published at
    /// `{ssm_prefix}/{stage}/{domain}/topics/{topic}/url`. Access logs need the account's
    /// API Gateway CloudWatch Logs role, set once per account and region. Default `false`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[schemars(extend("default" = false))]
    pub http: bool,
    /// The message attributes every message of the topic carries, by attribute name: the
    /// promise consumers filter on. Published in the topic's contract
    /// (`{ssm_prefix}/{stage}/{domain}/topics/{topic}/contract`). When a topic declares
    /// attributes, `fanout validate` checks every attribute filter on it, in this repo or in
    /// a repo that locked the contract (`fanout.lock`): a key not declared here, a value
    /// outside `values`, a numeric condition on a `String` attribute or a string one on a
    /// `Number` attribute, and any filter on a `Binary` attribute are errors. A topic without
    /// `attributes` promises nothing, and filters on it are not checked. A name is 1 to 256
    /// letters, digits, `_`, `-` and `.` (not first or last, never two in a row), not
    /// starting with `AWS.` or `Amazon.`; at most 10 attributes, as SNS delivers at most 10
    /// to a queue with raw message delivery.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, AttributeManifest>,
}

/// A message attribute a topic's messages carry: `{ type: String, values: [premium, standard] }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributeManifest {
    /// The attribute's SNS data type: `String`, `String.Array`, `Number` or `Binary`.
    #[serde(rename = "type")]
    pub data_type: AttributeType,
    /// `String` and `String.Array` only: every value the attribute takes (for a
    /// `String.Array`, every value its elements take), at least one, each once. A filter on
    /// another value is an error. Default: any value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
}

/// The SNS data type of a message attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
pub enum AttributeType {
    /// `String`: matched by string conditions (exact values, `prefix`, `suffix`,
    /// `equals-ignore-case`, `anything-but`, `cidr`) and `exists`.
    String,
    /// `String.Array`: a JSON array of strings, numbers, booleans or nulls, as a string; a
    /// filter matches when any element matches.
    #[serde(rename = "String.Array")]
    StringArray,
    /// `Number`: matched by numbers and `numeric` conditions (and `exists`).
    Number,
    /// `Binary`: carried, but never matched by a filter policy.
    Binary,
}

impl AttributeType {
    /// The name SNS and the manifest give it: `String.Array`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "String",
            Self::StringArray => "String.Array",
            Self::Number => "Number",
            Self::Binary => "Binary",
        }
    }
}

/// A queue the domain consumes from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueManifest {
    /// What the queue feeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A FIFO queue: exactly-once, ordered within a message group. Must subscribe only to
    /// FIFO topics. Default `false`.
    #[serde(default)]
    pub fifo: bool,
    /// FIFO only: deduplicate by a hash of the body. Default `false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = false))]
    pub content_based_deduplication: Option<bool>,
    /// FIFO only: high-throughput mode (deduplication and throughput limit per message
    /// group). Default `false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = false))]
    pub high_throughput: Option<bool>,
    /// How long a received message stays hidden from other consumers: `0s` to `12h`.
    /// Default `30s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DurationSchema>", extend("default" = "30s"))]
    pub visibility_timeout: Option<String>,
    /// How long an unconsumed message is kept: `60s` to `14d`. Default `4d`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DurationSchema>", extend("default" = "4d"))]
    pub retention: Option<String>,
    /// Long-polling wait of a receive: `0s` to `20s`. Default `20s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DurationSchema>", extend("default" = "20s"))]
    pub receive_wait: Option<String>,
    /// Delay before a new message becomes visible: `0s` to `15m`. Default `0s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DurationSchema>", extend("default" = "0s"))]
    pub delay: Option<String>,
    /// The dead-letter queue: on by default; `false` to opt out, or settings. With `false`,
    /// messages the consumer fails to process are dropped, but what SNS cannot deliver still
    /// goes to a dead-letter queue `{stage}-{domain}-{queue}-dlq` only SNS delivers to
    /// (except from a topic of another repo to a standard queue: `validate` warns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = true))]
    pub dead_letter: Option<DeadLetterManifest>,
    /// The topics this queue subscribes to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subscriptions: Vec<SubscriptionManifest>,
    /// This queue's alarm settings, overriding the domain's `alerts`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerts: Option<QueueAlertsManifest>,
    /// Poll endpoints on the domain's regional REST API (`{stage}-{domain}`, stage
    /// `{stage}`), with IAM authorization (SigV4), integrated with SQS without a Lambda:
    /// `GET /queues/{queue}/messages?max_messages=1..10&wait_seconds=0..20&visibility_timeout=0..43200`
    /// receives (all three query parameters required; the answer is SQS's `ReceiveMessage`
    /// response with every attribute), and
    /// `DELETE /queues/{queue}/messages?receipt_handle=...` deletes a received message. The
    /// URL is an output. Access logs need the account's API Gateway CloudWatch Logs role,
    /// set once per account and region. Default `false`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[schemars(extend("default" = false))]
    pub http: bool,
}

/// The settings of a domain's REST API (`{stage}-{domain}`), shared by all its publish and
/// poll endpoints. API Gateway shares one request quota among all APIs of an account and
/// Region (by default 10000 requests per second and a burst of 5000; 2500 and 1250 in some
/// Regions), so fanout throttles every stage, by default at 100 requests per second and a
/// burst of 200; these settings change the limits.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpManifest {
    /// Requests per second the stage accepts over time, across all its endpoints (the
    /// stage's `ThrottlingRateLimit`); callers get `429 Too Many Requests` beyond it. A whole
    /// number from 1; above the account's quota it has no effect. Default 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1), extend("default" = 100))]
    pub rate_limit: Option<i64>,
    /// Requests the stage accepts at once above the rate (the stage's
    /// `ThrottlingBurstLimit`, the size of its token bucket). A whole number from 1; above the
    /// account's burst quota it has no effect. Default 200.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1), extend("default" = 200))]
    pub burst_limit: Option<i64>,
    /// An existing AWS WAF web ACL to associate with the stage, by ARN:
    /// `arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>`. It must be a regional
    /// web ACL in the region the stack is deployed to. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_acl_arn: Option<String>,
}

/// A domain's alerts: CloudWatch alarms on every queue's dead-letter queue (any message
/// visible), on the age of every queue's oldest message, and on every topic's failed
/// notifications, sent to the recipients named here.
///
/// Name at least one recipient: `email`, `topic_arn`, or both (alarms then notify both).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertsManifest {
    /// Email addresses subscribed to the domain's own alert topic
    /// (`{stage}-{domain}--alerts`). Each recipient must confirm the subscription email.
    /// Alarm emails SNS cannot deliver go to the dead-letter queue
    /// `{stage}-{domain}--alerts-dlq`, which has an alarm of its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub email: Vec<String>,
    /// An existing SNS topic, by ARN, that the alarms notify. If it is encrypted, its key
    /// policy must let `cloudwatch.amazonaws.com` use the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_arn: Option<String>,
    /// Alarm when a queue's oldest message is older than this: `1m` to `14d`. Default `15m`.
    /// A queue can override it with its own `alerts`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DurationSchema>", extend("default" = "15m"))]
    pub oldest_message_age: Option<String>,
}

/// A queue's own alarm settings; they need the domain's `alerts`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueAlertsManifest {
    /// Alarm when this queue's oldest message is older than this: `1m` to `14d`. Default:
    /// the domain's `alerts.oldest_message_age`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DurationSchema>")]
    pub oldest_message_age: Option<String>,
}

/// A duration with a unit: `30s`, `15m`, `12h`, `4d`.
#[derive(JsonSchema)]
#[allow(dead_code)]
#[schemars(transparent)]
struct DurationSchema(#[schemars(regex(pattern = r"^[0-9]+[smhd]$"))] String);

/// `true`/`false`, or the dead-letter queue's settings.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum DeadLetterManifest {
    /// `true` for the default settings, `false` for no dead-letter queue.
    Enabled(bool),
    /// A dead-letter queue with these settings.
    Settings(DeadLetterSettings),
}

impl<'de> Deserialize<'de> for DeadLetterManifest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Choice;
        impl<'de> Visitor<'de> for Choice {
            type Value = DeadLetterManifest;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`true`, `false` or `{ max_receive_count: 5, retention: 14d }`")
            }

            fn visit_bool<E: de::Error>(self, on: bool) -> Result<Self::Value, E> {
                Ok(DeadLetterManifest::Enabled(on))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                DeadLetterSettings::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(DeadLetterManifest::Settings)
            }
        }
        deserializer.deserialize_any(Choice)
    }
}

/// Settings of a queue's dead-letter queue.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeadLetterSettings {
    /// Receives before a message moves to the dead-letter queue: 1 to 1000. Default 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = 5))]
    pub max_receive_count: Option<i64>,
    /// How long dead letters are kept: `60s` to `14d`. Default `14d`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DurationSchema>", extend("default" = "14d"))]
    pub retention: Option<String>,
}

/// A subscription of the queue to a topic.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionManifest {
    /// `<domain>/<topic>`, or a bare `<topic>` of this domain. Topics of domains outside this
    /// repo are found through SSM Parameter Store at deploy time.
    #[schemars(regex(pattern = r"^([a-z]([a-z0-9]|-[a-z0-9])*/)?[a-z]([a-z0-9]|-[a-z0-9])*$"))]
    pub topic: String,
    /// Deliver the message body as published, without the SNS envelope. Default `false`.
    #[serde(default)]
    pub raw_message_delivery: bool,
    /// Deliver only the messages that match this SNS filter policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<FilterManifest>,
}

/// An SNS filter policy, on message attributes or on the message body (set exactly one).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FilterManifest {
    /// A filter policy on message attributes: `{ event_type: [InputsReady] }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
    /// A filter policy on the JSON message body (nested objects allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Repo-wide settings in `fanout.yaml` at the repo root; the CLI finds the root by it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "fanout repo settings")]
pub struct SettingsManifest {
    /// Prefix of every SSM parameter fanout writes: `{ssm_prefix}/{stage}/{domain}/topics/{topic}/arn`.
    #[serde(default = "default_ssm_prefix")]
    pub ssm_prefix: String,
    /// The stages to synthesize templates for. Default `[dev]`.
    #[serde(default = "default_stages")]
    pub stages: Vec<String>,
}

impl Default for SettingsManifest {
    fn default() -> Self {
        Self { ssm_prefix: default_ssm_prefix(), stages: default_stages() }
    }
}

fn default_ssm_prefix() -> String {
    "/fanout".to_string()
}

fn default_stages() -> Vec<String> {
    vec!["dev".to_string()]
}

/// The JSON Schema of a domain manifest, as `fanout schema` prints it.
#[expect(clippy::expect_used, reason = "a schemars schema is a JSON value already")]
pub fn domain_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(DomainManifest)).expect("a schemars schema is a JSON value")
}

/// The JSON Schema of `fanout.yaml`.
#[expect(clippy::expect_used, reason = "a schemars schema is a JSON value already")]
pub fn settings_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(SettingsManifest)).expect("a schemars schema is a JSON value")
}

mod reference;

pub use reference::{EXAMPLE_MANIFEST, EXAMPLE_SETTINGS, reference_markdown};
