//! The Rust door into the model: builders that describe a domain the way a manifest does.
//!
//! A [`DomainBuilder`] writes a [`DomainManifest`] and hands it to [`Domain::from_manifest`],
//! so a domain built in Rust passes exactly the checks a manifest passes and gets the same
//! [`Diagnostic`]s: same messages, same field paths (`queues.inbox.visibility_timeout`),
//! no file positions. The two doors cannot drift apart because there is one set of checks.
//!
//! Where a Rust type can rule a mistake out, it does: the FIFO-only settings exist only on
//! [`TopicBuilder<Fifo>`] and [`QueueBuilder<Fifo>`], durations are [`Duration`]s, and a
//! subscription has at most one filter. Everything else (names, ranges, limits) is checked
//! when [`DomainBuilder::build`] runs; no method here panics, whatever it is given.
//!
//! ```
//! use fanout::build::{DomainBuilder, QueueBuilder, SubscriptionBuilder, TopicBuilder};
//! use fanout::Duration;
//!
//! let billing = DomainBuilder::new("billing")
//!     .owner("team-billing")
//!     .topic(TopicBuilder::standard("invoices-issued").description("An invoice was sent"))
//!     .queue(
//!         QueueBuilder::fifo("scores")
//!             .visibility_timeout(Duration::from_mins(5))
//!             .subscribe(SubscriptionBuilder::from("scoring/scores-published").raw_message_delivery(true)),
//!     )
//!     .build()?;
//! assert_eq!(billing.queues.len(), 1);
//! # Ok::<(), fanout::Diagnostics>(())
//! ```
//!
//! A setting a topic or queue of that kind cannot have does not compile:
//!
//! ```compile_fail
//! use fanout::build::TopicBuilder;
//! // `content_based_deduplication` exists only on FIFO topics.
//! let topic = TopicBuilder::standard("events").content_based_deduplication(true);
//! ```

use std::collections::btree_map::Entry;
use std::marker::PhantomData;

use crate::diagnostic::{Diagnostic, DiagnosticKind, Diagnostics, FieldPath};
use crate::duration::Duration;
use crate::manifest::{
    AlertsManifest, AttributeManifest, AttributeType, DeadLetterManifest, DeadLetterSettings, DomainManifest,
    EncryptionManifest, EncryptionMode, ExistingKey, FilterManifest, HttpManifest, QueueAlertsManifest, QueueManifest,
    SubscriptionManifest, TopicManifest,
};
use crate::model::lower::{Lowered, lower_partially};
use crate::model::{DeadLetter, Domain, Encryption};
use crate::name::TopicRef;

/// Marks a [`TopicBuilder`] or [`QueueBuilder`] as standard: at-least-once, best-effort order.
#[derive(Clone, Copy, Debug)]
pub enum Standard {}

/// Marks a [`TopicBuilder`] or [`QueueBuilder`] as FIFO: ordered within a message group,
/// deduplicated; the FIFO-only settings are methods of this kind alone.
#[derive(Clone, Copy, Debug)]
pub enum Fifo {}

/// Builds a [`Domain`]: the topics it publishes and the queues it consumes with.
///
/// Methods take and return the builder, so a domain reads as one expression; in a loop,
/// reassign it (`domain = domain.queue(...)`) or pass an iterator to [`DomainBuilder::queues`].
#[derive(Clone, Debug)]
pub struct DomainBuilder {
    manifest: DomainManifest,
    /// Problems only the builder can see, such as a topic added twice.
    problems: Diagnostics,
}

impl DomainBuilder {
    /// Starts a domain named `name`. The name is checked by [`DomainBuilder::build`], like
    /// every other field, so an invalid one is reported with the rest.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            manifest: DomainManifest {
                domain: name.into(),
                description: None,
                owner: None,
                tags: Default::default(),
                encryption: EncryptionManifest::default(),
                alerts: None,
                http: None,
                topics: Default::default(),
                queues: Default::default(),
            },
            problems: Diagnostics::default(),
        }
    }

    /// What the domain does; becomes the template's description.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.manifest.description = Some(description.into());
        self
    }

    /// The owning team; tagged as `owner` on every resource.
    #[must_use]
    pub fn owner(mut self, owner: impl Into<String>) -> Self {
        self.manifest.owner = Some(owner.into());
        self
    }

    /// Adds a tag to every resource, replacing an earlier tag with the same key.
    #[must_use]
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.manifest.tags.insert(key.into(), value.into());
        self
    }

    /// Adds several tags, as [`DomainBuilder::tag`] does one.
    #[must_use]
    pub fn tags<K: Into<String>, V: Into<String>>(mut self, tags: impl IntoIterator<Item = (K, V)>) -> Self {
        self.manifest.tags.extend(tags.into_iter().map(|(key, value)| (key.into(), value.into())));
        self
    }

    /// How topics, queues and dead-letter queues are encrypted at rest; default
    /// [`Encryption::CustomerKey`].
    #[must_use]
    pub fn encryption(mut self, encryption: Encryption) -> Self {
        self.manifest.encryption = match encryption {
            Encryption::CustomerKey => EncryptionManifest::Mode(EncryptionMode::CustomerKey),
            Encryption::ServiceManaged => EncryptionManifest::Mode(EncryptionMode::ServiceManaged),
            Encryption::ExistingKey(kms_key) => EncryptionManifest::Key(ExistingKey { kms_key }),
        };
        self
    }

    /// Sends alarms on this domain's queues and topics to the recipients of `alerts`
    /// (the manifest's `alerts`); replaces earlier alerts.
    ///
    /// ```
    /// use fanout::build::{AlertsBuilder, DomainBuilder, QueueBuilder};
    /// use fanout::Duration;
    ///
    /// let domain = DomainBuilder::new("billing")
    ///     .alerts(AlertsBuilder::email("oncall@team.example").oldest_message_age(Duration::from_mins(30)))
    ///     .queue(QueueBuilder::standard("inbox").oldest_message_age_alarm(Duration::from_hours(2)))
    ///     .build()?;
    /// assert_eq!(domain.alerts.map(|alerts| alerts.email), Some(vec!["oncall@team.example".to_string()]));
    /// # Ok::<(), fanout::Diagnostics>(())
    /// ```
    #[must_use]
    pub fn alerts(mut self, alerts: AlertsBuilder) -> Self {
        self.manifest.alerts = Some(alerts.manifest);
        self
    }

    /// Throttles the domain's REST API stage-wide: `rate_limit` requests per second over
    /// time and `burst_limit` at once (the manifest's `http.rate_limit` and
    /// `http.burst_limit`); by default 100 and 200.
    ///
    /// ```
    /// use fanout::build::{DomainBuilder, TopicBuilder};
    ///
    /// let domain = DomainBuilder::new("billing")
    ///     .http_throttling(50, 100)
    ///     .topic(TopicBuilder::standard("invoices-issued").http(true))
    ///     .build()?;
    /// assert_eq!((domain.http.rate_limit, domain.http.burst_limit), (50, 100));
    /// # Ok::<(), fanout::Diagnostics>(())
    /// ```
    #[must_use]
    pub fn http_throttling(mut self, rate_limit: u32, burst_limit: u32) -> Self {
        let http = self.manifest.http.get_or_insert_with(HttpManifest::default);
        http.rate_limit = Some(i64::from(rate_limit));
        http.burst_limit = Some(i64::from(burst_limit));
        self
    }

    /// Associates an existing regional AWS WAF web ACL, by ARN, with the domain's REST API
    /// stage (the manifest's `http.web_acl_arn`).
    #[must_use]
    pub fn web_acl_arn(mut self, arn: impl Into<String>) -> Self {
        self.manifest.http.get_or_insert_with(HttpManifest::default).web_acl_arn = Some(arn.into());
        self
    }

    /// Adds a topic the domain publishes. A second topic of the same name is reported by
    /// [`DomainBuilder::build`]; the first one stays.
    #[must_use]
    pub fn topic<K>(mut self, topic: TopicBuilder<K>) -> Self {
        match self.manifest.topics.entry(topic.name) {
            Entry::Vacant(entry) => {
                entry.insert(Some(topic.manifest));
            }
            Entry::Occupied(entry) => {
                let name = entry.key().clone();
                self.twice(FieldPath::root().key("topics").key(name.clone()), "topic", &name);
            }
        }
        self
    }

    /// Adds every topic of `topics`.
    #[must_use]
    pub fn topics<K>(self, topics: impl IntoIterator<Item = TopicBuilder<K>>) -> Self {
        topics.into_iter().fold(self, Self::topic)
    }

    /// Adds a queue the domain consumes with. A second queue of the same name is reported
    /// by [`DomainBuilder::build`]; the first one stays.
    #[must_use]
    pub fn queue<K>(mut self, queue: QueueBuilder<K>) -> Self {
        let path = FieldPath::root().key("queues").key(queue.name.clone());
        if self.manifest.queues.contains_key(&queue.name) {
            self.twice(path, "queue", &queue.name);
            return self;
        }
        let mut manifest = queue.manifest;
        for (index, subscription) in queue.subscriptions.into_iter().enumerate() {
            if let Some((field, found)) = subscription.filter_problem {
                let field_path = path.key("subscriptions").index(index).key("filter").key(field);
                self.problems.push(
                    Diagnostic::error(
                        DiagnosticKind::WrongType,
                        field_path,
                        format!("wrong type: expected a mapping, found {found}"),
                    )
                    .with_hint("write a mapping from keys to lists of values: `{ event_type: [InputsReady] }`")
                    .in_domain(self.manifest.domain.clone()),
                );
            }
            manifest.subscriptions.push(subscription.manifest);
        }
        self.manifest.queues.insert(queue.name, Some(manifest));
        self
    }

    /// Adds every queue of `queues`: a queue per tenant or region, built in a loop.
    ///
    /// ```
    /// use fanout::build::{DomainBuilder, QueueBuilder};
    ///
    /// let regions = ["eu-west-1", "us-east-1"];
    /// let domain = DomainBuilder::new("billing")
    ///     .queues(regions.iter().map(|region| {
    ///         QueueBuilder::fifo(format!("scores-{region}")).subscribe("scoring/scores-published")
    ///     }))
    ///     .build()?;
    /// assert_eq!(domain.queues.len(), 2);
    /// # Ok::<(), fanout::Diagnostics>(())
    /// ```
    #[must_use]
    pub fn queues<K>(self, queues: impl IntoIterator<Item = QueueBuilder<K>>) -> Self {
        queues.into_iter().fold(self, Self::queue)
    }

    fn twice(&mut self, path: FieldPath, what: &str, name: &str) {
        self.problems.push(
            Diagnostic::error(DiagnosticKind::AddedTwice, path, format!("{what} `{name}` is added twice"))
                .with_hint(format!("add each {what} once; a manifest, too, names each {what} once"))
                .in_domain(self.manifest.domain.clone()),
        );
    }

    /// The manifest this builder describes: write it with `serde_yaml` to get the YAML a
    /// team would otherwise write by hand. Problems only the builder sees (a topic added
    /// twice, a filter policy that is not a mapping) are not in it; [`DomainBuilder::build`]
    /// reports them.
    pub fn to_manifest(&self) -> DomainManifest {
        self.manifest.clone()
    }

    /// The manifest as YAML: what `domains/<domain>.yaml` would hold, for a repo that
    /// defines its domain in Rust and deploys it with the `fanout` CLI.
    ///
    /// ```
    /// use fanout::build::{DomainBuilder, TopicBuilder};
    ///
    /// let yaml = DomainBuilder::new("billing").topic(TopicBuilder::fifo("invoices")).to_manifest_yaml();
    /// assert_eq!(yaml, "domain: billing\nencryption: customer-key\ntopics:\n  invoices:\n    fifo: true\n");
    /// ```
    #[expect(clippy::expect_used, reason = "a manifest always serializes: see the message")]
    pub fn to_manifest_yaml(&self) -> String {
        serde_yaml::to_string(&self.manifest).expect("a manifest serializes: plain fields and maps with string keys")
    }

    /// Checks the domain, with the checks a manifest gets, and builds it; the error holds
    /// every problem found. Warnings are dropped on success; see
    /// [`DomainBuilder::build_with_warnings`] to keep them.
    pub fn build(&self) -> Result<Domain, Diagnostics> {
        match self.build_with_warnings() {
            (Some(domain), _) => Ok(domain),
            (None, diagnostics) => Err(diagnostics),
        }
    }

    /// Like [`DomainBuilder::build`], but returns the warnings too, as
    /// [`Domain::from_manifest`] does: the domain comes back only without errors.
    pub fn build_with_warnings(&self) -> (Option<Domain>, Diagnostics) {
        let Lowered { domain, diagnostics, .. } = self.build_partially();
        if diagnostics.has_errors() { (None, diagnostics) } else { (domain, diagnostics) }
    }

    /// Whatever domain can be built even with errors (broken entries left out), as the
    /// loader builds it for the cross-domain checks.
    pub(crate) fn build_partially(&self) -> Lowered {
        let mut lowered = lower_partially(&self.manifest);
        let mut diagnostics = self.problems.clone();
        diagnostics.extend(lowered.diagnostics);
        lowered.diagnostics = diagnostics;
        lowered
    }
}

/// Builds a topic: [`TopicBuilder::standard`] or [`TopicBuilder::fifo`].
#[derive(Clone, Debug)]
pub struct TopicBuilder<K> {
    name: String,
    manifest: TopicManifest,
    kind: PhantomData<K>,
}

impl TopicBuilder<Standard> {
    /// A standard topic named `name`.
    pub fn standard(name: impl Into<String>) -> Self {
        Self { name: name.into(), manifest: TopicManifest::default(), kind: PhantomData }
    }
}

impl TopicBuilder<Fifo> {
    /// A FIFO topic named `name` (`.fifo` is added to the physical name). Only FIFO topics
    /// may feed FIFO queues.
    pub fn fifo(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            manifest: TopicManifest { fifo: true, ..TopicManifest::default() },
            kind: PhantomData,
        }
    }

    /// Deduplicate by a hash of the message body, so publishers need no deduplication ID.
    /// Default `false`.
    #[must_use]
    pub fn content_based_deduplication(mut self, on: bool) -> Self {
        self.manifest.content_based_deduplication = Some(on);
        self
    }
}

impl<K> TopicBuilder<K> {
    /// What the topic's events mean.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.manifest.description = Some(description.into());
        self
    }

    /// The JSON Schema of the topic's events: a file path relative to where the manifest
    /// would be (`schemas/invoices.json`). Read it with
    /// [`Project::from_builders_with_schemas`]; it is then checked and published in SSM
    /// beside the topic ARN, as a manifest's `schema` is.
    #[must_use]
    pub fn schema(mut self, path: impl Into<String>) -> Self {
        self.manifest.schema = Some(path.into());
        self
    }

    /// A publish endpoint: `POST /topics/{topic}` on the domain's regional REST API, with
    /// IAM authorization, publishing the JSON body to the topic (the manifest's `http`).
    /// Default `false`.
    ///
    /// ```
    /// use fanout::build::{DomainBuilder, TopicBuilder};
    /// use fanout::{Project, Settings};
    ///
    /// let domain = DomainBuilder::new("shop").topic(TopicBuilder::fifo("orders").http(true)).build()?;
    /// let mut project = Project::new(Settings::default());
    /// project.add(domain);
    /// let template = project.template("shop", "dev")?;
    /// assert!(template.resources.contains_key("OrdersTopicPublishMethod"));
    /// assert!(template.outputs.contains_key("OrdersTopicUrl"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn http(mut self, on: bool) -> Self {
        self.manifest.http = on;
        self
    }

    /// A message attribute every message of the topic carries (the manifest's
    /// `attributes`), replacing one of the same name.
    ///
    /// ```
    /// use fanout::build::{AttributeBuilder, DomainBuilder, TopicBuilder};
    ///
    /// let domain = DomainBuilder::new("scoring")
    ///     .topic(
    ///         TopicBuilder::fifo("scores-published")
    ///             .attribute("segment", AttributeBuilder::string().values(["premium", "standard"]))
    ///             .attribute("score", AttributeBuilder::number()),
    ///     )
    ///     .build()?;
    /// assert_eq!(domain.topics.values().next().map(|topic| topic.attributes.len()), Some(2));
    /// # Ok::<(), fanout::Diagnostics>(())
    /// ```
    #[must_use]
    pub fn attribute(mut self, name: impl Into<String>, attribute: AttributeBuilder) -> Self {
        self.manifest.attributes.insert(name.into(), attribute.manifest);
        self
    }

    /// The topic's name, as given.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// A message attribute of a topic ([`TopicBuilder::attribute`]): made by its SNS data type.
#[derive(Clone, Debug)]
pub struct AttributeBuilder {
    manifest: AttributeManifest,
}

impl AttributeBuilder {
    fn of(data_type: AttributeType) -> Self {
        Self { manifest: AttributeManifest { data_type, values: None } }
    }

    /// A `String` attribute, any value unless [`AttributeBuilder::values`] says otherwise.
    pub fn string() -> Self {
        Self::of(AttributeType::String)
    }

    /// A `String.Array` attribute.
    pub fn string_array() -> Self {
        Self::of(AttributeType::StringArray)
    }

    /// A `Number` attribute.
    pub fn number() -> Self {
        Self::of(AttributeType::Number)
    }

    /// A `Binary` attribute, which no filter policy matches.
    pub fn binary() -> Self {
        Self::of(AttributeType::Binary)
    }

    /// Every value a `String` or `String.Array` attribute takes, in the order written (the
    /// manifest's `values`); on another type, building the domain reports it.
    #[must_use]
    pub fn values<S: Into<String>>(mut self, values: impl IntoIterator<Item = S>) -> Self {
        self.manifest.values = Some(values.into_iter().map(Into::into).collect());
        self
    }
}

/// Who hears about a domain's trouble ([`DomainBuilder::alerts`]): made with at least one
/// recipient, [`AlertsBuilder::email`] or [`AlertsBuilder::topic_arn`].
#[derive(Clone, Debug)]
pub struct AlertsBuilder {
    manifest: AlertsManifest,
}

impl AlertsBuilder {
    /// Alerts to an email address, subscribed to the domain's own alert topic
    /// (`{stage}-{domain}--alerts`); the recipient must confirm the subscription email.
    pub fn email(address: impl Into<String>) -> Self {
        Self { manifest: AlertsManifest { email: vec![address.into()], ..AlertsManifest::default() } }
    }

    /// Alerts to an existing SNS topic, by ARN. If it is encrypted, its key policy must let
    /// `cloudwatch.amazonaws.com` use the key.
    pub fn topic_arn(arn: impl Into<String>) -> Self {
        Self { manifest: AlertsManifest { topic_arn: Some(arn.into()), ..AlertsManifest::default() } }
    }

    /// Subscribes one more email address to the alert topic.
    #[must_use]
    pub fn and_email(mut self, address: impl Into<String>) -> Self {
        self.manifest.email.push(address.into());
        self
    }

    /// Notifies an existing topic too (replacing an earlier one): alarms then notify both.
    #[must_use]
    pub fn and_topic_arn(mut self, arn: impl Into<String>) -> Self {
        self.manifest.topic_arn = Some(arn.into());
        self
    }

    /// Alarm when a queue's oldest message is older than this: `1m` to `14d`.
    /// Default [`Alerts::DEFAULT_OLDEST_MESSAGE_AGE`](crate::model::Alerts::DEFAULT_OLDEST_MESSAGE_AGE).
    #[must_use]
    pub fn oldest_message_age(mut self, threshold: Duration) -> Self {
        self.manifest.oldest_message_age = Some(threshold.to_string());
        self
    }
}

/// Builds a queue: [`QueueBuilder::standard`] or [`QueueBuilder::fifo`].
///
/// A queue has a dead-letter queue unless [`QueueBuilder::without_dead_letter`] is called.
#[derive(Clone, Debug)]
pub struct QueueBuilder<K> {
    name: String,
    manifest: QueueManifest,
    subscriptions: Vec<SubscriptionBuilder>,
    kind: PhantomData<K>,
}

impl QueueBuilder<Standard> {
    /// A standard queue named `name`.
    pub fn standard(name: impl Into<String>) -> Self {
        Self { name: name.into(), manifest: QueueManifest::default(), subscriptions: Vec::new(), kind: PhantomData }
    }
}

impl QueueBuilder<Fifo> {
    /// A FIFO queue named `name` (`.fifo` is added to the physical name). It may subscribe
    /// only to FIFO topics.
    pub fn fifo(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            manifest: QueueManifest { fifo: true, ..QueueManifest::default() },
            subscriptions: Vec::new(),
            kind: PhantomData,
        }
    }

    /// Deduplicate by a hash of the message body. Default `false`.
    #[must_use]
    pub fn content_based_deduplication(mut self, on: bool) -> Self {
        self.manifest.content_based_deduplication = Some(on);
        self
    }

    /// High-throughput mode: deduplication and throughput limit per message group instead
    /// of per queue. Default `false`.
    #[must_use]
    pub fn high_throughput(mut self, on: bool) -> Self {
        self.manifest.high_throughput = Some(on);
        self
    }
}

impl<K> QueueBuilder<K> {
    /// What the queue feeds.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.manifest.description = Some(description.into());
        self
    }

    /// How long a received message stays hidden from other consumers: `0s` to `12h`.
    /// Default [`Queue::DEFAULT_VISIBILITY_TIMEOUT`](crate::Queue::DEFAULT_VISIBILITY_TIMEOUT).
    #[must_use]
    pub fn visibility_timeout(mut self, timeout: Duration) -> Self {
        self.manifest.visibility_timeout = Some(timeout.to_string());
        self
    }

    /// How long an unconsumed message is kept: `60s` to `14d`.
    /// Default [`Queue::DEFAULT_RETENTION`](crate::Queue::DEFAULT_RETENTION).
    #[must_use]
    pub fn retention(mut self, retention: Duration) -> Self {
        self.manifest.retention = Some(retention.to_string());
        self
    }

    /// Long-polling wait of a receive: `0s` to `20s`.
    /// Default [`Queue::DEFAULT_RECEIVE_WAIT`](crate::Queue::DEFAULT_RECEIVE_WAIT).
    #[must_use]
    pub fn receive_wait(mut self, wait: Duration) -> Self {
        self.manifest.receive_wait = Some(wait.to_string());
        self
    }

    /// Delay before a new message becomes visible: `0s` to `15m`.
    /// Default [`Queue::DEFAULT_DELAY`](crate::Queue::DEFAULT_DELAY).
    #[must_use]
    pub fn delay(mut self, delay: Duration) -> Self {
        self.manifest.delay = Some(delay.to_string());
        self
    }

    /// The settings of the queue's dead-letter queue (it has one by default).
    ///
    /// ```
    /// use fanout::build::QueueBuilder;
    /// use fanout::model::DeadLetter;
    ///
    /// let queue = QueueBuilder::standard("inbox")
    ///     .dead_letter(DeadLetter { max_receive_count: 3, ..DeadLetter::default() });
    /// # let _ = queue;
    /// ```
    #[must_use]
    pub fn dead_letter(mut self, dead_letter: DeadLetter) -> Self {
        self.manifest.dead_letter = Some(DeadLetterManifest::Settings(DeadLetterSettings {
            max_receive_count: Some(i64::from(dead_letter.max_receive_count)),
            retention: Some(dead_letter.retention.to_string()),
        }));
        self
    }

    /// No dead-letter queue: messages that fail `maxReceiveCount` times stay in the queue
    /// until they expire, and SNS drops what it cannot deliver.
    #[must_use]
    pub fn without_dead_letter(mut self) -> Self {
        self.manifest.dead_letter = Some(DeadLetterManifest::Enabled(false));
        self
    }

    /// Alarm when this queue's oldest message is older than `threshold` (`1m` to `14d`),
    /// instead of the domain's [`AlertsBuilder::oldest_message_age`]. Needs
    /// [`DomainBuilder::alerts`]; without it, [`DomainBuilder::build`] reports the error a
    /// manifest gets.
    #[must_use]
    pub fn oldest_message_age_alarm(mut self, threshold: Duration) -> Self {
        self.manifest.alerts = Some(QueueAlertsManifest { oldest_message_age: Some(threshold.to_string()) });
        self
    }

    /// Poll endpoints: `GET` (receive) and `DELETE` (by receipt handle)
    /// `/queues/{queue}/messages` on the domain's regional REST API, with IAM authorization,
    /// integrated with SQS directly (the manifest's `http`). Default `false`.
    ///
    /// ```
    /// use fanout::build::{DomainBuilder, QueueBuilder, TopicBuilder};
    /// use fanout::{Project, Settings};
    ///
    /// let domain = DomainBuilder::new("shop")
    ///     .topic(TopicBuilder::standard("orders"))
    ///     .queue(QueueBuilder::standard("fulfilment").subscribe("orders").http(true))
    ///     .build()?;
    /// let mut project = Project::new(Settings::default());
    /// project.add(domain);
    /// let template = project.template("shop", "dev")?;
    /// assert!(template.resources.contains_key("FulfilmentQueueReceiveMethod"));
    /// assert!(template.resources.contains_key("FulfilmentQueueDeleteMethod"));
    /// assert!(template.outputs.contains_key("FulfilmentQueueMessagesUrl"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn http(mut self, on: bool) -> Self {
        self.manifest.http = on;
        self
    }

    /// Subscribes the queue to a topic: a `"<domain>/<topic>"` or bare `"<topic>"` string,
    /// a [`TopicRef`], or a [`SubscriptionBuilder`] with delivery settings.
    ///
    /// ```
    /// use fanout::build::{QueueBuilder, SubscriptionBuilder};
    /// use serde_json::json;
    ///
    /// let queue = QueueBuilder::standard("inbox")
    ///     .subscribe("ingestion/raw-events")
    ///     .subscribe(
    ///         SubscriptionBuilder::from("scoring/scores-published")
    ///             .filter_attributes(json!({ "segment": ["premium"] })),
    ///     );
    /// # let _ = queue;
    /// ```
    #[must_use]
    pub fn subscribe(mut self, subscription: impl Into<SubscriptionBuilder>) -> Self {
        self.subscriptions.push(subscription.into());
        self
    }

    /// The queue's name, as given.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Builds a subscription of a queue to a topic; made with `SubscriptionBuilder::from` a
/// `"<domain>/<topic>"` string or a [`TopicRef`].
#[derive(Clone, Debug)]
pub struct SubscriptionBuilder {
    manifest: SubscriptionManifest,
    /// A filter policy that is not a mapping: the field, and what it was given instead.
    filter_problem: Option<(&'static str, &'static str)>,
}

impl SubscriptionBuilder {
    fn to_topic(topic: String) -> Self {
        Self { manifest: SubscriptionManifest { topic, ..SubscriptionManifest::default() }, filter_problem: None }
    }

    /// Deliver the message body as published, without the SNS envelope. Default `false`.
    #[must_use]
    pub fn raw_message_delivery(mut self, on: bool) -> Self {
        self.manifest.raw_message_delivery = on;
        self
    }

    /// Deliver only messages whose attributes match `policy`, an SNS filter policy such as
    /// `json!({ "event_type": ["InputsReady"] })`. Replaces an earlier filter.
    #[must_use]
    pub fn filter_attributes(self, policy: serde_json::Value) -> Self {
        self.filter("attributes", policy)
    }

    /// Deliver only messages whose JSON body matches `policy` (nested objects allowed).
    /// Replaces an earlier filter.
    #[must_use]
    pub fn filter_body(self, policy: serde_json::Value) -> Self {
        self.filter("body", policy)
    }

    fn filter(mut self, field: &'static str, policy: serde_json::Value) -> Self {
        self.filter_problem = None;
        // The message a manifest's field gets for a value that is not a mapping.
        let found = match policy {
            serde_json::Value::Object(policy) => Ok(policy),
            serde_json::Value::Null => Err("nothing"),
            serde_json::Value::Bool(_) => Err("a boolean"),
            serde_json::Value::Number(_) => Err("a number"),
            serde_json::Value::String(_) => Err("a string"),
            serde_json::Value::Array(_) => Err("a list"),
        };
        let policy = match found {
            Ok(policy) => policy,
            Err(found) => {
                self.filter_problem = Some((field, found));
                self.manifest.filter = None;
                return self;
            }
        };
        self.manifest.filter = Some(match field {
            "attributes" => FilterManifest { attributes: Some(policy), body: None },
            _ => FilterManifest { attributes: None, body: Some(policy) },
        });
        self
    }
}

impl From<&str> for SubscriptionBuilder {
    fn from(topic: &str) -> Self {
        Self::to_topic(topic.to_string())
    }
}

impl From<String> for SubscriptionBuilder {
    fn from(topic: String) -> Self {
        Self::to_topic(topic)
    }
}

impl From<&TopicRef> for SubscriptionBuilder {
    fn from(topic: &TopicRef) -> Self {
        Self::to_topic(topic.to_string())
    }
}

impl From<TopicRef> for SubscriptionBuilder {
    fn from(topic: TopicRef) -> Self {
        Self::from(&topic)
    }
}
