//! From a [`DomainManifest`] to a checked [`Domain`]: the per-field checks.
//!
//! Every check reports and goes on, so one run reports every mistake; what is broken is left
//! out of the domain, and the rest still takes part in the cross-domain checks. Diagnostics
//! name the field by its path; the reader of the file ([`crate::read`]) gives them positions.

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, DiagnosticKind, Diagnostics, FieldPath, lowercase_first};
use crate::duration::Duration;
use crate::limits;
use crate::manifest::{
    DeadLetterManifest, DomainManifest, EncryptionManifest, EncryptionMode, FilterManifest, QueueManifest,
    SubscriptionManifest, TopicManifest,
};
use crate::model::{
    DeadLetter, Domain, Encryption, FifoQueue, FifoTopic, Filter, FilterScope, Queue, QueueKind, Subscription, Topic,
    TopicKind,
};
use crate::name::{Name, TopicRef};

mod alerts;
mod attributes;
mod http;

/// A domain checked on its own, as far as it could be built.
#[derive(Debug)]
pub(crate) struct Lowered {
    /// The domain with its broken entries left out, or `None` when not even its name is valid.
    pub domain: Option<Domain>,
    pub diagnostics: Diagnostics,
    /// Where each queue's subscriptions come from: the index in the manifest's list of each
    /// subscription the domain kept, so a later diagnostic names the one the user wrote.
    pub origins: SubscriptionOrigins,
}

/// For each queue, the manifest index of each subscription of the model, in order.
pub(crate) type SubscriptionOrigins = BTreeMap<Name, Vec<usize>>;

/// Like [`Domain::from_manifest`], but returns whatever domain could be built even with
/// errors (broken entries left out), so cross-domain checks can still report on it.
pub(crate) fn lower_partially(manifest: &DomainManifest) -> Lowered {
    let mut cx = Lower::default();
    let domain = cx.domain(manifest);
    let mut diagnostics = cx.diagnostics;
    diagnostics.extend(crate::check::injection::manifest(manifest));
    for diagnostic in diagnostics.iter_mut() {
        diagnostic.domain.get_or_insert_with(|| manifest.domain.clone());
    }
    Lowered { domain, diagnostics, origins: cx.origins }
}

#[derive(Default)]
struct Lower {
    diagnostics: Diagnostics,
    origins: SubscriptionOrigins,
}

impl Lower {
    fn error(&mut self, kind: DiagnosticKind, path: FieldPath, message: impl Into<String>, hint: impl Into<String>) {
        self.diagnostics.push(Diagnostic::error(kind, path, message).with_hint(hint));
    }

    fn name(&mut self, text: &str, path: FieldPath, what: &str) -> Option<Name> {
        match Name::new(text) {
            Ok(name) => Some(name),
            Err(err) => {
                self.error(
                    DiagnosticKind::InvalidName,
                    path,
                    format!("invalid {what} name `{text}`: {}", lowercase_first(&err.to_string())),
                    "use lowercase letters, digits and single hyphens, starting with a letter: `scoring-runs`",
                );
                None
            }
        }
    }

    fn domain(&mut self, manifest: &DomainManifest) -> Option<Domain> {
        let root = FieldPath::root();
        let name = self.name(&manifest.domain, root.key("domain"), "domain");
        if let Some(description) = &manifest.description
            && description.len() > limits::TEMPLATE_DESCRIPTION
        {
            self.error(
                DiagnosticKind::DescriptionTooLong,
                root.key("description"),
                format!(
                    "the description is {} bytes; a CloudFormation template description holds at most {}",
                    description.len(),
                    limits::TEMPLATE_DESCRIPTION
                ),
                "shorten it",
            );
        }
        self.tags(manifest);
        let encryption = match &manifest.encryption {
            EncryptionManifest::Mode(EncryptionMode::CustomerKey) => Encryption::CustomerKey,
            EncryptionManifest::Mode(EncryptionMode::ServiceManaged) => Encryption::ServiceManaged,
            EncryptionManifest::Key(key) => self.existing_key(&key.kms_key, manifest),
        };
        let alerts = self.alerts(manifest.alerts.as_ref(), &encryption);
        let http = self.http(manifest);

        let mut topics = BTreeMap::new();
        for (topic_name, spec) in &manifest.topics {
            let path = root.key("topics").key(topic_name.clone());
            let topic_name = self.name(topic_name, path.clone(), "topic");
            let topic = self.topic(spec.as_ref().unwrap_or(&TopicManifest::default()), &path);
            if let (Some(topic_name), Some(topic)) = (topic_name, topic) {
                topics.insert(topic_name, topic);
            }
        }
        let mut queues = BTreeMap::new();
        for (queue_name, spec) in &manifest.queues {
            let path = root.key("queues").key(queue_name.clone());
            let queue_name = self.name(queue_name, path.clone(), "queue");
            let default = QueueManifest::default();
            let spec = spec.as_ref().unwrap_or(&default);
            let queue = name.as_ref().and_then(|home| self.queue(spec, &path, home)).map(|(queue, origins)| {
                let oldest_message_age =
                    self.queue_alerts(spec.alerts.as_ref(), &path.key("alerts"), manifest.alerts.is_some());
                (Queue { oldest_message_age, ..queue }, origins)
            });
            if let (Some(queue_name), Some((queue, origins))) = (queue_name, queue) {
                self.origins.insert(queue_name.clone(), origins);
                queues.insert(queue_name, queue);
            }
        }
        self.logical_id_collisions(topics.keys(), "topics");
        self.logical_id_collisions(queues.keys(), "queues");

        Some(Domain {
            name: name?,
            description: manifest.description.clone(),
            owner: manifest.owner.clone(),
            tags: manifest.tags.clone(),
            encryption,
            alerts,
            http,
            topics,
            queues,
        })
    }

    fn tags(&mut self, manifest: &DomainManifest) {
        let path = FieldPath::root().key("tags");
        let reserved = ["domain", "stage", "owner"];
        let max_user_tags = limits::TAGS_PER_RESOURCE - reserved.len();
        if manifest.tags.len() > max_user_tags {
            self.error(
                DiagnosticKind::TooManyTags,
                path.clone(),
                format!(
                    "{} tags given; AWS allows {} per resource and fanout adds 3",
                    manifest.tags.len(),
                    limits::TAGS_PER_RESOURCE
                ),
                format!("keep at most {max_user_tags} tags"),
            );
        }
        let valid_char = |c: char| c.is_alphanumeric() || " _.:/=+-@".contains(c);
        for (key, value) in &manifest.tags {
            let key_path = path.key(key.clone());
            if reserved.contains(&key.as_str()) {
                self.error(
                    DiagnosticKind::ReservedTag,
                    key_path.clone(),
                    format!("tag `{key}` is set by fanout itself"),
                    if key == "owner" { "use the `owner` field instead" } else { "remove this tag" },
                );
            }
            if key.is_empty() || key.len() > limits::TAG_KEY || !key.chars().all(valid_char) || key.starts_with("aws:")
            {
                self.error(
                    DiagnosticKind::InvalidTagKey,
                    key_path.clone(),
                    format!("invalid tag key `{key}`"),
                    "use 1 to 128 letters, digits, spaces and `_ . : / = + - @`, not starting with `aws:`",
                );
            }
            if value.len() > limits::TAG_VALUE || !value.chars().all(valid_char) {
                self.error(
                    DiagnosticKind::InvalidTagValue,
                    key_path,
                    format!("invalid value for tag `{key}`"),
                    "use at most 256 letters, digits, spaces and `_ . : / = + - @`",
                );
            }
        }
        if let Some(owner) = &manifest.owner
            && (owner.is_empty() || owner.len() > limits::TAG_VALUE || !owner.chars().all(valid_char))
        {
            self.error(
                DiagnosticKind::InvalidOwner,
                FieldPath::root().key("owner"),
                format!("invalid owner `{owner}`: it becomes a tag value"),
                "use 1 to 256 letters, digits, spaces and `_ . : / = + - @`",
            );
        }
    }

    fn existing_key(&mut self, key: &str, manifest: &DomainManifest) -> Encryption {
        let path = FieldPath::root().key("encryption").key("kms_key");
        let subscribed =
            manifest.queues.values().any(|queue| queue.as_ref().is_some_and(|queue| !queue.subscriptions.is_empty()));
        if let Some(alias) = crate::check::keys::aws_managed_alias(key) {
            self.diagnostics.push(crate::check::keys::aws_managed(path, key, alias));
        } else if !(key.starts_with("alias/") || key.starts_with("arn:")) {
            self.error(
                DiagnosticKind::InvalidKmsKey,
                path,
                format!("`{key}` is not a KMS key ARN or alias"),
                "write `arn:aws:kms:...:key/...` or `alias/<name>`",
            );
        } else if subscribed {
            self.diagnostics.push(
                Diagnostic::warning(
                    DiagnosticKind::ExistingKeyNeedsSnsGrant,
                    path,
                    format!("SNS can deliver to these queues only if the policy of key `{key}` allows it"),
                )
                .with_hint("grant `sns.amazonaws.com` `kms:GenerateDataKey*` and `kms:Decrypt` in that key's policy"),
            );
        }
        Encryption::ExistingKey(key.to_string())
    }

    fn topic(&mut self, spec: &TopicManifest, path: &FieldPath) -> Option<Topic> {
        let kind = if spec.fifo {
            TopicKind::Fifo(FifoTopic {
                content_based_deduplication: spec.content_based_deduplication.unwrap_or(false),
            })
        } else {
            self.fifo_only(spec.content_based_deduplication.is_some(), path, "content_based_deduplication", "topic");
            TopicKind::Standard
        };
        Some(Topic {
            description: spec.description.clone(),
            kind,
            schema: spec.schema.as_ref().map(|path| crate::model::EventSchema { path: path.clone(), document: None }),
            http: spec.http,
            attributes: self.attributes(&spec.attributes, path),
        })
    }

    fn fifo_only(&mut self, present: bool, path: &FieldPath, field: &str, what: &str) {
        if present {
            self.error(
                DiagnosticKind::FifoOnlySetting,
                path.key(field),
                format!("`{field}` applies only to FIFO {what}s"),
                format!("add `fifo: true` to this {what}, or remove `{field}`"),
            );
        }
    }

    fn duration(&mut self, text: Option<&str>, path: FieldPath, default: Duration, range: (u32, u32)) -> Duration {
        let Some(text) = text else { return default };
        let (min, max) = (Duration::from_secs(range.0), Duration::from_secs(range.1));
        match text.parse::<Duration>() {
            Ok(duration) if duration >= min && duration <= max => duration,
            Ok(duration) => {
                let field = path.field().unwrap_or_default().to_string();
                self.error(
                    DiagnosticKind::DurationOutOfRange,
                    path,
                    format!("`{field}` is {duration}, outside what AWS allows"),
                    format!("use a duration from {min} to {max}"),
                );
                default
            }
            Err(_) => {
                self.error(
                    DiagnosticKind::InvalidDuration,
                    path,
                    format!("invalid duration `{text}`"),
                    "write a whole number and a unit: `30s`, `15m`, `12h` or `4d`",
                );
                default
            }
        }
    }

    /// The queue, and the manifest index of each subscription it kept.
    fn queue(&mut self, spec: &QueueManifest, path: &FieldPath, home: &Name) -> Option<(Queue, Vec<usize>)> {
        let kind = if spec.fifo {
            QueueKind::Fifo(FifoQueue {
                content_based_deduplication: spec.content_based_deduplication.unwrap_or(false),
                high_throughput: spec.high_throughput.unwrap_or(false),
            })
        } else {
            self.fifo_only(spec.content_based_deduplication.is_some(), path, "content_based_deduplication", "queue");
            self.fifo_only(spec.high_throughput.is_some(), path, "high_throughput", "queue");
            QueueKind::Standard
        };
        let visibility_timeout = self.duration(
            spec.visibility_timeout.as_deref(),
            path.key("visibility_timeout"),
            Queue::DEFAULT_VISIBILITY_TIMEOUT,
            limits::VISIBILITY_TIMEOUT,
        );
        let retention = self.duration(
            spec.retention.as_deref(),
            path.key("retention"),
            Queue::DEFAULT_RETENTION,
            limits::RETENTION,
        );
        let receive_wait = self.duration(
            spec.receive_wait.as_deref(),
            path.key("receive_wait"),
            Queue::DEFAULT_RECEIVE_WAIT,
            limits::RECEIVE_WAIT,
        );
        let delay = self.duration(spec.delay.as_deref(), path.key("delay"), Queue::DEFAULT_DELAY, limits::DELAY);
        let dead_letter = self.dead_letter(spec.dead_letter.as_ref(), &path.key("dead_letter"));

        let subscriptions_path = path.key("subscriptions");
        let max = limits::QUEUE_POLICY_STATEMENTS - 1;
        if spec.subscriptions.len() > max {
            self.error(
                DiagnosticKind::TooManySubscriptions,
                subscriptions_path.clone(),
                format!(
                    "{} subscriptions; a queue policy holds {} statements, one per topic plus one that enforces TLS",
                    spec.subscriptions.len(),
                    limits::QUEUE_POLICY_STATEMENTS
                ),
                format!("subscribe this queue to at most {max} topics, or split it into several queues"),
            );
        }
        let mut subscriptions: Vec<Subscription> = Vec::new();
        let mut origins = Vec::new();
        for (index, sub) in spec.subscriptions.iter().enumerate() {
            let sub_path = subscriptions_path.index(index);
            if let Some(subscription) = self.subscription(sub, &sub_path, home) {
                if subscriptions.iter().any(|s| s.topic == subscription.topic) {
                    self.error(
                        DiagnosticKind::DuplicateSubscription,
                        sub_path.key("topic"),
                        format!("this queue subscribes to `{}` twice", subscription.topic),
                        "merge the two subscriptions; SNS keeps one subscription per topic and queue",
                    );
                    continue;
                }
                subscriptions.push(subscription);
                origins.push(index);
            }
        }
        let queue = Queue {
            description: spec.description.clone(),
            kind,
            visibility_timeout,
            retention,
            receive_wait,
            delay,
            dead_letter,
            subscriptions,
            oldest_message_age: None,
            http: spec.http,
        };
        Some((queue, origins))
    }

    fn dead_letter(&mut self, spec: Option<&DeadLetterManifest>, path: &FieldPath) -> Option<DeadLetter> {
        let settings = match spec {
            None | Some(DeadLetterManifest::Enabled(true)) => return Some(DeadLetter::default()),
            Some(DeadLetterManifest::Enabled(false)) => return None,
            Some(DeadLetterManifest::Settings(settings)) => settings,
        };
        let (min, max) = limits::MAX_RECEIVE_COUNT;
        let max_receive_count = match settings.max_receive_count {
            None => DeadLetter::DEFAULT_MAX_RECEIVE_COUNT,
            Some(count) => match u16::try_from(count) {
                Ok(count) if (min..=max).contains(&count) => count,
                _ => {
                    self.error(
                        DiagnosticKind::MaxReceiveCountOutOfRange,
                        path.key("max_receive_count"),
                        format!("`max_receive_count` is {count}, outside what AWS allows"),
                        format!("use a whole number from {min} to {max}"),
                    );
                    DeadLetter::DEFAULT_MAX_RECEIVE_COUNT
                }
            },
        };
        let retention = self.duration(
            settings.retention.as_deref(),
            path.key("retention"),
            DeadLetter::DEFAULT_RETENTION,
            limits::RETENTION,
        );
        Some(DeadLetter { max_receive_count, retention })
    }

    fn subscription(&mut self, spec: &SubscriptionManifest, path: &FieldPath, home: &Name) -> Option<Subscription> {
        let topic = match TopicRef::parse(&spec.topic, home) {
            Ok(topic) => Some(topic),
            Err(err) => {
                self.error(DiagnosticKind::InvalidTopicReference,
                    path.key("topic"),
                    lowercase_first(&err.to_string()),
                    "write `<domain>/<topic>`, or a bare `<topic>` of this domain, in lowercase letters, digits and hyphens",
                );
                None
            }
        };
        let filter = match &spec.filter {
            None => None,
            Some(filter) => self.filter(filter, &path.key("filter")),
        };
        Some(Subscription { topic: topic?, raw_message_delivery: spec.raw_message_delivery, filter })
    }

    fn filter(&mut self, spec: &FilterManifest, path: &FieldPath) -> Option<Filter> {
        let (scope, policy, field) = match (&spec.attributes, &spec.body) {
            (Some(policy), None) => (FilterScope::MessageAttributes, policy, "attributes"),
            (None, Some(policy)) => (FilterScope::MessageBody, policy, "body"),
            (Some(_), Some(_)) => {
                self.error(
                    DiagnosticKind::FilterAttributesAndBody,
                    path.clone(),
                    "a filter has both `attributes` and `body`",
                    "a subscription filters on one of them; keep one",
                );
                return None;
            }
            (None, None) => {
                self.error(
                    DiagnosticKind::EmptyFilter,
                    path.clone(),
                    "the filter is empty",
                    "write `attributes: {...}` or `body: {...}`, or remove `filter`",
                );
                return None;
            }
        };
        let path = path.key(field);
        let problems = super::filter_policy::check(policy, scope, &path);
        let ok = problems.is_empty();
        for problem in problems {
            self.error(problem.kind, problem.path, problem.message, problem.hint);
        }
        ok.then(|| Filter { scope, policy: policy.clone() })
    }

    /// Two names whose logical IDs would be equal (`a-1b` and `a1b` both give `A1b`).
    fn logical_id_collisions<'a>(&mut self, names: impl Iterator<Item = &'a Name>, field: &str) {
        let mut seen: BTreeMap<String, &Name> = BTreeMap::new();
        for name in names {
            if let Some(other) = seen.insert(name.pascal_case(), name) {
                self.error(
                    DiagnosticKind::LogicalIdCollision,
                    FieldPath::root().key(field).key(name.to_string()),
                    format!("`{name}` and `{other}` give the same CloudFormation logical ID `{}`", name.pascal_case()),
                    "rename one of them",
                );
            }
        }
    }
}
