//! The checked model of a domain: what a manifest or the Rust API describes, once valid.
//!
//! Everything here has passed the per-domain checks: names are [`Name`]s, durations are in
//! the AWS ranges, FIFO-only settings sit on FIFO variants. Checks that need the other
//! domains (does the subscribed topic exist, is it FIFO) live in [`crate::project`].

use std::collections::BTreeMap;

use crate::duration::Duration;
use crate::name::{Name, TopicRef};

/// A domain: the topics it publishes and the queues it consumes with.
#[derive(Clone, Debug, PartialEq)]
pub struct Domain {
    pub name: Name,
    pub description: Option<String>,
    pub owner: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub encryption: Encryption,
    pub topics: BTreeMap<Name, Topic>,
    pub queues: BTreeMap<Name, Queue>,
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

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Topic {
    pub description: Option<String>,
    pub kind: TopicKind,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TopicKind {
    #[default]
    Standard,
    Fifo(FifoTopic),
}

impl TopicKind {
    pub fn is_fifo(self) -> bool {
        matches!(self, Self::Fifo(_))
    }
}

/// Settings only a FIFO topic has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FifoTopic {
    pub content_based_deduplication: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Queue {
    pub description: Option<String>,
    pub kind: QueueKind,
    pub visibility_timeout: Duration,
    pub retention: Duration,
    pub receive_wait: Duration,
    pub delay: Duration,
    /// `None` when the domain opted out with `dead_letter: false`.
    pub dead_letter: Option<DeadLetter>,
    pub subscriptions: Vec<Subscription>,
}

impl Queue {
    pub const DEFAULT_VISIBILITY_TIMEOUT: Duration = Duration::from_secs(30);
    pub const DEFAULT_RETENTION: Duration = Duration::from_secs(4 * 86_400);
    pub const DEFAULT_RECEIVE_WAIT: Duration = Duration::from_secs(20);
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
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum QueueKind {
    #[default]
    Standard,
    Fifo(FifoQueue),
}

impl QueueKind {
    pub fn is_fifo(self) -> bool {
        matches!(self, Self::Fifo(_))
    }
}

/// Settings only a FIFO queue has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FifoQueue {
    pub content_based_deduplication: bool,
    /// Deduplication and throughput limit per message group instead of per queue.
    pub high_throughput: bool,
}

/// A queue's dead-letter queue: where messages go after `max_receive_count` receives, and
/// where SNS puts messages it cannot deliver to the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeadLetter {
    pub max_receive_count: u16,
    pub retention: Duration,
}

impl DeadLetter {
    pub const DEFAULT_MAX_RECEIVE_COUNT: u16 = 5;
    pub const DEFAULT_RETENTION: Duration = Duration::from_secs(14 * 86_400);
}

impl Default for DeadLetter {
    fn default() -> Self {
        Self {
            max_receive_count: Self::DEFAULT_MAX_RECEIVE_COUNT,
            retention: Self::DEFAULT_RETENTION,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Subscription {
    pub topic: TopicRef,
    pub raw_message_delivery: bool,
    pub filter: Option<Filter>,
}

/// An SNS filter policy and what it applies to.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    pub scope: FilterScope,
    pub policy: serde_json::Map<String, serde_json::Value>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterScope {
    MessageAttributes,
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
