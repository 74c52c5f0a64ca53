//! The organization as SSM shows it: every topic published under a stage and every consumer
//! domain registered on one, across all repos, read from the parameters' names and values.
//!
//! The names are the ones [`crate::naming`] gives; parameters under the same path that are not
//! fanout's (another tool sharing the prefix) are skipped, and a value fanout cannot read is a
//! warning naming the parameter, never an error: one broken stack must not hide the rest.

use std::collections::BTreeMap;
use std::fmt;

use crate::contract::published::{FORMAT_VERSION, SubscriberRecord, TopicContract};
use crate::name::{Name, TopicRef};
use crate::naming;

/// Every topic found under a stage, by `domain/topic`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Organization {
    /// The topics, with what was found of each.
    pub topics: BTreeMap<TopicRef, PublishedTopic>,
    /// Parameters fanout's names fit but whose values it could not read, in name order.
    pub warnings: Vec<ParameterWarning>,
}

/// What SSM holds of one topic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublishedTopic {
    /// The ARN its producer's stack publishes; `None` when the producer's stack is gone but
    /// consumers are still registered.
    pub arn: Option<String>,
    /// Its contract, when published and readable.
    pub contract: Option<TopicContract>,
    /// Whether it has a publish endpoint (its URL is published).
    pub publish_endpoint: bool,
    /// The consumer domains registered on it, by domain.
    pub subscribers: BTreeMap<Name, SubscriberRecord>,
}

impl PublishedTopic {
    /// A FIFO topic, by its contract, else by its ARN's `.fifo` suffix.
    pub fn fifo(&self) -> Option<bool> {
        match (&self.contract, &self.arn) {
            (Some(contract), _) => Some(contract.fifo),
            (None, Some(arn)) => Some(arn.ends_with(".fifo")),
            (None, None) => None,
        }
    }
}

/// A parameter with a name fanout writes and a value it cannot read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParameterWarning {
    /// The SSM parameter's name.
    pub parameter: String,
    /// What is wrong with its value.
    pub message: String,
}

impl fmt::Display for ParameterWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SSM parameter `{}` {}", self.parameter, self.message)
    }
}

/// What a parameter's name says it is.
enum Kind {
    Arn,
    Contract,
    Url,
    Subscriber(Name),
}

/// Reads the parameters found under [`naming::stage_parameters_path`] (name and value, in any
/// order) into the organization.
///
/// ```
/// use fanout::{Name, TopicRef};
///
/// let stage = Name::new("dev")?;
/// let organization = fanout::organization::from_parameters("/fanout", &stage, [
///     ("/fanout/dev/ingestion/topics/ready/arn", "arn:aws:sns:eu-west-1:123456789012:dev-ingestion-ready"),
///     ("/fanout/dev/ingestion/topics/ready/subscribers/scoring", r#"{"version":1,"domain":"scoring","queues":{"inbox":{"fifo":false}}}"#),
///     ("/fanout/dev/other-tool/setting", "x"),
/// ]);
/// let topic = &organization.topics[&TopicRef::new(Name::new("ingestion")?, Name::new("ready")?)];
/// assert!(topic.subscribers.contains_key(&Name::new("scoring")?));
/// assert!(organization.warnings.is_empty());
/// # Ok::<(), fanout::NameError>(())
/// ```
pub fn from_parameters<'a>(
    ssm_prefix: &str,
    stage: &Name,
    parameters: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Organization {
    let base = format!("{}/", naming::stage_parameters_path(ssm_prefix, stage));
    let mut parameters: Vec<(&str, &str)> = parameters.into_iter().collect();
    parameters.sort_unstable();
    let mut organization = Organization::default();
    for (name, value) in parameters {
        let Some((topic, kind)) = name.strip_prefix(&base).and_then(parse_name) else { continue };
        let warn = |message: String| ParameterWarning { parameter: name.to_string(), message };
        let found = organization.topics.entry(topic).or_default();
        match kind {
            Kind::Arn => found.arn = Some(value.to_string()),
            Kind::Url => found.publish_endpoint = true,
            Kind::Contract => match read_contract(value) {
                Ok(contract) => found.contract = Some(contract),
                Err(message) => organization.warnings.push(warn(message)),
            },
            Kind::Subscriber(consumer) => match read_subscriber(value, &consumer) {
                Ok(record) => {
                    found.subscribers.insert(consumer, record);
                }
                Err(message) => organization.warnings.push(warn(message)),
            },
        }
    }
    organization
}

/// `{domain}/topics/{topic}/{arn|contract|url}` or `{domain}/topics/{topic}/subscribers/{consumer}`,
/// with valid names; anything else is not fanout's.
fn parse_name(rest: &str) -> Option<(TopicRef, Kind)> {
    let parts: Vec<&str> = rest.split('/').collect();
    let topic = |domain: &str, topic: &str| Some(TopicRef::new(Name::new(domain).ok()?, Name::new(topic).ok()?));
    match parts.as_slice() {
        [domain, "topics", name, "arn"] => Some((topic(domain, name)?, Kind::Arn)),
        [domain, "topics", name, "contract"] => Some((topic(domain, name)?, Kind::Contract)),
        [domain, "topics", name, "url"] => Some((topic(domain, name)?, Kind::Url)),
        [domain, "topics", name, "subscribers", consumer] => {
            Some((topic(domain, name)?, Kind::Subscriber(Name::new(*consumer).ok()?)))
        }
        _ => None,
    }
}

fn version_known(version: Option<u64>) -> Result<(), String> {
    match version {
        Some(version) if version == u64::from(FORMAT_VERSION) => Ok(()),
        Some(version) => Err(format!(
            "has format version {version}, this fanout reads version {FORMAT_VERSION}\n  hint: use the fanout version that deployed it"
        )),
        None => Ok(()),
    }
}

fn read_contract(value: &str) -> Result<TopicContract, String> {
    let document: serde_json::Value =
        serde_json::from_str(value).map_err(|err| format!("is not a topic contract: not JSON ({err})"))?;
    version_known(document.get("version").and_then(serde_json::Value::as_u64))?;
    serde_json::from_value(document).map_err(|err| {
        format!("is not a topic contract: {err}\n  hint: redeploy the producer's stack with fanout to publish it again")
    })
}

fn read_subscriber(value: &str, consumer: &Name) -> Result<SubscriberRecord, String> {
    let document: serde_json::Value =
        serde_json::from_str(value).map_err(|err| format!("is not a subscriber registration: not JSON ({err})"))?;
    version_known(document.get("version").and_then(serde_json::Value::as_u64))?;
    let record: SubscriberRecord = serde_json::from_value(document).map_err(|err| {
        format!("is not a subscriber registration: {err}\n  hint: redeploy the consumer's stack with fanout to register it again")
    })?;
    if record.domain != consumer.as_str() {
        return Err(format!(
            "registers domain `{}` under the name of domain `{consumer}`\n  hint: redeploy domain `{consumer}` with fanout",
            record.domain
        ));
    }
    if let Some(queue) = record.queues.keys().find(|queue| Name::new(queue.as_str()).is_err()) {
        return Err(format!("names queue `{queue}`, which is not a valid queue name"));
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage() -> Name {
        Name::new("dev").expect("valid")
    }

    fn topic(domain: &str, name: &str) -> TopicRef {
        TopicRef::new(Name::new(domain).expect("valid"), Name::new(name).expect("valid"))
    }

    const SUBSCRIBER: &str =
        r#"{"version":1,"domain":"reporting","queues":{"scores":{"fifo":true,"attribute_keys":["segment"]}}}"#;

    #[test]
    fn topics_contracts_and_subscribers_are_read() {
        let contract = r#"{"version":1,"fifo":true,"content_based_deduplication":false,"attributes":{"segment":{"type":"String","values":["premium"]}}}"#;
        let organization = from_parameters(
            "/fanout",
            &stage(),
            [
                ("/fanout/dev/scoring/topics/scores-published/subscribers/reporting", SUBSCRIBER),
                (
                    "/fanout/dev/scoring/topics/scores-published/arn",
                    "arn:aws:sns:r:1:dev-scoring-scores-published.fifo",
                ),
                ("/fanout/dev/scoring/topics/scores-published/contract", contract),
                ("/fanout/dev/scoring/topics/scores-published/schema", "{}"),
                ("/fanout/dev/scoring/topics/scores-published/url", "https://example/topics/scores-published"),
            ],
        );
        assert!(organization.warnings.is_empty());
        let found = &organization.topics[&topic("scoring", "scores-published")];
        assert_eq!(found.arn.as_deref(), Some("arn:aws:sns:r:1:dev-scoring-scores-published.fifo"));
        assert!(found.publish_endpoint);
        assert_eq!(found.fifo(), Some(true));
        let contract = found.contract.as_ref().expect("read");
        assert!(contract.attributes.contains_key("segment"));
        let record = &found.subscribers[&Name::new("reporting").expect("valid")];
        assert_eq!(record.queues["scores"].attribute_keys, ["segment"]);
    }

    #[test]
    fn parameters_that_are_not_fanouts_are_skipped() {
        let organization = from_parameters(
            "/fanout",
            &stage(),
            [
                ("/fanout/dev/other-tool/config", "x"),
                ("/fanout/dev/scoring/topics/ready/arn/extra", "x"),
                ("/fanout/dev/scoring/topics/Not_A_Name/arn", "x"),
                ("/fanout/dev/scoring/queues/inbox/url", "x"),
                ("/fanout/prod/scoring/topics/ready/arn", "x"),
                ("/fanoutx/dev/scoring/topics/ready/arn", "x"),
                ("/fanout/dev/scoring/topics/ready/subscribers", "x"),
            ],
        );
        assert_eq!(organization, Organization::default());
    }

    #[test]
    fn a_subscriber_without_an_arn_is_kept_as_a_topic_without_producer() {
        let organization = from_parameters(
            "/fanout",
            &stage(),
            [("/fanout/dev/scoring/topics/scores-published/subscribers/reporting", SUBSCRIBER)],
        );
        let found = &organization.topics[&topic("scoring", "scores-published")];
        assert_eq!(found.arn, None);
        assert_eq!(found.fifo(), None);
        assert_eq!(found.subscribers.len(), 1);
    }

    #[test]
    fn malformed_values_are_warnings_naming_the_parameter() {
        let organization = from_parameters(
            "/fanout",
            &stage(),
            [
                ("/fanout/dev/a/topics/t/arn", "arn:aws:sns:r:1:dev-a-t"),
                ("/fanout/dev/a/topics/t/contract", "{not json"),
                ("/fanout/dev/a/topics/t/subscribers/b", r#"{"version":1,"domain":"c","queues":{}}"#),
                ("/fanout/dev/a/topics/t/subscribers/d", r#"{"version":2,"domain":"d","queues":{}}"#),
                (
                    "/fanout/dev/a/topics/t/subscribers/e",
                    r#"{"version":1,"domain":"e","queues":{"Bad_Name":{"fifo":false}}}"#,
                ),
                ("/fanout/dev/a/topics/u/contract", r#"{"version":1,"fifo":"yes"}"#),
            ],
        );
        let warnings: Vec<String> = organization.warnings.iter().map(|warning| warning.to_string()).collect();
        insta::assert_snapshot!(warnings.join("\n"), @r#"
        SSM parameter `/fanout/dev/a/topics/t/contract` is not a topic contract: not JSON (key must be a string at line 1 column 2)
        SSM parameter `/fanout/dev/a/topics/t/subscribers/b` registers domain `c` under the name of domain `b`
          hint: redeploy domain `b` with fanout
        SSM parameter `/fanout/dev/a/topics/t/subscribers/d` has format version 2, this fanout reads version 1
          hint: use the fanout version that deployed it
        SSM parameter `/fanout/dev/a/topics/t/subscribers/e` names queue `Bad_Name`, which is not a valid queue name
        SSM parameter `/fanout/dev/a/topics/u/contract` is not a topic contract: invalid type: string "yes", expected a boolean
          hint: redeploy the producer's stack with fanout to publish it again
        "#);
        // The topic is still there, without what could not be read.
        let found = &organization.topics[&topic("a", "t")];
        assert_eq!(found.contract, None);
        assert!(found.subscribers.is_empty());
        assert_eq!(found.fifo(), Some(false));
    }

    #[test]
    fn the_same_parameters_in_any_order_give_the_same_organization() {
        let parameters = [
            ("/fanout/dev/a/topics/t/arn", "arn:aws:sns:r:1:dev-a-t"),
            ("/fanout/dev/a/topics/t/subscribers/b", r#"{"version":1,"domain":"b","queues":{}}"#),
            ("/fanout/dev/a/topics/t/contract", "{"),
            ("/fanout/dev/a/topics/s/contract", "["),
        ];
        let mut reversed = parameters;
        reversed.reverse();
        assert_eq!(from_parameters("/fanout", &stage(), parameters), from_parameters("/fanout", &stage(), reversed));
    }
}
