//! From manifest text to a checked [`Domain`]: parsing, per-field checks, positions.
//!
//! Reading is forgiving so that one run reports every mistake: each topic and queue entry
//! is read on its own, and a broken entry is reported and skipped, not fatal to the rest.

use std::collections::BTreeMap;
use std::path::Path;

use serde::de::DeserializeOwned;

use crate::diagnostic::{Diagnostic, DiagnosticKind, Diagnostics, FieldPath, Location, did_you_mean};
use crate::duration::Duration;
use crate::limits;
use crate::manifest::{
    DeadLetterManifest, DomainManifest, EncryptionManifest, EncryptionMode, FilterManifest, QueueManifest,
    SettingsManifest, SubscriptionManifest, TopicManifest,
};
use crate::model::{
    DeadLetter, Domain, Encryption, FifoQueue, FifoTopic, Filter, FilterScope, Queue, QueueKind, Subscription, Topic,
    TopicKind,
};
use crate::name::{Name, TopicRef};
use crate::source::SourceMap;

mod alerts;
mod strict;

/// Parses one manifest file's text into a [`DomainManifest`], reporting every problem with
/// its position in `file`. Returns `None` when nothing usable could be read.
pub fn parse_manifest(text: &str, file: &Path) -> (Option<DomainManifest>, Diagnostics) {
    let mut diagnostics = Diagnostics::default();
    let manifest = read_manifest(text, &mut diagnostics);
    // Positions cost a second reading of the text; only diagnostics need them.
    if !diagnostics.is_empty() {
        locate_all(&mut diagnostics, &SourceMap::parse(text), file);
    }
    (manifest, diagnostics)
}

/// Parses `fanout.yaml`.
pub fn parse_settings(text: &str, file: &Path) -> (Option<SettingsManifest>, Diagnostics) {
    let mut diagnostics = Diagnostics::default();
    let settings = match read_yaml(text, &mut diagnostics) {
        None => None,
        // An empty file is all defaults.
        Some(serde_yaml::Value::Null) => Some(SettingsManifest::default()),
        Some(value) => deserialize(value, &FieldPath::root(), &mut diagnostics),
    };
    if !diagnostics.is_empty() {
        locate_all(&mut diagnostics, &SourceMap::parse(text), file);
    }
    (settings, diagnostics)
}

/// Gives every diagnostic its position in `file`: its own, or the field's.
pub(crate) fn locate_all(diagnostics: &mut Diagnostics, source: &SourceMap, file: &Path) {
    for diagnostic in diagnostics.iter_mut() {
        match &mut diagnostic.location {
            Some(location) => location.file = file.to_path_buf(),
            None => {
                let (line, column) = source.locate(&diagnostic.path).unwrap_or((1, 1));
                diagnostic.location = Some(Location { file: file.to_path_buf(), line, column });
            }
        }
    }
}

/// Deeper flow nesting than any manifest needs; the YAML reader slows down quadratically
/// with depth, so such input is refused before it is read.
const MAX_FLOW_DEPTH: usize = 100;

/// Where `text` first nests `[`/`{` deeper than [`MAX_FLOW_DEPTH`], outside quotes and comments.
fn excessive_nesting(text: &str) -> Option<Diagnostic> {
    for (number, line) in text.lines().enumerate() {
        // A line needs more bytes than the limit to open more brackets than it.
        if line.len() <= MAX_FLOW_DEPTH {
            continue;
        }
        let mut quote = None;
        let mut depth = 0usize;
        // Bytes, not chars: every byte looked at is ASCII, which no byte of a longer UTF-8
        // character equals.
        for (at, byte) in line.bytes().enumerate() {
            match (quote, byte) {
                (Some(q), b) if b == q => quote = None,
                (Some(_), _) => {}
                (None, b'"' | b'\'') => quote = Some(byte),
                (None, b'#') => break,
                (None, b'[' | b'{') => depth += 1,
                (None, b']' | b'}') => depth = depth.saturating_sub(1),
                _ => {}
            }
            if depth > MAX_FLOW_DEPTH {
                let mut diagnostic = Diagnostic::error(
                    DiagnosticKind::NestingTooDeep,
                    FieldPath::root(),
                    format!("the document nests deeper than {MAX_FLOW_DEPTH} levels"),
                )
                .with_hint("manifests are a few levels deep; check for unbalanced brackets");
                diagnostic.location = Some(Location {
                    file: Default::default(),
                    line: number + 1,
                    column: line[..at].chars().count() + 1,
                });
                return Some(diagnostic);
            }
        }
    }
    None
}

/// Reads `text` as one YAML document, or reports why it cannot be read.
fn read_yaml(text: &str, diagnostics: &mut Diagnostics) -> Option<serde_yaml::Value> {
    if let Some(diagnostic) = excessive_nesting(text) {
        diagnostics.push(diagnostic);
        return None;
    }
    match serde_yaml::from_str::<serde_yaml::Value>(text) {
        Ok(value) => Some(value),
        Err(err) => {
            diagnostics.push(syntax_error(&err));
            None
        }
    }
}

fn read_manifest(text: &str, diagnostics: &mut Diagnostics) -> Option<DomainManifest> {
    // A valid manifest is read in one typed pass; any problem, and the forgiving reading below
    // runs from the start and reports it, so diagnostics do not depend on the fast path.
    if excessive_nesting(text).is_none()
        && let Some(manifest) = strict::read::<DomainManifest>(text)
    {
        return Some(manifest);
    }
    read_forgivingly(text, diagnostics)
}

/// Reads `text` entry by entry, so that a broken entry is reported and skipped.
fn read_forgivingly(text: &str, diagnostics: &mut Diagnostics) -> Option<DomainManifest> {
    let value = read_yaml(text, diagnostics)?;
    if value.is_null() {
        diagnostics.push(
            Diagnostic::error(DiagnosticKind::EmptyManifest, FieldPath::root(), "the manifest is empty")
                .with_hint("start it with `domain: <name>`, the name of this file without `.yaml`"),
        );
        return None;
    }
    let shallow: DomainManifest<serde_yaml::Value, serde_yaml::Value> =
        deserialize(value, &FieldPath::root(), diagnostics)?;
    let topics = read_entries(shallow.topics, &FieldPath::root().key("topics"), diagnostics);
    let queues = read_entries(shallow.queues, &FieldPath::root().key("queues"), diagnostics);
    Some(DomainManifest {
        domain: shallow.domain,
        description: shallow.description,
        owner: shallow.owner,
        tags: shallow.tags,
        encryption: shallow.encryption,
        alerts: shallow.alerts,
        topics,
        queues,
    })
}

fn read_entries<T: DeserializeOwned>(
    entries: BTreeMap<String, Option<serde_yaml::Value>>,
    path: &FieldPath,
    diagnostics: &mut Diagnostics,
) -> BTreeMap<String, Option<T>> {
    let mut out = BTreeMap::new();
    for (name, value) in entries {
        let entry_path = path.key(name.clone());
        let entry = match value {
            None => Some(None),
            Some(value) => deserialize(value, &entry_path, diagnostics).map(Some),
        };
        if let Some(entry) = entry {
            out.insert(name, entry);
        }
    }
    out
}

fn syntax_error(err: &serde_yaml::Error) -> Diagnostic {
    let mut message = err.to_string();
    // serde_yaml appends the position to the message; the location says it already.
    if let Some(at) = message.find(" at line ") {
        message.truncate(at);
    }
    let mut diagnostic =
        Diagnostic::error(DiagnosticKind::YamlSyntax, FieldPath::root(), format!("invalid YAML: {message}"))
            .with_hint("check the indentation and quoting near this position");
    if let Some(location) = err.location() {
        diagnostic.location =
            Some(Location { file: Default::default(), line: location.line(), column: location.column() });
    }
    diagnostic
}

/// Deserializes `value` into `T`, turning a failure into a diagnostic at the failing field.
fn deserialize<T: DeserializeOwned>(
    value: serde_yaml::Value,
    base: &FieldPath,
    diagnostics: &mut Diagnostics,
) -> Option<T> {
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(value) => Some(value),
        Err(err) => {
            let mut path = base.clone();
            for segment in err.path().iter() {
                path = match segment {
                    serde_path_to_error::Segment::Seq { index } => path.index(*index),
                    serde_path_to_error::Segment::Map { key } => path.key(key.clone()),
                    serde_path_to_error::Segment::Enum { .. } | serde_path_to_error::Segment::Unknown => path,
                };
            }
            diagnostics.push(type_error(path, &err.into_inner().to_string()));
            None
        }
    }
}

/// A readable diagnostic for a serde error message, with a fix where one is known.
pub(crate) fn type_error(path: FieldPath, message: &str) -> Diagnostic {
    let mut message = message.to_string();
    if let Some(at) = message.find(" at line ") {
        message.truncate(at);
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let names = backticked(rest);
        if let Some((unknown, expected)) = names.split_first() {
            // The path ends at the unknown key itself.
            let field = if path.field() == Some(unknown.as_str()) { path.clone() } else { path.key(unknown.clone()) };
            let parent = field.parent();
            let place = if parent.is_root() { "the top level".to_string() } else { format!("`{parent}`") };
            let diagnostic =
                Diagnostic::error(DiagnosticKind::UnknownField, field, format!("unknown field `{unknown}` in {place}"));
            return match did_you_mean(unknown, expected.iter().map(String::as_str)) {
                Some(close) => diagnostic.with_hint(format!("did you mean `{close}`?")),
                None if expected.is_empty() => diagnostic.with_hint("this mapping takes no fields"),
                None => diagnostic.with_hint(format!("valid fields: {}", quote_all(expected))),
            };
        }
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        let names = backticked(rest);
        let field = names.first().cloned().unwrap_or_default();
        return Diagnostic::error(
            DiagnosticKind::MissingField,
            path.key(field.clone()),
            format!("missing field `{field}`"),
        )
        .with_hint(field_hint(&field).unwrap_or("add it"));
    }
    let field = path.field().unwrap_or("").to_string();
    // A map entry (`tags.cost-center`) is explained by its map's hint.
    let top = match path.segments().first() {
        Some(crate::diagnostic::Segment::Key(key)) => key.clone(),
        _ => String::new(),
    };
    let hint = if path.is_root() {
        "a manifest is a mapping that starts with `domain: <name>`"
    } else {
        field_hint(&field)
            .or_else(|| field_hint(&top))
            .unwrap_or("compare this field with the manifest reference (`fanout schema`)")
    };
    let message = if message.starts_with("data did not match any variant") {
        format!("invalid value for `{field}`")
    } else {
        message.replace("invalid type: ", "wrong type: ")
    };
    Diagnostic::error(DiagnosticKind::WrongType, path, message).with_hint(hint)
}

/// How to write a field correctly, for type errors.
fn field_hint(field: &str) -> Option<&'static str> {
    Some(match field {
        "domain" => "write `domain: <name>`, the name of this file without `.yaml`",
        "encryption" => "write `customer-key`, `service-managed`, or `{ kms_key: <key ARN or alias> }`",
        "dead_letter" => "write `true`, `false`, or `{ max_receive_count: 5, retention: 14d }`",
        "tags" => "write a mapping of strings; quote numbers: `cost-center: \"4711\"`",
        "topics" | "queues" => "write a mapping from names to settings",
        "subscriptions" => "write a list: `- topic: <domain>/<topic>`",
        "topic" => "write `<domain>/<topic>`, or a bare `<topic>` of this domain",
        "filter" => "write `{ attributes: {...} }` or `{ body: {...} }`",
        "alerts" => "write `{ email: [oncall@team.example] }` or `{ topic_arn: arn:aws:sns:... }`",
        "email" => "write a list of addresses: `[oncall@team.example]`",
        "visibility_timeout" | "retention" | "receive_wait" | "delay" | "oldest_message_age" => {
            "write a whole number and a unit: `30s`, `15m`, `12h` or `4d`"
        }
        "fifo" | "content_based_deduplication" | "high_throughput" | "raw_message_delivery" => {
            "write `true` or `false`"
        }
        "max_receive_count" => "write a whole number from 1 to 1000",
        "stages" => "write a list of stage names: `[dev, prod]`",
        _ => return None,
    })
}

fn backticked(text: &str) -> Vec<String> {
    text.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

fn quote_all(names: &[String]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

/// Like [`Domain::from_manifest`], but returns whatever domain could be built even with
/// errors (broken entries left out), so cross-domain checks can still report on it.
pub(crate) fn lower_partially(manifest: &DomainManifest) -> (Option<Domain>, Diagnostics) {
    let mut cx = Lower::default();
    let domain = cx.domain(manifest);
    let mut diagnostics = cx.diagnostics;
    for diagnostic in diagnostics.iter_mut() {
        diagnostic.domain.get_or_insert_with(|| manifest.domain.clone());
    }
    (domain, diagnostics)
}

#[derive(Default)]
struct Lower {
    diagnostics: Diagnostics,
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
            let queue = name.as_ref().and_then(|home| self.queue(spec, &path, home)).map(|queue| Queue {
                oldest_message_age: self.queue_alerts(
                    spec.alerts.as_ref(),
                    &path.key("alerts"),
                    manifest.alerts.is_some(),
                ),
                ..queue
            });
            if let (Some(queue_name), Some(queue)) = (queue_name, queue) {
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
        if key == "alias/aws/sqs" && subscribed {
            self.error(DiagnosticKind::AwsManagedKeyOnSubscribedQueue,
                path,
                "the AWS-managed key `alias/aws/sqs` cannot encrypt queues that SNS delivers to",
                "its key policy cannot grant `sns.amazonaws.com` access; use `encryption: customer-key` or `service-managed`",
            );
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

    fn queue(&mut self, spec: &QueueManifest, path: &FieldPath, home: &Name) -> Option<Queue> {
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
            }
        }
        Some(Queue {
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
        })
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
        if policy.is_empty() {
            self.error(
                DiagnosticKind::EmptyFilterPolicy,
                path,
                "the filter policy is empty",
                "name at least one key, or remove `filter`",
            );
            return None;
        }
        let mut keys = 0usize;
        let mut combinations = 1u64;
        let ok = self.filter_keys(policy, &path, scope, &mut keys, &mut combinations);
        if keys > limits::FILTER_KEYS {
            self.error(
                DiagnosticKind::FilterTooManyKeys,
                path.clone(),
                format!("the filter policy has {keys} keys; SNS allows at most {}", limits::FILTER_KEYS),
                "filter on fewer keys, or split the subscription across queues",
            );
        }
        if combinations > limits::FILTER_COMBINATIONS {
            self.error(
                DiagnosticKind::FilterTooManyCombinations,
                path.clone(),
                format!(
                    "the filter policy has {combinations} value combinations; SNS allows at most {}",
                    limits::FILTER_COMBINATIONS
                ),
                "the count is the product of the number of values of each key; list fewer values",
            );
        }
        let size = serde_json::to_string(policy).map(|s| s.len()).unwrap_or(0);
        if size > limits::FILTER_POLICY_BYTES {
            self.error(
                DiagnosticKind::FilterPolicyTooLarge,
                path.clone(),
                format!("the filter policy is {size} bytes; SNS allows {}", limits::FILTER_POLICY_BYTES),
                "make it smaller",
            );
        }
        ok.then(|| Filter { scope, policy: policy.clone() })
    }

    /// Counts leaf keys and value combinations, and checks each key's value is a list.
    fn filter_keys(
        &mut self,
        policy: &serde_json::Map<String, serde_json::Value>,
        path: &FieldPath,
        scope: FilterScope,
        keys: &mut usize,
        combinations: &mut u64,
    ) -> bool {
        let mut ok = true;
        for (key, value) in policy {
            let key_path = path.key(key.clone());
            match value {
                serde_json::Value::Array(values) if !values.is_empty() => {
                    *keys += 1;
                    *combinations = combinations.saturating_mul(values.len() as u64);
                }
                serde_json::Value::Object(nested) if scope == FilterScope::MessageBody && !key.starts_with('$') => {
                    ok &= self.filter_keys(nested, &key_path, scope, keys, combinations);
                }
                serde_json::Value::Array(_) if key == "$or" => {}
                serde_json::Value::Object(_) => {
                    self.error(
                        DiagnosticKind::NestedAttributeFilter,
                        key_path,
                        format!("filter key `{key}` holds a nested object; attribute filter policies are flat"),
                        "list the accepted values (`[a, b]`), or filter on the message body with `body:`",
                    );
                    ok = false;
                }
                _ => {
                    self.error(
                        DiagnosticKind::FilterValuesNotAList,
                        key_path,
                        format!("filter key `{key}` must hold a non-empty list of values"),
                        format!("write `{key}: [value]`"),
                    );
                    ok = false;
                }
            }
        }
        ok
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

pub(crate) fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_FLOW_DEPTH, excessive_nesting};

    #[test]
    fn excessive_nesting_counts_columns_in_characters() {
        let text = format!("domain: a\ndescription: \"é[\" é {}\n", "[".repeat(MAX_FLOW_DEPTH + 1));
        let location = excessive_nesting(&text).and_then(|diagnostic| diagnostic.location).map(|l| (l.line, l.column));
        assert_eq!(location, Some((2, 21 + MAX_FLOW_DEPTH)));
        assert!(excessive_nesting(&format!("a: '{}'\nb: # {}\n", "[".repeat(200), "{".repeat(200))).is_none());
    }
}
