//! The contracts between domains, checked at validation: each subscription's filter against
//! what its topic promises (the declared message attributes, the event schema), for topics in
//! the repo and for topics of other repos locked in `fanout.lock`; the lock itself (every
//! subscription to another repo's topic locked, every entry used); and the sizes of the SSM
//! parameters that publish contracts and registrations.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::Value;

use super::Project;
use crate::contract::published::{FORMAT_VERSION, Lock, LockedTopic, SubscriberRecord, TopicContract};
use crate::diagnostic::{Diagnostic, DiagnosticKind, Diagnostics, FieldPath, Location, did_you_mean, quote_list};
use crate::limits;
use crate::manifest::AttributeType;
use crate::model::filter_policy::{FilterKey, keys};
use crate::model::{Domain, FilterScope, Queue, Subscription, TopicKind};
use crate::name::{Name, TopicRef};

/// The file a repo's locked contracts live in, at the repo root beside `fanout.yaml`.
pub const LOCK_FILE: &str = "fanout.lock";

/// `fanout.lock` once read: the locked contracts, and where each entry is in the file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LockFile {
    /// The path diagnostics name.
    pub file: PathBuf,
    /// The locked contracts.
    pub lock: Lock,
    /// The line and column of each entry, by stage and `domain/topic`.
    positions: BTreeMap<(String, String), (usize, usize)>,
}

impl LockFile {
    /// Reads `fanout.lock`'s text strictly: JSON of the [`Lock`] form, a known version,
    /// stage names and `domain/topic` keys that are names, and a schema exactly where the
    /// contract names a schema digest. Every problem names the file, line and column.
    pub fn parse(file: impl Into<PathBuf>, text: &str) -> (Option<LockFile>, Diagnostics) {
        let file = file.into();
        let at = |line: usize, column: usize| Location { file: file.clone(), line: line.max(1), column: column.max(1) };
        let invalid = |message: String, location: Location| {
            let mut diagnostic = Diagnostic::error(DiagnosticKind::InvalidLock, FieldPath::root(), message)
                .with_hint("run `fanout lock` again to write it afresh, and review the change");
            diagnostic.location = Some(location);
            diagnostic
        };
        let lock: Lock = match serde_json::from_str(text) {
            Ok(lock) => lock,
            Err(err) => {
                let message = format!("`{}` is not a valid lock file: {err}", file.display());
                let location = at(err.line(), err.column());
                return (None, Diagnostics::from_iter([invalid(message, location)]));
            }
        };
        let positions = entry_positions(text);
        let mut diagnostics = Diagnostics::default();
        if lock.version != FORMAT_VERSION {
            let message = format!(
                "`{}` has version {}; this fanout reads version {FORMAT_VERSION}",
                file.display(),
                lock.version
            );
            diagnostics.push(invalid(message, at(1, 1)));
        }
        for (stage, topics) in &lock.stages {
            for (topic, locked) in topics {
                let (line, column) = positions.get(&(stage.clone(), topic.clone())).copied().unwrap_or((1, 1));
                if Name::new(stage.as_str()).is_err() {
                    diagnostics
                        .push(invalid(format!("stage `{stage}` in the lock is not a stage name"), at(line, column)));
                }
                if topic_ref(topic).is_none() {
                    let message = format!("`{topic}` in the lock is not `<domain>/<topic>`");
                    diagnostics.push(invalid(message, at(line, column)));
                }
                // A schema with no digest in its contract, or a digest without a schema, is no
                // lock `fanout lock` writes. (The digest itself is of the text SSM holds, which
                // the parsed schema need not reproduce byte for byte; `diff` and `deploy`
                // compare the schema with SSM's.)
                if locked.schema.is_some() != locked.contract.schema_digest.is_some() {
                    let message = format!(
                        "the contract locked for `{topic}` in stage `{stage}` {}",
                        if locked.schema.is_some() {
                            "names no schema digest, but a schema is locked with it"
                        } else {
                            "names a schema digest, but no schema is locked with it"
                        }
                    );
                    diagnostics.push(invalid(message, at(line, column)));
                }
            }
        }
        if diagnostics.has_errors() {
            return (None, diagnostics);
        }
        (Some(LockFile { file, lock, positions }), diagnostics)
    }

    /// The locked entry of `topic` in `stage`.
    pub fn get(&self, stage: &Name, topic: &TopicRef) -> Option<&LockedTopic> {
        self.lock.stages.get(stage.as_str())?.get(&topic.to_string())
    }

    fn locate(&self, stage: &str, topic: &str, mut diagnostic: Diagnostic) -> Diagnostic {
        let (line, column) = self.positions.get(&(stage.to_string(), topic.to_string())).copied().unwrap_or((1, 1));
        diagnostic.location = Some(Location { file: self.file.clone(), line, column });
        diagnostic
    }
}

/// `domain/topic`, as a lock names topics.
fn topic_ref(text: &str) -> Option<TopicRef> {
    let (domain, topic) = text.split_once('/')?;
    Some(TopicRef::new(Name::new(domain).ok()?, Name::new(topic).ok()?))
}

/// The line and column of each key two levels under `stages` in a JSON text that parsed:
/// `stages` → stage → `domain/topic`.
fn entry_positions(text: &str) -> BTreeMap<(String, String), (usize, usize)> {
    let mut positions = BTreeMap::new();
    // The key of each enclosing container (`None` for arrays and the root).
    let mut open: Vec<Option<String>> = Vec::new();
    // The last string read, with its position, and the key of the value being read.
    let mut last_string: Option<(String, usize, usize)> = None;
    let mut key: Option<String> = None;
    let (mut line, mut column) = (1, 0);
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        column += 1;
        match c {
            '\n' => (line, column) = (line + 1, 0),
            '"' => {
                let start = (line, column);
                let mut string = String::new();
                while let Some(c) = chars.next() {
                    column += 1;
                    match c {
                        '\\' => {
                            column += 1;
                            string.extend(chars.next());
                        }
                        '"' => break,
                        c => string.push(c),
                    }
                }
                last_string = Some((string, start.0, start.1));
            }
            ':' => {
                if let Some((name, name_line, name_column)) = last_string.take() {
                    if let [None, Some(stages), Some(stage)] = open.as_slice()
                        && stages == "stages"
                    {
                        positions.insert((stage.clone(), name.clone()), (name_line, name_column));
                    }
                    key = Some(name);
                }
            }
            '{' => open.push(key.take()),
            '[' => {
                key = None;
                open.push(None);
            }
            '}' | ']' | ',' => {
                if c != ',' {
                    open.pop();
                }
                key = None;
                last_string = None;
            }
            _ => {}
        }
    }
    positions
}

/// What a subscription can rely on of its topic: its contract and its event schema.
struct Promise<'a> {
    contract: TopicContract,
    schema: Option<&'a Value>,
    /// How the topic is named to the user, for hints: the producer's manifest, or the lock.
    locked: bool,
}

impl Project {
    /// The locked entries of `topic`, by configured stage, and the configured stages that
    /// have none.
    fn locked(&self, topic: &TopicRef) -> (Vec<&LockedTopic>, Vec<&Name>) {
        let mut locked = Vec::new();
        let mut missing = Vec::new();
        for stage in &self.settings.stages {
            match self.lock.as_ref().and_then(|lock| lock.get(stage, topic)) {
                Some(entry) => locked.push(entry),
                None => missing.push(stage),
            }
        }
        (locked, missing)
    }

    /// The kind of a topic of another repo as locked for every configured stage, or `None`
    /// when a stage has no entry or the stages disagree.
    pub(super) fn locked_kind(&self, topic: &TopicRef) -> Option<TopicKind> {
        let (locked, missing) = self.locked(topic);
        if !missing.is_empty() {
            return None;
        }
        let mut kinds = locked.iter().map(|entry| {
            if entry.contract.fifo {
                TopicKind::Fifo(crate::model::FifoTopic {
                    content_based_deduplication: entry.contract.content_based_deduplication,
                })
            } else {
                TopicKind::Standard
            }
        });
        let first = kinds.next()?;
        kinds.all(|kind| kind == first).then_some(first)
    }

    /// The checks of a subscription to a topic of another repo: a warning without a lock
    /// entry for some stage, and every check of a topic in the repo against each distinct
    /// locked contract.
    pub(super) fn check_external_subscription(
        &self,
        queue_name: &Name,
        queue: &Queue,
        subscription: &Subscription,
        path: &FieldPath,
        diagnostics: &mut Diagnostics,
    ) {
        let topic = &subscription.topic;
        let (locked, missing) = self.locked(topic);
        if !missing.is_empty() {
            let stages = if missing.len() == self.settings.stages.len() {
                "any stage".to_string()
            } else {
                format!("stage{} {}", if missing.len() == 1 { "" } else { "s" }, quote_list(&missing))
            };
            diagnostics.push(
                Diagnostic::warning(
                    DiagnosticKind::UnlockedTopic,
                    path.key("topic"),
                    format!(
                        "`{topic}` is a topic of another repo with no contract in `{LOCK_FILE}` for {stages}: its kind, attributes and schema are not checked"
                    ),
                )
                .with_hint(format!("run `fanout lock` to lock its contract, and commit `{LOCK_FILE}`")),
            );
        }
        let mut seen: Vec<&LockedTopic> = Vec::new();
        let mut found = Diagnostics::default();
        for entry in locked {
            if seen.contains(&entry) {
                continue;
            }
            seen.push(entry);
            let promise = Promise { contract: entry.contract.clone(), schema: entry.schema.as_ref(), locked: true };
            let kind = if promise.contract.fifo {
                TopicKind::Fifo(crate::model::FifoTopic::default())
            } else {
                TopicKind::Standard
            };
            check_kind(queue_name, queue, topic, kind, true, &path.key("topic"), &mut found);
            check_filter(queue_name, subscription, &promise, path, &mut found);
        }
        for diagnostic in found {
            if !diagnostics.iter().any(|d| d == &diagnostic) {
                diagnostics.push(diagnostic);
            }
        }
    }

    /// The filter of a subscription to a topic of this repo against the topic's attributes
    /// and schema.
    pub(super) fn check_internal_filter(
        &self,
        queue_name: &Name,
        subscription: &Subscription,
        topic: &crate::model::Topic,
        path: &FieldPath,
        diagnostics: &mut Diagnostics,
    ) {
        let schema = topic.schema.as_ref().and_then(|schema| schema.document.as_ref());
        let promise = Promise { contract: TopicContract::of(topic), schema, locked: false };
        check_filter(queue_name, subscription, &promise, path, diagnostics);
    }

    /// The SSM parameters of `domain`'s template that hold JSON: each topic's contract and
    /// each registration on a subscribed topic fit a standard parameter.
    pub(super) fn check_parameter_values(&self, domain: &Domain, diagnostics: &mut Diagnostics) {
        let max = limits::SSM_STANDARD_PARAMETER_VALUE;
        for (name, topic) in &domain.topics {
            let size = TopicContract::of(topic).to_json().chars().count();
            if size > max {
                diagnostics.push(
                    Diagnostic::error(
                        DiagnosticKind::SsmValueTooLarge,
                        FieldPath::root().key("topics").key(name.to_string()).key("attributes"),
                        format!("the contract of topic `{name}` is {size} characters as JSON; a standard SSM parameter holds {max}"),
                    )
                    .with_hint("declare fewer attributes or fewer `values`"),
                );
            }
        }
        let mut topics: BTreeMap<&TopicRef, (&Name, usize)> = BTreeMap::new();
        for (queue_name, queue) in &domain.queues {
            for (index, subscription) in queue.subscriptions.iter().enumerate() {
                topics.entry(&subscription.topic).or_insert((queue_name, index));
            }
        }
        for (topic, (queue_name, index)) in topics {
            let size = SubscriberRecord::of(domain, topic).map_or(0, |record| record.to_json().chars().count());
            if size > max {
                diagnostics.push(
                    Diagnostic::error(
                        DiagnosticKind::SsmValueTooLarge,
                        self.subscription_path(&domain.name, queue_name, index).key("topic"),
                        format!("the registration of domain `{}` on topic `{topic}` (its subscribed queues and the keys their filters read) is {size} characters as JSON; a standard SSM parameter holds {max}", domain.name),
                    )
                    .with_hint("subscribe fewer queues of this domain to the topic, or filter on fewer keys"),
                );
            }
        }
    }

    /// The topics of domains outside the repo that the repo's queues subscribe to: the topics
    /// `fanout lock` locks.
    pub fn external_topics(&self) -> BTreeSet<TopicRef> {
        self.domains
            .values()
            .flat_map(|domain| domain.queues.values())
            .flat_map(|queue| queue.subscriptions.iter())
            .map(|subscription| subscription.topic.clone())
            .filter(|topic| !self.domains.contains_key(&topic.domain))
            .collect()
    }

    /// A warning for each lock entry no subscription of the repo uses, at the entry.
    pub(super) fn unused_lock_entries(&self) -> Diagnostics {
        let Some(lock) = &self.lock else { return Diagnostics::default() };
        let subscribed: BTreeSet<String> = self.external_topics().iter().map(TopicRef::to_string).collect();
        let stages: BTreeSet<&str> = self.settings.stages.iter().map(Name::as_str).collect();
        let mut found = Diagnostics::default();
        for (stage, topics) in &lock.lock.stages {
            for topic in topics.keys() {
                let why = if !stages.contains(stage.as_str()) {
                    format!("stage `{stage}` is not configured in `fanout.yaml`")
                } else if !subscribed.contains(topic) {
                    format!("no queue of this repo subscribes to `{topic}` of another repo")
                } else {
                    continue;
                };
                let diagnostic = Diagnostic::warning(
                    DiagnosticKind::UnusedLockEntry,
                    FieldPath::root().key("stages").key(stage.clone()).key(topic.clone()),
                    format!("the contract of `{topic}` locked for stage `{stage}` is not used: {why}"),
                )
                .with_hint("run `fanout lock` to drop it");
                found.push(lock.locate(stage, topic, diagnostic));
            }
        }
        found
    }
}

/// A FIFO queue on a standard topic (an error), a standard queue on a FIFO topic (a warning).
pub(super) fn check_kind(
    queue_name: &Name,
    queue: &Queue,
    topic: &TopicRef,
    kind: TopicKind,
    locked: bool,
    path: &FieldPath,
    diagnostics: &mut Diagnostics,
) {
    let source = if locked { format!(", as locked in `{LOCK_FILE}`") } else { String::new() };
    match (queue.kind.is_fifo(), kind.is_fifo()) {
        (true, false) => diagnostics.push(
            Diagnostic::error(
                DiagnosticKind::FifoQueueOnStandardTopic,
                path.clone(),
                format!("queue `{queue_name}` is FIFO but subscribes to standard topic `{topic}`{source}"),
            )
            .with_hint(format!(
                "make the topic FIFO (`fifo: true` in domain `{}`) or make this queue standard; AWS rejects this subscription",
                topic.domain
            )),
        ),
        (false, true) => diagnostics.push(
            Diagnostic::warning(
                DiagnosticKind::StandardQueueOnFifoTopic,
                path.clone(),
                format!(
                    "standard queue `{queue_name}` subscribes to FIFO topic `{topic}`{source}: ordering and deduplication are lost"
                ),
            )
            .with_hint("make this queue FIFO (`fifo: true`) to keep the order"),
        ),
        _ => {}
    }
}

/// The filter of `subscription` against what its topic promises: attribute keys against the
/// declared attributes (when it declares any), body keys against the schema (when it has one).
fn check_filter(
    queue_name: &Name,
    subscription: &Subscription,
    promise: &Promise<'_>,
    path: &FieldPath,
    diagnostics: &mut Diagnostics,
) {
    let Some(filter) = &subscription.filter else { return };
    let topic = &subscription.topic;
    match filter.scope {
        FilterScope::MessageAttributes => {
            if promise.contract.attributes.is_empty() {
                return;
            }
            let policy_path = path.key("filter").key("attributes");
            for key in keys(&filter.policy, &policy_path) {
                check_attribute_key(queue_name, topic, promise, &key, diagnostics);
            }
        }
        FilterScope::MessageBody => {
            let Some(schema) = promise.schema else { return };
            let policy_path = path.key("filter").key("body");
            for key in keys(&filter.policy, &policy_path) {
                if let Some(problem) = body_key_problem(schema, &key.keys) {
                    let mut diagnostic = Diagnostic::error(
                        DiagnosticKind::FilterKeyNotInSchema,
                        key.path.clone(),
                        format!(
                            "the filter of queue `{queue_name}` reads body key `{}`, which no event of topic `{topic}` can have: {}",
                            key.pointer(),
                            problem.reason
                        ),
                    );
                    let close = key
                        .keys
                        .get(problem.depth)
                        .and_then(|k| did_you_mean(k, problem.candidates.iter().map(String::as_str)));
                    diagnostic = match close {
                        Some(close) => diagnostic.with_hint(format!("did you mean `{close}`?")),
                        None if promise.locked => diagnostic.with_hint(format!(
                            "filter on a key the topic's schema defines (locked in `{LOCK_FILE}`), or remove this key"
                        )),
                        None => diagnostic.with_hint(format!(
                            "filter on a key the topic's schema defines, or add it to the schema in domain `{}`",
                            topic.domain
                        )),
                    };
                    diagnostics.push(diagnostic);
                }
            }
        }
    }
}

/// How a condition matches: as a string, as a number, or either.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Match<'a> {
    /// An exact string.
    Exact(&'a str),
    /// `prefix`, `suffix` or `equals-ignore-case` of a string.
    StringOperator(&'a str, &'a str),
    /// Another string condition (`anything-but` a string, `cidr`, `wildcard`).
    OtherString,
    /// A number or a `numeric` condition.
    Number,
    /// `exists`, `true`, `false`, `null`: any type.
    Any,
}

fn classify(condition: &Value) -> Match<'_> {
    match condition {
        Value::String(text) => Match::Exact(text),
        Value::Number(_) => Match::Number,
        Value::Object(operator) => match operator.iter().next() {
            Some((name, Value::String(operand)))
                if matches!(name.as_str(), "prefix" | "suffix" | "equals-ignore-case") =>
            {
                Match::StringOperator(name, operand)
            }
            Some((name, _)) if name == "numeric" => Match::Number,
            Some((name, operand)) if name == "anything-but" => {
                let numbers = match operand {
                    Value::Number(_) => true,
                    Value::Array(values) => !values.is_empty() && values.iter().all(Value::is_number),
                    _ => false,
                };
                if numbers { Match::Number } else { Match::OtherString }
            }
            Some((name, _)) if name == "exists" => Match::Any,
            Some(_) => Match::OtherString,
            None => Match::Any,
        },
        _ => Match::Any,
    }
}

fn check_attribute_key(
    queue_name: &Name,
    topic: &TopicRef,
    promise: &Promise<'_>,
    key: &FilterKey<'_>,
    diagnostics: &mut Diagnostics,
) {
    let Some(name) = key.keys.first() else { return };
    let declared = &promise.contract.attributes;
    let declare_hint = |what: String| {
        if promise.locked {
            format!("{what} in domain `{}` first, then run `fanout lock`", topic.domain)
        } else {
            format!("{what} in domain `{}`", topic.domain)
        }
    };
    let Some(attribute) = declared.get(*name) else {
        let diagnostic = Diagnostic::error(
            DiagnosticKind::UnknownFilterAttribute,
            key.path.clone(),
            format!(
                "the filter of queue `{queue_name}` reads message attribute `{name}`, which topic `{topic}` does not declare"
            ),
        );
        let hint = match did_you_mean(name, declared.keys().map(String::as_str)) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!(
                "topic `{topic}` declares {}; filter on one of them, or {}",
                quote_list(declared.keys()),
                declare_hint(format!("declare `{name}` in the topic's `attributes`"))
            ),
        };
        diagnostics.push(diagnostic.with_hint(hint));
        return;
    };
    if attribute.data_type == AttributeType::Binary {
        diagnostics.push(
            Diagnostic::error(
                DiagnosticKind::FilterOnBinaryAttribute,
                key.path.clone(),
                format!(
                    "the filter of queue `{queue_name}` reads message attribute `{name}`, which topic `{topic}` declares `Binary`: SNS never matches a filter on a Binary attribute"
                ),
            )
            .with_hint("filter on another attribute, or remove this key"),
        );
        return;
    }
    for (index, condition) in key.conditions.iter().enumerate() {
        let path = key.path.index(index);
        let found = classify(condition);
        let mismatch = match (attribute.data_type, found) {
            (AttributeType::String, Match::Number) => Some((
                "as a number",
                "SNS never matches a number condition on a String attribute; filter with strings".to_string(),
            )),
            (AttributeType::Number, Match::Exact(_) | Match::StringOperator(..) | Match::OtherString) => Some((
                "as a string",
                "SNS never matches a string condition on a Number attribute; use numbers or `{ numeric: [\">=\", 0] }`"
                    .to_string(),
            )),
            _ => None,
        };
        if let Some((how, hint)) = mismatch {
            diagnostics.push(
                Diagnostic::error(
                    DiagnosticKind::FilterTypeMismatch,
                    path,
                    format!(
                        "the filter of queue `{queue_name}` matches message attribute `{name}` {how}, but topic `{topic}` declares it `{}`",
                        attribute.data_type.as_str()
                    ),
                )
                .with_hint(hint),
            );
            continue;
        }
        let Some(values) = &attribute.values else { continue };
        let (shown, matches): (String, bool) = match found {
            Match::Exact(text) => (format!("`{text}`"), values.iter().any(|value| value == text)),
            Match::StringOperator(operator, operand) => (
                format!("`{operator}: {operand}`"),
                values.iter().any(|value| match operator {
                    "prefix" => value.starts_with(operand),
                    "suffix" => value.ends_with(operand),
                    _ => value.eq_ignore_ascii_case(operand),
                }),
            ),
            _ => continue,
        };
        if !matches {
            let mut diagnostic = Diagnostic::error(
                DiagnosticKind::FilterValueNotDeclared,
                path,
                format!(
                    "the filter of queue `{queue_name}` accepts {shown} for message attribute `{name}`, but topic `{topic}` declares only {}",
                    quote_list(values)
                ),
            );
            let close = match found {
                Match::Exact(text) => did_you_mean(text, values.iter().map(String::as_str)),
                _ => None,
            };
            diagnostic = diagnostic.with_hint(match close {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!(
                    "accept a declared value, or {}",
                    declare_hint(format!("add it to `values` of attribute `{name}`"))
                ),
            });
            diagnostics.push(diagnostic);
        }
    }
}

/// Why a body key path cannot be in any event a schema accepts.
struct BodyKeyProblem {
    reason: String,
    /// How many keys deep the problem is (the key that cannot be there).
    depth: usize,
    /// The keys the schema defines at that depth, for a did-you-mean.
    candidates: Vec<String>,
}

/// Whether `schema` decides that no event it accepts has the keys `keys` (from the top of the
/// body), and why. Where the schema does not decide (`$ref`, combinators, pattern
/// properties, arrays, no `additionalProperties: false`), there is no problem.
fn body_key_problem(schema: &Value, keys: &[&str]) -> Option<BodyKeyProblem> {
    let mut node = schema;
    for (depth, key) in keys.iter().enumerate() {
        let Value::Object(map) = node else { return None };
        let at = if depth == 0 {
            "the body".to_string()
        } else {
            format!("`{}`", keys[..depth].iter().map(|k| format!("/{k}")).collect::<String>())
        };
        if let Some(types) = schema_types(map)
            && !types.iter().any(|t| *t == "object" || *t == "array")
        {
            return Some(BodyKeyProblem {
                reason: format!("the schema makes {at} {}, which has no keys", types.join(" or ")),
                depth,
                candidates: Vec::new(),
            });
        }
        if schema_types(map).is_some_and(|types| types.contains(&"array")) {
            return None;
        }
        let properties = map.get("properties").and_then(Value::as_object);
        if let Some(next) = properties.and_then(|properties| properties.get(*key)) {
            node = next;
            continue;
        }
        if map.contains_key("patternProperties") || map.contains_key("$ref") {
            return None;
        }
        match map.get("additionalProperties") {
            Some(Value::Bool(false)) => {
                let candidates: Vec<String> = properties.map(|p| p.keys().cloned().collect()).unwrap_or_default();
                let defined = if candidates.is_empty() { "none".to_string() } else { quote_list(&candidates) };
                return Some(BodyKeyProblem {
                    reason: format!(
                        "the schema allows no key `{key}` in {at} (`additionalProperties: false`; it defines {defined})"
                    ),
                    depth,
                    candidates,
                });
            }
            Some(next @ Value::Object(_)) => node = next,
            _ => return None,
        }
    }
    None
}

/// The `type` of a schema node, when it names one or a list.
fn schema_types(map: &serde_json::Map<String, Value>) -> Option<Vec<&str>> {
    match map.get("type")? {
        Value::String(one) => Some(vec![one.as_str()]),
        Value::Array(many) => Some(many.iter().filter_map(Value::as_str).collect()),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
