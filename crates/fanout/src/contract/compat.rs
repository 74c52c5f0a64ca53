//! Whether a change of a topic's contract breaks the consumers that depend on it.
//!
//! A change is breaking when a consumer written against the old contract can receive a
//! message it was not promised: the topic's kind changes, an attribute or an attribute value
//! is gone, or the schema accepts an event the old one rejected.

use serde_json::Value;

use super::published::TopicContract;

/// One difference between two contracts of a topic, for its consumers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Whether a consumer of the old contract can break.
    pub breaking: bool,
    /// What changed, in a few words (`attribute `segment` removed`).
    pub what: String,
    /// Why it is breaking or compatible, for a consumer.
    pub reason: String,
    /// The message attribute it concerns, if any: consumers whose filters do not read it are
    /// not affected.
    pub attribute: Option<String>,
}

/// Every difference from `old` to `new`, breaking ones first; the schemas are the documents
/// the contracts' digests are of (`None` when the topic has none).
pub fn classify(
    old: &TopicContract,
    old_schema: Option<&Value>,
    new: &TopicContract,
    new_schema: Option<&Value>,
) -> Vec<Change> {
    let mut changes = Vec::new();
    if old.fifo != new.fifo {
        changes.push(Change {
            breaking: true,
            what: format!("kind changed from {} to {}", kind(old), kind(new)),
            reason: "a topic's kind decides which queues may subscribe: every subscription must be made again"
                .to_string(),
            attribute: None,
        });
    }
    for name in old.attributes.keys() {
        if !new.attributes.contains_key(name) {
            changes.push(Change {
                breaking: true,
                what: format!("attribute `{name}` removed"),
                reason: "a filter on it no longer matches any message".to_string(),
                attribute: Some(name.clone()),
            });
        }
    }
    if old.schema_digest != new.schema_digest && old_schema != new_schema {
        changes.push(Change {
            breaking: true,
            what: "schema changed".to_string(),
            reason: "the new schema was not shown to accept only events the old one accepted".to_string(),
            attribute: None,
        });
    }
    changes.sort_by_key(|change| !change.breaking);
    changes
}

fn kind(contract: &TopicContract) -> &'static str {
    if contract.fifo { "FIFO" } else { "standard" }
}
