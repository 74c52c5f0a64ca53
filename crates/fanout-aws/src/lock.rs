//! `fanout.lock` from what SSM holds, and a locked contract against SSM's current one.
//!
//! SDK-free, so it is tested without AWS: `contracts.rs` reads the parameters, this module
//! decides what they mean. A topic is locked with its contract and, when the contract names a
//! schema digest, the schema whose compact JSON has that digest; anything else in SSM (a
//! contract of an unknown version, a schema that does not match the digest) is an error, never
//! a lock that would mislead a review.

use std::collections::BTreeMap;

use fanout::contract::compat::{self, Change};
use fanout::contract::published::{FORMAT_VERSION, Lock, LockedTopic, TopicContract, digest};
use fanout::{Name, TopicRef, naming};
use serde_json::Value;

use crate::error::Error;

/// The SSM parameters of one topic's contract in one stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ContractParameters {
    /// The topic.
    pub topic: TopicRef,
    /// `.../contract`.
    pub contract: String,
    /// `.../schema`.
    pub schema: String,
}

impl ContractParameters {
    pub(crate) fn new(ssm_prefix: &str, stage: &Name, topic: &TopicRef) -> Self {
        Self {
            topic: topic.clone(),
            contract: naming::topic_contract_parameter(ssm_prefix, stage, topic),
            schema: naming::topic_schema_parameter(ssm_prefix, stage, topic),
        }
    }
}

/// The contract (and schema) SSM holds for `parameters.topic`, from the parameter values
/// `found` by name; `None` when there is no contract.
pub(crate) fn read_published(
    parameters: &ContractParameters,
    found: &BTreeMap<String, String>,
) -> Result<Option<LockedTopic>, Error> {
    let Some(text) = found.get(&parameters.contract) else { return Ok(None) };
    let unreadable = |reason: String| Error::UnreadableContract { parameter: parameters.contract.clone(), reason };
    let contract: TopicContract = serde_json::from_str(text).map_err(|err| unreadable(err.to_string()))?;
    if contract.version != FORMAT_VERSION {
        return Err(unreadable(format!(
            "format version {} (this fanout reads version {FORMAT_VERSION})",
            contract.version
        )));
    }
    let schema = match &contract.schema_digest {
        None => None,
        Some(expected) => {
            let mismatch = |reason: String| Error::UnreadableContract { parameter: parameters.schema.clone(), reason };
            let Some(schema) = found.get(&parameters.schema) else {
                return Err(mismatch(format!("it does not exist, and the contract names schema `{expected}`")));
            };
            let actual = digest(schema);
            if actual != *expected {
                return Err(mismatch(format!("its digest is `{actual}`, and the contract names `{expected}`")));
            }
            let document = serde_json::from_str::<Value>(schema).map_err(|err| mismatch(err.to_string()))?;
            // The lock holds the document, and its digest is of the compact JSON fanout
            // renders: only a schema published that way can be locked and checked again.
            if document.to_string().as_str() != schema.as_str() {
                return Err(mismatch("it is not the compact JSON, keys sorted, that fanout publishes".to_string()));
            }
            Some(document)
        }
    };
    Ok(Some(LockedTopic { contract, schema }))
}

/// The contract of `parameters.topic` that `fanout lock` writes: an error naming the
/// parameter and the producer when SSM holds none.
pub(crate) fn lock_topic(
    parameters: &ContractParameters,
    stage: &Name,
    found: &BTreeMap<String, String>,
) -> Result<LockedTopic, Error> {
    read_published(parameters, found)?.ok_or_else(|| Error::NoContract {
        topic: parameters.topic.to_string(),
        stage: stage.to_string(),
        producer: parameters.topic.domain.to_string(),
        parameter: parameters.contract.clone(),
    })
}

/// The lock with `stages` as read now and, for every other stage, what `previous` holds
/// (`keep_others`, for `fanout lock --stage`); stages with no locked topic are left out.
pub fn merge(
    previous: Option<&Lock>,
    stages: BTreeMap<Name, BTreeMap<String, LockedTopic>>,
    keep_others: bool,
) -> Lock {
    let mut lock = Lock { version: FORMAT_VERSION, stages: BTreeMap::new() };
    if keep_others && let Some(previous) = previous {
        lock.stages = previous.stages.clone();
    }
    for (stage, topics) in stages {
        lock.stages.insert(stage.to_string(), topics);
    }
    lock.stages.retain(|_, topics| !topics.is_empty());
    lock
}

/// `lock` as `fanout.lock` holds it: pretty JSON, maps sorted, a final newline; the same
/// lock is always the same bytes.
pub fn render(lock: &Lock) -> String {
    #[expect(clippy::expect_used, reason = "a lock is plain data: maps with string keys, strings, numbers")]
    let mut text = serde_json::to_string_pretty(lock).expect("a lock serializes");
    text.push('\n');
    text
}

/// How SSM's `current` contract differs from the `locked` one, for a consumer; empty when they
/// are the same. A difference the classification does not name (a value added, deduplication
/// switched) is still a difference: the lock is what was reviewed.
pub(crate) fn drift(locked: &LockedTopic, current: &LockedTopic) -> Vec<Change> {
    if locked == current {
        return Vec::new();
    }
    let mut changes =
        compat::classify(&locked.contract, locked.schema.as_ref(), &current.contract, current.schema.as_ref());
    if changes.is_empty() {
        changes.push(Change {
            breaking: false,
            what: "contract changed".to_string(),
            reason: format!("SSM holds `{}`, the lock `{}`", current.contract.to_json(), locked.contract.to_json()),
            attribute: None,
        });
    }
    changes
}

/// One change as a line: what, breaking or compatible, why.
pub(crate) fn describe(change: &Change) -> String {
    let kind = if change.breaking { "breaking" } else { "compatible" };
    format!("{} ({kind}: {})", change.what, change.reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fanout::contract::published::{AttributeContract, AttributeType};

    fn name(text: &str) -> Name {
        Name::new(text).unwrap()
    }

    fn parameters() -> ContractParameters {
        ContractParameters::new("/fanout", &name("dev"), &TopicRef::new(name("ingestion"), name("ready")))
    }

    fn contract(schema: Option<&str>) -> TopicContract {
        TopicContract {
            version: FORMAT_VERSION,
            fifo: true,
            content_based_deduplication: false,
            attributes: BTreeMap::from([(
                "segment".to_string(),
                AttributeContract { data_type: AttributeType::String, values: Some(vec!["premium".into()]) },
            )]),
            schema_digest: schema.map(digest),
        }
    }

    fn ssm(contract: &TopicContract, schema: Option<&str>) -> BTreeMap<String, String> {
        let p = parameters();
        let mut found = BTreeMap::from([(p.contract.clone(), contract.to_json())]);
        if let Some(schema) = schema {
            found.insert(p.schema, schema.to_string());
        }
        found
    }

    const SCHEMA: &str = r#"{"required":["id"],"type":"object"}"#;

    #[test]
    fn a_topic_is_locked_with_its_contract_and_schema() {
        let found = ssm(&contract(Some(SCHEMA)), Some(SCHEMA));
        let locked = lock_topic(&parameters(), &name("dev"), &found).unwrap();
        assert_eq!(locked.contract, contract(Some(SCHEMA)));
        assert_eq!(locked.schema, Some(serde_json::from_str(SCHEMA).unwrap()));
    }

    #[test]
    fn a_topic_without_a_contract_names_the_parameter_and_the_producer() {
        let err = lock_topic(&parameters(), &name("dev"), &BTreeMap::new()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Topic `ingestion/ready` has no contract in stage `dev`: SSM parameter `/fanout/dev/ingestion/topics/ready/contract` does not exist"
        );
        assert!(err.hint().unwrap().contains("deploy the producer first (`fanout deploy --stage dev ingestion`"));
        assert!(err.hint().unwrap().contains("older fanout"));
    }

    #[test]
    fn a_schema_that_does_not_match_the_digest_is_refused() {
        let found = ssm(&contract(Some(SCHEMA)), Some(r#"{"type":"object"}"#));
        let err = lock_topic(&parameters(), &name("dev"), &found).unwrap_err();
        assert!(err.to_string().contains("/fanout/dev/ingestion/topics/ready/schema"), "{err}");
        let missing = ssm(&contract(Some(SCHEMA)), None);
        assert!(lock_topic(&parameters(), &name("dev"), &missing).is_err());
        let unsorted = r#"{"type":"object","required":["id"]}"#;
        let err = lock_topic(&parameters(), &name("dev"), &ssm(&contract(Some(unsorted)), Some(unsorted))).unwrap_err();
        assert!(err.to_string().contains("compact JSON"), "{err}");
    }

    #[test]
    fn an_unknown_contract_version_is_refused() {
        let mut newer = contract(None);
        newer.version = FORMAT_VERSION + 1;
        let err = lock_topic(&parameters(), &name("dev"), &ssm(&newer, None)).unwrap_err();
        assert!(err.to_string().contains("format version 2"), "{err}");
        let garbage = BTreeMap::from([(parameters().contract, "not json".to_string())]);
        assert!(lock_topic(&parameters(), &name("dev"), &garbage).is_err());
    }

    #[test]
    fn the_lock_renders_the_same_bytes_for_the_same_contracts() {
        let locked = lock_topic(&parameters(), &name("dev"), &ssm(&contract(Some(SCHEMA)), Some(SCHEMA))).unwrap();
        let stages = || {
            BTreeMap::from([
                (name("prod"), BTreeMap::from([("ingestion/ready".to_string(), locked.clone())])),
                (name("dev"), BTreeMap::from([("ingestion/ready".to_string(), locked.clone())])),
            ])
        };
        let text = render(&merge(None, stages(), false));
        assert_eq!(text, render(&merge(None, stages(), false)));
        assert!(text.ends_with("}\n"));
        assert!(text.find("\"dev\"").unwrap() < text.find("\"prod\"").unwrap());
        let (parsed, diagnostics) = fanout::project::LockFile::parse("fanout.lock", &text);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(parsed.unwrap().lock, merge(None, stages(), false));
    }

    #[test]
    fn locking_one_stage_keeps_the_others() {
        let locked = lock_topic(&parameters(), &name("dev"), &ssm(&contract(None), None)).unwrap();
        let previous = merge(
            None,
            BTreeMap::from([(name("prod"), BTreeMap::from([("ingestion/ready".to_string(), locked.clone())]))]),
            false,
        );
        let dev = BTreeMap::from([(name("dev"), BTreeMap::from([("ingestion/ready".to_string(), locked)]))]);
        let kept = merge(Some(&previous), dev.clone(), true);
        assert_eq!(kept.stages.keys().collect::<Vec<_>>(), ["dev", "prod"]);
        let replaced = merge(Some(&previous), dev, false);
        assert_eq!(replaced.stages.keys().collect::<Vec<_>>(), ["dev"]);
    }

    #[test]
    fn drift_names_what_changed_since_the_lock() {
        let locked = LockedTopic { contract: contract(None), schema: None };
        assert!(drift(&locked, &locked).is_empty());
        let mut standard = locked.clone();
        standard.contract.fifo = false;
        let changes = drift(&locked, &standard);
        assert!(changes.iter().any(|c| c.breaking && c.what.contains("kind")), "{changes:?}");
        let mut deduplicated = locked.clone();
        deduplicated.contract.content_based_deduplication = true;
        assert!(!drift(&locked, &deduplicated).is_empty());
    }
}
