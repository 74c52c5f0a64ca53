//! A producer's contract changes, found before they ship: what a stack's template would
//! publish for each of its topics against the contract SSM holds now, classified for
//! consumers (`fanout::contract::compat`), with the consumer domains each change affects:
//! those registered in SSM in any repo and those of the producer's own repo.
//!
//! SDK-free, so it is tested without AWS; the phases read SSM and decide with it.

use std::collections::BTreeMap;

use fanout::contract::compat::Change;
use fanout::contract::published::{LockedTopic, SubscribedQueue, SubscriberRecord, TopicContract};
use fanout::{Domain, Name, Project, TopicRef, naming};
use serde::Serialize;

use crate::lock::{self, ContractParameters};

/// One change of a topic's contract a deploy would make, and the consumers it affects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ContractChange {
    /// The topic, `domain/topic`.
    pub topic: String,
    /// Whether consumers of the current contract can break.
    pub breaking: bool,
    /// What changes, in a few words.
    pub what: String,
    /// Why it is breaking or compatible.
    pub reason: String,
    /// The message attribute it concerns, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    /// The consumer domains it affects: every consumer of the topic, or for a change of an
    /// attribute those whose filters read it.
    pub affected: Vec<AffectedConsumer>,
}

/// A consumer domain a contract change affects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AffectedConsumer {
    /// The consumer domain.
    pub domain: String,
    /// Its queues subscribed to the topic.
    pub queues: Vec<String>,
}

impl ContractChange {
    /// The affected consumer domains as `` `a` (queues `q`), `b` `` words, or `no known
    /// consumer`.
    pub fn affected_list(&self) -> String {
        if self.affected.is_empty() {
            return "no known consumer".to_string();
        }
        self.affected
            .iter()
            .map(|consumer| {
                let queues: Vec<String> = consumer.queues.iter().map(|q| format!("`{q}`")).collect();
                format!("`{}` (queues {})", consumer.domain, queues.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What a stack's template publishes for one of its topics, and where, for the comparison
/// with SSM.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PublishedTopic {
    /// Where the contract and schema are in SSM.
    pub parameters: ContractParameters,
    /// The contract and schema the template publishes.
    pub published: LockedTopic,
    /// The SSM path consumers register under.
    pub subscribers_path: String,
    /// The consumer domains of the repo, other than the producer.
    pub repo_consumers: Vec<SubscriberRecord>,
}

/// Every topic `domain` publishes in `stage`, with its contract and the repo's consumers.
pub(crate) fn published_topics(project: &Project, domain: &Domain, stage: &Name) -> Vec<PublishedTopic> {
    let prefix = project.settings.ssm_prefix.as_str();
    domain
        .topics
        .iter()
        .map(|(name, topic)| {
            let topic_ref = TopicRef::new(domain.name.clone(), name.clone());
            let schema = topic.schema.as_ref().and_then(|schema| schema.document.clone());
            PublishedTopic {
                parameters: ContractParameters::new(prefix, stage, &topic_ref),
                published: LockedTopic { contract: TopicContract::of(topic), schema },
                subscribers_path: naming::topic_subscribers_path(prefix, stage, &topic_ref),
                repo_consumers: repo_consumers(project, &topic_ref),
            }
        })
        .collect()
}

/// The registrations the repo's domains other than the producer make on `topic`.
pub(crate) fn repo_consumers(project: &Project, topic: &TopicRef) -> Vec<SubscriberRecord> {
    project
        .domains
        .values()
        .filter(|consumer| consumer.name != topic.domain)
        .filter_map(|consumer| SubscriberRecord::of(consumer, topic))
        .collect()
}

/// How the contract the template publishes differs from SSM's `current` one; nothing for a
/// topic with no contract in SSM yet (a new topic, or a producer deployed by an older fanout).
pub(crate) fn changes(topic: &PublishedTopic, current: Option<&LockedTopic>) -> Vec<Change> {
    current.map(|current| lock::drift(current, &topic.published)).unwrap_or_default()
}

/// `changes` of `topic` with the consumers each affects: the `registered` ones (from SSM,
/// any repo) and the repo's own, merged by domain; the producer itself is not a consumer.
pub(crate) fn with_consumers(
    topic: &PublishedTopic,
    changes: Vec<Change>,
    registered: &[SubscriberRecord],
) -> Vec<ContractChange> {
    let producer = topic.parameters.topic.domain.as_str();
    let consumers = by_domain(registered.iter().chain(&topic.repo_consumers), &[producer]);
    changes
        .into_iter()
        .map(|change| {
            let affected = consumers
                .iter()
                .filter_map(|(domain, queues)| {
                    let queues: Vec<String> = queues
                        .iter()
                        .filter(|(_, queue)| match &change.attribute {
                            Some(attribute) => queue.attribute_keys.contains(attribute),
                            None => true,
                        })
                        .map(|(name, _)| (*name).to_string())
                        .collect();
                    (!queues.is_empty()).then(|| AffectedConsumer { domain: (*domain).to_string(), queues })
                })
                .collect();
            ContractChange {
                topic: topic.parameters.topic.to_string(),
                breaking: change.breaking,
                what: change.what,
                reason: change.reason,
                attribute: change.attribute,
                affected,
            }
        })
        .collect()
}

/// The queues of each consumer domain in `records`, merged by domain, leaving out the
/// domains `excluded`.
fn by_domain<'a>(
    records: impl Iterator<Item = &'a SubscriberRecord>,
    excluded: &[&str],
) -> BTreeMap<&'a str, BTreeMap<&'a str, &'a SubscribedQueue>> {
    let mut consumers: BTreeMap<&str, BTreeMap<&str, &SubscribedQueue>> = BTreeMap::new();
    for record in records.filter(|record| !excluded.contains(&record.domain.as_str())) {
        let queues = consumers.entry(record.domain.as_str()).or_default();
        for (name, queue) in &record.queues {
            queues.insert(name.as_str(), queue);
        }
    }
    consumers
}

/// A consumer of a topic that deleting the topic's stack would leave without it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RemainingConsumer {
    /// The topic, `domain/topic`.
    pub topic: String,
    /// The consumer domain.
    pub domain: String,
    /// Its queues subscribed to the topic.
    pub queues: Vec<String>,
}

/// The consumers of `topic` among the repo's domains (`repo`) and the registrations in SSM
/// (`registered`), leaving out the domains `excluded` (the producer, and the domains deleted
/// with it).
pub(crate) fn remaining(
    topic: &TopicRef,
    repo: &[SubscriberRecord],
    registered: &[SubscriberRecord],
    excluded: &[&str],
) -> Vec<RemainingConsumer> {
    by_domain(registered.iter().chain(repo), excluded)
        .into_iter()
        .map(|(domain, queues)| RemainingConsumer {
            topic: topic.to_string(),
            domain: domain.to_string(),
            queues: queues.into_keys().map(str::to_string).collect(),
        })
        .collect()
}

/// The registrations among parameter values found under a topic's subscribers path, by
/// name; an unreadable one is named.
pub(crate) fn registrations(found: &BTreeMap<String, String>) -> Result<Vec<SubscriberRecord>, crate::Error> {
    found
        .iter()
        .map(|(name, text)| {
            serde_json::from_str::<SubscriberRecord>(text)
                .map_err(|err| crate::Error::UnreadableContract { parameter: name.clone(), reason: err.to_string() })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use fanout::build::{DomainBuilder, QueueBuilder, SubscriptionBuilder, TopicBuilder};
    use fanout::contract::published::{AttributeContract, AttributeType, FORMAT_VERSION};

    fn name(text: &str) -> Name {
        Name::new(text).unwrap()
    }

    fn project(domains: Vec<DomainBuilder>) -> Project {
        let mut project = Project::new(fanout::Settings::default());
        for domain in domains {
            project.add(domain.build().unwrap());
        }
        project
    }

    fn registered(domain: &str, queue: &str, attribute_keys: &[&str]) -> SubscriberRecord {
        SubscriberRecord {
            version: FORMAT_VERSION,
            domain: domain.to_string(),
            queues: BTreeMap::from([(
                queue.to_string(),
                SubscribedQueue {
                    fifo: false,
                    attribute_keys: attribute_keys.iter().map(|k| k.to_string()).collect(),
                    body_keys: Vec::new(),
                },
            )]),
        }
    }

    fn change(attribute: Option<&str>) -> Change {
        Change {
            breaking: true,
            what: "attribute removed".into(),
            reason: "gone".into(),
            attribute: attribute.map(str::to_string),
        }
    }

    fn seed() -> Project {
        let producer = DomainBuilder::new("scoring").topic(TopicBuilder::standard("scores"));
        let filtered = DomainBuilder::new("reporting").queue(
            QueueBuilder::standard("updates").subscribe(
                SubscriptionBuilder::from("scoring/scores")
                    .filter_attributes(serde_json::json!({ "segment": ["premium"] })),
            ),
        );
        let everything = DomainBuilder::new("audit").queue(QueueBuilder::standard("all").subscribe("scoring/scores"));
        project(vec![producer, filtered, everything])
    }

    #[test]
    fn the_repo_consumers_register_their_filter_keys() {
        let project = seed();
        let topics = published_topics(&project, &project.domains[&name("scoring")], &name("dev"));
        assert_eq!(topics.len(), 1);
        let topic = &topics[0];
        assert_eq!(topic.parameters.contract, "/fanout/dev/scoring/topics/scores/contract");
        assert_eq!(topic.subscribers_path, "/fanout/dev/scoring/topics/scores/subscribers");
        let domains: Vec<&str> = topic.repo_consumers.iter().map(|r| r.domain.as_str()).collect();
        assert_eq!(domains, ["audit", "reporting"]);
        assert_eq!(topic.repo_consumers[1].queues["updates"].attribute_keys, ["segment"]);
        assert!(topic.repo_consumers[0].queues["all"].attribute_keys.is_empty());
    }

    #[test]
    fn an_attribute_change_affects_only_consumers_filtering_on_it() {
        let project = seed();
        let topic = published_topics(&project, &project.domains[&name("scoring")], &name("dev")).remove(0);
        let elsewhere = [registered("billing", "invoices", &["segment"]), registered("ops", "watch", &["score"])];
        let changed = with_consumers(&topic, vec![change(Some("segment"))], &elsewhere);
        let domains: Vec<&str> = changed[0].affected.iter().map(|c| c.domain.as_str()).collect();
        assert_eq!(domains, ["billing", "reporting"]);
        let changed = with_consumers(&topic, vec![change(None)], &elsewhere);
        let domains: Vec<&str> = changed[0].affected.iter().map(|c| c.domain.as_str()).collect();
        assert_eq!(domains, ["audit", "billing", "ops", "reporting"]);
        assert!(changed[0].affected_list().contains("`billing` (queues `invoices`)"));
    }

    #[test]
    fn the_producer_is_not_its_own_consumer_and_a_domain_is_listed_once() {
        let project = seed();
        let topic = published_topics(&project, &project.domains[&name("scoring")], &name("dev")).remove(0);
        // The repo's reporting also registered itself in SSM when it deployed.
        let elsewhere = [registered("scoring", "self", &[]), registered("reporting", "updates", &["segment"])];
        let changed = with_consumers(&topic, vec![change(None)], &elsewhere);
        let domains: Vec<&str> = changed[0].affected.iter().map(|c| c.domain.as_str()).collect();
        assert_eq!(domains, ["audit", "reporting"]);
    }

    #[test]
    fn a_topic_new_in_ssm_is_no_change() {
        let project = seed();
        let topic = published_topics(&project, &project.domains[&name("scoring")], &name("dev")).remove(0);
        assert!(changes(&topic, None).is_empty());
        assert!(changes(&topic, Some(&topic.published)).is_empty());
        let mut fifo = topic.published.clone();
        fifo.contract.fifo = true;
        assert!(changes(&topic, Some(&fifo)).iter().any(|c| c.breaking));
        let mut with_attribute = topic.published.clone();
        with_attribute
            .contract
            .attributes
            .insert("segment".into(), AttributeContract { data_type: AttributeType::String, values: None });
        let removed = changes(&topic, Some(&with_attribute));
        assert!(removed.iter().any(|c| c.breaking && c.attribute.as_deref() == Some("segment")), "{removed:?}");
    }

    #[test]
    fn a_destroy_leaves_consumers_outside_the_destroyed_domains() {
        let project = seed();
        let topic = TopicRef::new(name("scoring"), name("scores"));
        let repo: Vec<SubscriberRecord> =
            project.domains.values().filter_map(|domain| SubscriberRecord::of(domain, &topic)).collect();
        let elsewhere = [registered("billing", "invoices", &[]), registered("audit", "all", &[])];
        let left = remaining(&topic, &repo, &elsewhere, &["scoring"]);
        let domains: Vec<&str> = left.iter().map(|c| c.domain.as_str()).collect();
        assert_eq!(domains, ["audit", "billing", "reporting"]);
        assert_eq!(left[2].queues, ["updates"]);
        let left = remaining(&topic, &repo, &elsewhere, &["scoring", "audit", "reporting"]);
        assert_eq!(left.iter().map(|c| c.domain.as_str()).collect::<Vec<_>>(), ["billing"]);
        assert!(remaining(&topic, &[], &[], &["scoring"]).is_empty());
    }

    #[test]
    fn registrations_are_read_and_a_bad_one_is_named() {
        let good = registered("billing", "invoices", &["segment"]);
        let found = BTreeMap::from([(
            "/fanout/dev/scoring/topics/scores/subscribers/billing".to_string(),
            serde_json::to_string(&good).unwrap(),
        )]);
        assert_eq!(registrations(&found).unwrap(), [good]);
        let bad = BTreeMap::from([("/p/subscribers/x".to_string(), "{".to_string())]);
        assert!(registrations(&bad).unwrap_err().to_string().contains("/p/subscribers/x"));
    }
}
