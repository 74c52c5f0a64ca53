//! What crosses repos through SSM besides a topic's ARN: the topic's contract (published by
//! the producer's stack), the registration of each consumer domain (published by the
//! consumer's stack), and `fanout.lock`, a consumer repo's reviewed copy of the contracts it
//! depends on.
//!
//! Every type here is plain data with one JSON form: maps are ordered and fields have a fixed
//! order, so the same contract is the same bytes in a template, in SSM and in `fanout.lock`.
//! Parameter names come from [`crate::naming`]: `topic_contract_parameter`,
//! `topic_subscriber_parameter`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The version of every JSON document here; a reader refuses a version it does not know.
pub const FORMAT_VERSION: u32 = 1;

/// What a consumer in any repo depends on of a topic, as its producer's stack publishes it
/// at `{ssm_prefix}/{stage}/{domain}/topics/{topic}/contract`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicContract {
    /// [`FORMAT_VERSION`].
    pub version: u32,
    /// A FIFO topic: only FIFO queues may subscribe.
    pub fifo: bool,
    /// FIFO only: deduplication by a hash of the body.
    pub content_based_deduplication: bool,
    /// The message attributes every message carries, by attribute name.
    #[serde(default)]
    pub attributes: BTreeMap<String, AttributeContract>,
    /// `sha256:<hex>` of the topic's JSON Schema exactly as published at
    /// `{ssm_prefix}/{stage}/{domain}/topics/{topic}/schema` (compact JSON); `None` when the
    /// topic declares no schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_digest: Option<String>,
}

/// A message attribute a topic's messages carry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeContract {
    /// The attribute's SNS data type.
    #[serde(rename = "type")]
    pub data_type: AttributeType,
    /// Every value it takes, for a `String` or `String.Array` attribute that declares them;
    /// `None` for any value. Sorted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
}

/// The SNS data type of a message attribute: the manifest's type, with the same JSON form.
pub use crate::manifest::AttributeType;

/// A consumer domain's registration on a topic, published by the consumer's stack at
/// `{ssm_prefix}/{stage}/{producer}/topics/{topic}/subscribers/{consumer}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriberRecord {
    /// [`FORMAT_VERSION`].
    pub version: u32,
    /// The consumer domain.
    pub domain: String,
    /// Its queues subscribed to the topic, by queue name.
    pub queues: BTreeMap<String, SubscribedQueue>,
}

/// One queue of a consumer subscribed to a topic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscribedQueue {
    /// A FIFO queue.
    pub fifo: bool,
    /// The message attributes its filter policy reads (attribute scope), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attribute_keys: Vec<String>,
    /// The body keys its filter policy reads (body scope), as JSON Pointers (`/customer/tier`),
    /// sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub body_keys: Vec<String>,
}

/// `fanout.lock`: the contracts of the topics of other repos that this repo's queues
/// subscribe to, by stage, written by `fanout lock` and committed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    /// [`FORMAT_VERSION`].
    pub version: u32,
    /// Locked topics by stage, then by `domain/topic`.
    pub stages: BTreeMap<String, BTreeMap<String, LockedTopic>>,
}

/// One locked topic at one stage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedTopic {
    /// The contract as SSM held it when locked.
    pub contract: TopicContract,
    /// The schema as SSM held it when locked; its digest is the contract's `schema_digest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Value>,
}

/// `sha256:<hex>` of `text`: the digest [`TopicContract::schema_digest`] holds of the
/// published compact JSON.
pub fn digest(text: &str) -> String {
    use sha2::Digest as _;
    let hash = sha2::Sha256::digest(text.as_bytes());
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for byte in hash.iter() {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

impl TopicContract {
    /// The contract of `topic` as its stack publishes it.
    pub fn of(topic: &crate::model::Topic) -> TopicContract {
        let (fifo, content_based_deduplication) = match topic.kind {
            crate::model::TopicKind::Standard => (false, false),
            crate::model::TopicKind::Fifo(fifo) => (true, fifo.content_based_deduplication),
        };
        TopicContract {
            version: FORMAT_VERSION,
            fifo,
            content_based_deduplication,
            attributes: topic
                .attributes
                .iter()
                .map(|(name, attribute)| {
                    let values = attribute.values.as_ref().map(|values| values.iter().cloned().collect());
                    (name.clone(), AttributeContract { data_type: attribute.data_type, values })
                })
                .collect(),
            schema_digest: topic.schema.as_ref().and_then(|schema| schema.to_compact_json()).map(|json| digest(&json)),
        }
    }

    /// The one JSON form, as the SSM parameter holds it: compact, fields in order.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| unreachable!("a contract is plain data"))
    }
}

impl SubscriberRecord {
    /// The registration of `consumer` on `topic`: each of its queues subscribed to the topic,
    /// with the keys its filter reads; `None` when no queue of `consumer` subscribes to it.
    pub fn of(consumer: &crate::model::Domain, topic: &crate::name::TopicRef) -> Option<SubscriberRecord> {
        let mut queues = BTreeMap::new();
        for (name, queue) in &consumer.queues {
            let Some(subscription) = queue.subscriptions.iter().find(|s| &s.topic == topic) else { continue };
            let mut attribute_keys = Vec::new();
            let mut body_keys = Vec::new();
            if let Some(filter) = &subscription.filter {
                let keys = crate::model::filter_policy::keys(&filter.policy, &crate::diagnostic::FieldPath::root());
                match filter.scope {
                    crate::model::FilterScope::MessageAttributes => {
                        attribute_keys =
                            keys.iter().filter_map(|key| key.keys.first()).map(|k| k.to_string()).collect();
                    }
                    crate::model::FilterScope::MessageBody => {
                        body_keys = keys.iter().map(|key| key.pointer()).collect();
                    }
                }
            }
            for keys in [&mut attribute_keys, &mut body_keys] {
                keys.sort();
                keys.dedup();
            }
            queues.insert(name.to_string(), SubscribedQueue { fifo: queue.kind.is_fifo(), attribute_keys, body_keys });
        }
        (!queues.is_empty()).then(|| SubscriberRecord {
            version: FORMAT_VERSION,
            domain: consumer.name.to_string(),
            queues,
        })
    }

    /// The one JSON form, as the SSM parameter holds it: compact, fields in order.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| unreachable!("a registration is plain data"))
    }
}
