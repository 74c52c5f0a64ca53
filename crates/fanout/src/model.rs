//! The checked model of a domain: what a manifest or the Rust API describes, once valid.
//!
//! Everything here has passed the per-domain checks: names are [`Name`]s, durations are in
//! the AWS ranges, FIFO-only settings sit on FIFO variants. Checks that need the other
//! domains (does the subscribed topic exist, is it FIFO) live in [`crate::project`].

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::Diagnostics;
use crate::duration::Duration;
use crate::manifest::{AttributeType, DomainManifest};
use crate::name::{Name, TopicRef};

pub mod filter_policy;
pub(crate) mod lower;

/// A domain: the topics it publishes and the queues it consumes with.
///
/// Get one from a manifest ([`Domain::from_manifest`], or a whole folder with
/// [`crate::load::load_project`]) or build one in Rust ([`crate::build::DomainBuilder`]); both run the
/// same checks.
#[derive(Clone, Debug, PartialEq)]
pub struct Domain {
    /// The domain's name; prefixes physical names and the stack name.
    pub name: Name,
    /// What the domain does; the template's description.
    pub description: Option<String>,
    /// The owning team, tagged as `owner`.
    pub owner: Option<String>,
    /// Extra tags for every resource.
    pub tags: BTreeMap<String, String>,
    /// How everything is encrypted at rest.
    pub encryption: Encryption,
    /// Where alarms on its queues and topics go; `None` for no alarms.
    pub alerts: Option<Alerts>,
    /// The settings of its REST API, used when a topic or queue has `http`.
    pub http: HttpSettings,
    /// The topics it publishes, by name.
    pub topics: BTreeMap<Name, Topic>,
    /// The queues it consumes with, by name.
    pub queues: BTreeMap<Name, Queue>,
}

impl Domain {
    /// Checks a manifest on its own (no other domains needed) and builds the model.
    ///
    /// Returns every problem found; the domain comes back only without errors.
    pub fn from_manifest(manifest: &DomainManifest) -> (Option<Domain>, Diagnostics) {
        let lowered = lower::lower_partially(manifest);
        if lowered.diagnostics.has_errors() {
            (None, lowered.diagnostics)
        } else {
            (lowered.domain, lowered.diagnostics)
        }
    }
}

/// How a domain's topics, queues and dead-letter queues are encrypted at rest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Encryption {
    /// A KMS key in the domain's own template, with a key policy that lets SNS use it.
    #[default]
    CustomerKey,
    /// SSE-SQS on queues and `alias/aws/sns` on topics.
    ServiceManaged,
    /// A key managed elsewhere, by ARN or alias.
    ExistingKey(String),
}

/// A domain's alerts: who is notified, and the alarm thresholds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alerts {
    /// Email addresses subscribed to the domain's own alert topic; none means no own topic.
    pub email: Vec<String>,
    /// An existing topic the alarms notify too.
    pub topic_arn: Option<String>,
    /// Alarm when a queue's oldest message is older than this, unless the queue says otherwise.
    pub oldest_message_age: Duration,
}

impl Alerts {
    /// `15m`: long enough to ride out a slow batch, short enough to act on the same shift.
    pub const DEFAULT_OLDEST_MESSAGE_AGE: Duration = Duration::from_secs(15 * 60);
}

/// The settings of a domain's REST API: stage-wide throttling and an optional web ACL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpSettings {
    /// Requests per second the stage accepts over time.
    pub rate_limit: u32,
    /// Requests the stage accepts at once above the rate.
    pub burst_limit: u32,
    /// The WAFv2 web ACL associated with the stage, by ARN.
    pub web_acl_arn: Option<String>,
}

impl HttpSettings {
    /// 100 requests per second: a hundredth of the default account quota that every API of
    /// the account and Region shares, so one domain's callers cannot use it all.
    pub const DEFAULT_RATE_LIMIT: u32 = 100;
    /// 200 requests at once above the rate.
    pub const DEFAULT_BURST_LIMIT: u32 = 200;
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self { rate_limit: Self::DEFAULT_RATE_LIMIT, burst_limit: Self::DEFAULT_BURST_LIMIT, web_acl_arn: None }
    }
}

/// An SNS topic a domain publishes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Topic {
    /// What its events mean.
    pub description: Option<String>,
    /// Standard or FIFO, with the FIFO-only settings.
    pub kind: TopicKind,
    /// The JSON Schema of its events, if it declares one.
    pub schema: Option<EventSchema>,
    /// Whether it has a publish endpoint: `POST /topics/{topic}` on the domain's REST API.
    pub http: bool,
    /// The message attributes every message carries, by name; empty when the topic promises
    /// none (filters on it are then not checked).
    pub attributes: BTreeMap<String, MessageAttribute>,
}

/// A message attribute every message of a topic carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageAttribute {
    /// Its SNS data type.
    pub data_type: AttributeType,
    /// Every value it takes (`String` and `String.Array` only); `None` for any value.
    pub values: Option<BTreeSet<String>>,
}

/// A topic's event schema: where the manifest points, and the document once read.
#[derive(Clone, Debug, PartialEq)]
pub struct EventSchema {
    /// The path as written in the manifest, relative to the manifest's folder.
    pub path: String,
    /// The schema, once read and checked (by [`crate::contract`]); `None` when nothing read the file.
    pub document: Option<serde_json::Value>,
}

impl EventSchema {
    /// The schema as the SSM parameter holds it: compact JSON.
    pub fn to_compact_json(&self) -> Option<String> {
        self.document.as_ref().map(serde_json::Value::to_string)
    }
}

/// Whether a topic is standard or FIFO.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TopicKind {
    /// At-least-once delivery, best-effort order.
    #[default]
    Standard,
    /// Ordered within a message group, deduplicated.
    Fifo(FifoTopic),
}

impl TopicKind {
    /// Whether this is [`TopicKind::Fifo`].
    pub fn is_fifo(self) -> bool {
        matches!(self, Self::Fifo(_))
    }
}

/// Settings only a FIFO topic has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FifoTopic {
    /// Deduplicate by a hash of the message body.
    pub content_based_deduplication: bool,
}

/// An SQS queue a domain consumes from.
#[derive(Clone, Debug, PartialEq)]
pub struct Queue {
    /// What the queue feeds.
    pub description: Option<String>,
    /// Standard or FIFO, with the FIFO-only settings.
    pub kind: QueueKind,
    /// How long a received message stays hidden from other consumers.
    pub visibility_timeout: Duration,
    /// How long an unconsumed message is kept.
    pub retention: Duration,
    /// Long-polling wait of a receive.
    pub receive_wait: Duration,
    /// Delay before a new message becomes visible.
    pub delay: Duration,
    /// `None` when the domain opted out with `dead_letter: false`.
    pub dead_letter: Option<DeadLetter>,
    /// The topics it subscribes to, in the order written.
    pub subscriptions: Vec<Subscription>,
    /// This queue's oldest-message alarm threshold, overriding the domain's.
    pub oldest_message_age: Option<Duration>,
    /// Whether it has poll endpoints: `GET` and `DELETE /queues/{queue}/messages` on the
    /// domain's REST API.
    pub http: bool,
}

impl Queue {
    /// `30s`, the SQS default.
    pub const DEFAULT_VISIBILITY_TIMEOUT: Duration = Duration::from_secs(30);
    /// `4d`, the SQS default.
    pub const DEFAULT_RETENTION: Duration = Duration::from_secs(4 * 86_400);
    /// `20s`: long polling, the cheapest way to wait for messages.
    pub const DEFAULT_RECEIVE_WAIT: Duration = Duration::from_secs(20);
    /// `0s`.
    pub const DEFAULT_DELAY: Duration = Duration::from_secs(0);
}

impl Default for Queue {
    fn default() -> Self {
        Self {
            description: None,
            kind: QueueKind::Standard,
            visibility_timeout: Self::DEFAULT_VISIBILITY_TIMEOUT,
            retention: Self::DEFAULT_RETENTION,
            receive_wait: Self::DEFAULT_RECEIVE_WAIT,
            delay: Self::DEFAULT_DELAY,
            dead_letter: Some(DeadLetter::default()),
            subscriptions: Vec::new(),
            oldest_message_age: None,
            http: false,
        }
    }
}

/// Whether a queue is standard or FIFO.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum QueueKind {
    /// At-least-once delivery, best-effort order.
    #[default]
    Standard,
    /// Exactly-once processing, ordered within a message group.
    Fifo(FifoQueue),
}

impl QueueKind {
    /// Whether this is [`QueueKind::Fifo`].
    pub fn is_fifo(self) -> bool {
        matches!(self, Self::Fifo(_))
    }
}

/// Settings only a FIFO queue has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FifoQueue {
    /// Deduplicate by a hash of the message body.
    pub content_based_deduplication: bool,
    /// Deduplication and throughput limit per message group instead of per queue.
    pub high_throughput: bool,
}

/// A queue's dead-letter queue: where messages go after `max_receive_count` receives, and
/// where SNS puts messages it cannot deliver to the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeadLetter {
    /// Receives before a message moves to the dead-letter queue: 1 to 1000.
    pub max_receive_count: u16,
    /// How long dead letters are kept: `60s` to `14d`.
    pub retention: Duration,
}

impl DeadLetter {
    /// 5 receives.
    pub const DEFAULT_MAX_RECEIVE_COUNT: u16 = 5;
    /// `14d`, the most SQS allows, to leave time to look at what failed.
    pub const DEFAULT_RETENTION: Duration = Duration::from_secs(14 * 86_400);
}

impl Default for DeadLetter {
    fn default() -> Self {
        Self { max_receive_count: Self::DEFAULT_MAX_RECEIVE_COUNT, retention: Self::DEFAULT_RETENTION }
    }
}

/// A subscription of a queue to a topic.
#[derive(Clone, Debug, PartialEq)]
pub struct Subscription {
    /// The topic, in this domain or another.
    pub topic: TopicRef,
    /// Deliver the body as published, without the SNS envelope.
    pub raw_message_delivery: bool,
    /// Deliver only what matches this filter policy.
    pub filter: Option<Filter>,
}

/// An SNS filter policy and what it applies to.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    /// What the policy looks at.
    pub scope: FilterScope,
    /// The SNS filter policy.
    pub policy: serde_json::Map<String, serde_json::Value>,
}

/// What an SNS filter policy looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterScope {
    /// The message attributes.
    MessageAttributes,
    /// The JSON message body.
    MessageBody,
}

impl FilterScope {
    /// The value of the subscription's `FilterPolicyScope` property.
    pub fn as_cfn(self) -> &'static str {
        match self {
            Self::MessageAttributes => "MessageAttributes",
            Self::MessageBody => "MessageBody",
        }
    }
}
