//! `fanout publish`'s decisions: reading events from a file (one JSON document, or JSON Lines
//! with one event per line), checking every one against the topic's schema, its message
//! attributes and SNS's rules before anything is sent, and each event's deduplication ID.
//!
//! Everything is checked first, so a file with one bad event publishes nothing.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::Serialize;
use serde_json::Value;

use crate::message::{Attribute, AttributeValue};

/// The most bytes SNS takes for one message, body and attributes together.
pub(crate) const MAX_MESSAGE_BYTES: usize = 262_144;

/// The most message attributes one SNS message carries.
const MAX_ATTRIBUTES: usize = 10;

/// The longest message group or deduplication ID SNS takes.
const MAX_ID_LEN: usize = 128;

/// The topic events are published to, as the repo declares it.
#[derive(Clone, Debug, PartialEq)]
pub struct PublishTopic {
    /// `domain/topic`, for messages.
    pub name: String,
    /// Whether it is a FIFO topic.
    pub fifo: bool,
    /// Whether SNS deduplicates by a hash of the body (FIFO topics only).
    pub content_based_deduplication: bool,
    /// The JSON Schema of its events, when it declares one.
    pub schema: Option<Value>,
}

/// What `fanout publish` was told besides the events.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublishOptions {
    /// `--group`: the message group of every event.
    pub group: Option<String>,
    /// `--dedup-id`: the deduplication ID of a single event; of a JSON Lines file, the prefix
    /// of each event's, which ends in `-{line}`.
    pub deduplication_id: Option<String>,
    /// `--attribute`: message attributes of every event, by name.
    pub attributes: BTreeMap<String, Attribute>,
}

/// One event, checked and ready to publish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Publication {
    /// Where it starts in the file, from 1.
    pub line: usize,
    /// The event, exactly as the file holds it (without surrounding whitespace).
    pub body: String,
    pub(crate) group_id: Option<String>,
    pub(crate) deduplication_id: Option<String>,
    pub(crate) attributes: BTreeMap<String, Attribute>,
}

impl Publication {
    /// The bytes SNS counts: body and attributes.
    pub(crate) fn size(&self) -> usize {
        self.body.len() + self.attributes.iter().map(|(name, attribute)| attribute.size(name)).sum::<usize>()
    }
}

/// Why events cannot be published.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventProblem {
    /// The event's line, when it is about one event.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl EventProblem {
    fn new(line: Option<usize>, message: String, hint: Option<String>) -> Self {
        Self { line, message, hint }
    }
}

/// Reads `--attribute`'s `NAME=VALUE` (a `String`) or `NAME:TYPE=VALUE`, `TYPE` one of
/// `String`, `Number`, `Binary` (the value in base64) and `String.Array` (a JSON array).
pub fn parse_attribute(text: &str) -> Result<(String, Attribute), String> {
    let Some((key, value)) = text.split_once('=') else {
        return Err(format!("`{text}` is not `NAME=VALUE`; write `event_type=OrderPlaced`, or `NAME:Number=42`"));
    };
    let (name, data_type) = key.split_once(':').unwrap_or((key, "String"));
    check_attribute_name(name)?;
    let attribute = match data_type {
        "String" if !value.is_empty() => Attribute::string(value),
        "Number" if value.parse::<f64>().is_ok_and(f64::is_finite) => {
            Attribute { data_type: "Number".to_string(), value: AttributeValue::Text(value.to_string()) }
        }
        "Binary" => match base64::engine::general_purpose::STANDARD.decode(value) {
            Ok(bytes) if !bytes.is_empty() => {
                Attribute { data_type: "Binary".to_string(), value: AttributeValue::Binary(bytes) }
            }
            _ => return Err(format!("attribute `{name}`: a `Binary` value is written in base64, like `AgME`")),
        },
        "String.Array" if serde_json::from_str::<Value>(value).is_ok_and(|v| v.is_array()) => {
            Attribute { data_type: "String.Array".to_string(), value: AttributeValue::Text(value.to_string()) }
        }
        "String" => return Err(format!("attribute `{name}` has an empty value, which SNS refuses")),
        "Number" => return Err(format!("attribute `{name}`: `{value}` is not a number")),
        "String.Array" => {
            return Err(format!("attribute `{name}`: a `String.Array` value is a JSON array, like `[\"a\",\"b\"]`"));
        }
        other => {
            return Err(format!(
                "attribute `{name}` has type `{other}`; the types are `String`, `Number`, `Binary` and `String.Array`"
            ));
        }
    };
    Ok((name.to_string(), attribute))
}

/// SNS's rules for message attribute names.
fn check_attribute_name(name: &str) -> Result<(), String> {
    let lower = name.to_ascii_lowercase();
    let problem = if name.is_empty() || name.len() > 256 {
        "must have 1 to 256 characters"
    } else if !name.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        "may hold only letters, digits, `_`, `-` and `.`"
    } else if name.starts_with('.') || name.ends_with('.') || name.contains("..") {
        "may not start or end with `.` nor hold `..`"
    } else if lower.starts_with("aws.") || lower.starts_with("amazon.") {
        "may not start with `AWS.` or `Amazon.`, which AWS reserves"
    } else {
        return Ok(());
    };
    Err(format!("attribute name `{name}` {problem}"))
}

/// SNS's rule for message group and deduplication IDs: 1 to 128 characters, letters, digits
/// and punctuation.
fn check_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID_LEN && id.chars().all(|c| c.is_ascii_graphic())
}

/// The events of `text`: one JSON document, or one per line (JSON Lines; blank lines are
/// skipped). Each comes with its line and its text as written.
fn read_events(text: &str) -> Result<Vec<(usize, &str, Value)>, Vec<EventProblem>> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(vec![EventProblem::new(
            None,
            "there is no event".to_string(),
            Some("write one JSON document, or one per line (JSON Lines)".to_string()),
        )]);
    }
    if let Ok(value) = serde_json::from_str::<Value>(trimmed) {
        let line = 1 + text[..text.len() - text.trim_start().len()].matches('\n').count();
        return Ok(vec![(line, trimmed, value)]);
    }
    let mut events = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let event = line.trim();
        if event.is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(event) {
            Ok(value) => events.push((i + 1, event, value)),
            Err(err) => problems.push(EventProblem::new(
                Some(i + 1),
                format!("line {} is not a JSON document: {err}", i + 1),
                Some("a JSON Lines file holds one event per line, each one JSON document".to_string()),
            )),
        }
    }
    if problems.is_empty() { Ok(events) } else { Err(problems) }
}

/// Checks the events of `text` for `topic` and returns them ready to publish, in order; or
/// every problem found, when there is any.
pub fn prepare(
    text: &str,
    topic: &PublishTopic,
    options: &PublishOptions,
) -> Result<Vec<Publication>, Vec<EventProblem>> {
    let mut problems = check_options(topic, options);
    let events = match read_events(text) {
        Ok(events) => events,
        Err(found) => {
            problems.extend(found);
            return Err(problems);
        }
    };
    let single = events.len() == 1;
    let mut publications = Vec::new();
    for (line, body, value) in events {
        if let Some(schema) = &topic.schema {
            match fanout::contract::check_event(schema, &value) {
                Ok(violations) => problems.extend(violations.into_iter().map(|violation| {
                    EventProblem::new(
                        Some(line),
                        format!(
                            "the event on line {line} does not match the schema of topic `{}`: at `{}`: {}",
                            topic.name, violation.path, violation.message
                        ),
                        Some(format!("rule `{}` of the schema", violation.rule)),
                    )
                })),
                Err(reason) => problems.push(EventProblem::new(
                    None,
                    format!("the schema of topic `{}` cannot check events: {reason}", topic.name),
                    None,
                )),
            }
        }
        let deduplication_id = match &options.deduplication_id {
            Some(id) if single => Some(id.clone()),
            Some(prefix) => Some(format!("{prefix}-{line}")),
            None => None,
        };
        if let Some(id) = &deduplication_id
            && !check_id(id)
        {
            problems.push(EventProblem::new(
                Some(line),
                format!("the deduplication ID `{id}` of the event on line {line} is not 1 to {MAX_ID_LEN} letters, digits and punctuation"),
                Some("shorten `--dedup-id`: in a JSON Lines file each event's ID is `{ID}-{line}`".to_string()),
            ));
        }
        let publication = Publication {
            line,
            body: body.to_string(),
            group_id: options.group.clone().filter(|_| topic.fifo),
            deduplication_id,
            attributes: options.attributes.clone(),
        };
        if publication.size() > MAX_MESSAGE_BYTES {
            problems.push(EventProblem::new(
                Some(line),
                format!(
                    "the event on line {line} is {} bytes with its attributes; SNS takes up to {MAX_MESSAGE_BYTES}",
                    publication.size()
                ),
                Some("publish large payloads through S3 and send a reference".to_string()),
            ));
        }
        publications.push(publication);
    }
    if problems.is_empty() { Ok(publications) } else { Err(problems) }
}

/// What the flags must be for the topic's kind.
fn check_options(topic: &PublishTopic, options: &PublishOptions) -> Vec<EventProblem> {
    let mut problems = Vec::new();
    let mut problem =
        |message: String, hint: &str| problems.push(EventProblem::new(None, message, Some(hint.to_string())));
    let name = &topic.name;
    if topic.fifo {
        match &options.group {
            None => problem(
                format!("topic `{name}` is FIFO: every event needs a message group"),
                "pass `--group GROUP`; events of one group are delivered in order",
            ),
            Some(group) if !check_id(group) => problem(
                format!("message group `{group}` is not 1 to {MAX_ID_LEN} letters, digits and punctuation"),
                "choose a shorter group, like a customer ID",
            ),
            Some(_) => {}
        }
        if options.deduplication_id.is_none() && !topic.content_based_deduplication {
            problem(
                format!(
                    "topic `{name}` is FIFO without content-based deduplication: every event needs a deduplication ID"
                ),
                "pass `--dedup-id ID` (in a JSON Lines file each event gets `{ID}-{line}`, so publishing the file again within 5 minutes is a no-op)",
            );
        }
    } else {
        if options.group.is_some() {
            problem(format!("topic `{name}` is standard: it takes no message group"), "leave out `--group`");
        }
        if options.deduplication_id.is_some() {
            problem(format!("topic `{name}` is standard: it takes no deduplication ID"), "leave out `--dedup-id`");
        }
    }
    if options.attributes.len() > MAX_ATTRIBUTES {
        problem(
            format!("{} message attributes; SNS takes up to {MAX_ATTRIBUTES}", options.attributes.len()),
            "pass fewer `--attribute`s",
        );
    }
    problems
}

/// The message attributes `filter` requires that events carrying only `attributes` lack: a
/// subscription with that filter will not receive them. Only the attributes an absent value
/// cannot match: a condition with `exists: false` or `anything-but` (and every filter on the
/// body, or under `$or`) is left to SNS.
pub fn missing_filter_attributes(
    filter: &fanout::model::Filter,
    attributes: &BTreeMap<String, Attribute>,
) -> Vec<String> {
    if filter.scope != fanout::model::FilterScope::MessageAttributes {
        return Vec::new();
    }
    let absent_may_match = |conditions: &Value| {
        let conditions = match conditions {
            Value::Array(conditions) => conditions.as_slice(),
            other => std::slice::from_ref(other),
        };
        conditions.iter().any(|condition| {
            condition.get("exists") == Some(&Value::Bool(false)) || condition.get("anything-but").is_some()
        })
    };
    filter
        .policy
        .iter()
        .filter(|(name, conditions)| {
            !name.starts_with('$') && !attributes.contains_key(name.as_str()) && !absent_may_match(conditions)
        })
        .map(|(name, _)| name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic(fifo: bool, schema: Option<Value>) -> PublishTopic {
        PublishTopic { name: "shop/orders".into(), fifo, content_based_deduplication: false, schema }
    }

    fn fifo_options() -> PublishOptions {
        PublishOptions {
            group: Some("customer-42".into()),
            deduplication_id: Some("backfill-7".into()),
            attributes: BTreeMap::new(),
        }
    }

    fn schema() -> Option<Value> {
        Some(serde_json::json!({ "type": "object", "required": ["id"], "properties": { "id": { "type": "integer" } } }))
    }

    #[test]
    fn a_single_document_is_one_event_even_across_lines() {
        let text = "\n{\n  \"id\": 1\n}\n";
        let events = prepare(text, &topic(true, schema()), &fifo_options()).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!((events[0].line, events[0].body.as_str()), (2, "{\n  \"id\": 1\n}"));
        assert_eq!(events[0].deduplication_id.as_deref(), Some("backfill-7"), "a single event takes the ID as given");
        assert_eq!(events[0].group_id.as_deref(), Some("customer-42"));
    }

    #[test]
    fn json_lines_publish_in_order_with_an_id_per_line() {
        let text = "{\"id\": 1}\n\n{\"id\":2}\n{\"id\": 3}\n";
        let events = prepare(text, &topic(true, schema()), &fifo_options()).unwrap();
        let seen: Vec<(usize, &str, Option<&str>)> =
            events.iter().map(|e| (e.line, e.body.as_str(), e.deduplication_id.as_deref())).collect();
        assert_eq!(
            seen,
            [
                (1, "{\"id\": 1}", Some("backfill-7-1")),
                (3, "{\"id\":2}", Some("backfill-7-3")),
                (4, "{\"id\": 3}", Some("backfill-7-4")),
            ]
        );
    }

    #[test]
    fn every_bad_event_is_reported_and_none_is_returned() {
        let text = "{\"id\": 1}\n{\"id\": \"two\"}\n{\"name\": 3}\n{\"id\": 4}\n";
        let problems = prepare(text, &topic(true, schema()), &fifo_options()).unwrap_err();
        let lines: Vec<Option<usize>> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [Some(2), Some(3)]);
        assert!(
            problems[0]
                .message
                .starts_with("the event on line 2 does not match the schema of topic `shop/orders`: at `/id`"),
            "{problems:?}"
        );
    }

    #[test]
    fn lines_that_are_not_json_are_each_reported() {
        let problems = prepare("{\"id\": 1}\nnot json\n{\"id\": 2\n", &topic(false, None), &PublishOptions::default())
            .unwrap_err();
        assert_eq!(problems.iter().map(|p| p.line).collect::<Vec<_>>(), [Some(2), Some(3)]);
        assert_eq!(
            prepare("  \n", &topic(false, None), &PublishOptions::default()).unwrap_err()[0].message,
            "there is no event"
        );
    }

    #[test]
    fn fifo_and_standard_topics_need_their_flags() {
        let messages = |topic: &PublishTopic, options: &PublishOptions| -> Vec<String> {
            prepare("{\"id\": 1}", topic, options)
                .map(|_| Vec::new())
                .unwrap_or_else(|p| p.into_iter().map(|p| p.message).collect())
        };
        assert_eq!(
            messages(&topic(true, None), &PublishOptions::default()),
            [
                "topic `shop/orders` is FIFO: every event needs a message group",
                "topic `shop/orders` is FIFO without content-based deduplication: every event needs a deduplication ID",
            ]
        );
        let mut deduplicating = topic(true, None);
        deduplicating.content_based_deduplication = true;
        let group_only = PublishOptions { group: Some("g".into()), ..PublishOptions::default() };
        assert!(messages(&deduplicating, &group_only).is_empty());
        assert_eq!(
            messages(&topic(false, None), &fifo_options()),
            [
                "topic `shop/orders` is standard: it takes no message group",
                "topic `shop/orders` is standard: it takes no deduplication ID"
            ]
        );
        // 127 characters, and `-1` for the first line of a JSON Lines file: one too many.
        let long = PublishOptions { deduplication_id: Some("x".repeat(127)), ..fifo_options() };
        let problems = prepare("{}\n{}\n", &topic(true, None), &long).unwrap_err();
        assert!(
            problems[0].message.ends_with("of the event on line 1 is not 1 to 128 letters, digits and punctuation"),
            "{problems:?}"
        );
        assert!(prepare("{}", &topic(true, None), &long).is_ok(), "a single event takes the ID as given");
    }

    #[test]
    fn events_over_the_size_limit_are_refused() {
        let big = format!("{{\"pad\": \"{}\"}}", "x".repeat(MAX_MESSAGE_BYTES));
        let problems = prepare(&big, &topic(false, None), &PublishOptions::default()).unwrap_err();
        assert!(problems[0].message.contains("SNS takes up to 262144"), "{problems:?}");
    }

    #[test]
    fn attributes_follow_sns_rules() {
        assert_eq!(
            parse_attribute("event_type=OrderPlaced").unwrap(),
            ("event_type".to_string(), Attribute::string("OrderPlaced"))
        );
        assert_eq!(parse_attribute("score:Number=4.5").unwrap().1.data_type, "Number");
        assert_eq!(parse_attribute("blob:Binary=AgME").unwrap().1.value, AttributeValue::Binary(vec![2, 3, 4]));
        assert_eq!(parse_attribute("tags:String.Array=[\"a\",\"b\"]").unwrap().1.data_type, "String.Array");
        assert_eq!(parse_attribute("url=https://x/?a=b").unwrap().1, Attribute::string("https://x/?a=b"));
        for bad in [
            "novalue",
            "=x",
            "a b=x",
            ".a=x",
            "a..b=x",
            "AWS.trace=x",
            "amazon.x=y",
            "n:Number=abc",
            "n:Number=inf",
            "b:Binary=!!",
            "e=",
            "t:Date=x",
            "s:String.Array=x",
        ] {
            assert!(parse_attribute(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn filters_name_the_attributes_events_must_carry() {
        let filter = |scope, policy: Value| fanout::model::Filter {
            scope,
            policy: policy.as_object().cloned().unwrap_or_default(),
        };
        let attributes: BTreeMap<String, Attribute> =
            [parse_attribute("event_type=InputsReady").unwrap()].into_iter().collect();
        let on_attributes = |policy| filter(fanout::model::FilterScope::MessageAttributes, policy);

        let policy =
            serde_json::json!({ "event_type": ["InputsReady"], "region": ["eu"], "tier": [{ "numeric": [">", 1] }] });
        assert_eq!(missing_filter_attributes(&on_attributes(policy), &attributes), ["region", "tier"]);
        assert!(
            missing_filter_attributes(&on_attributes(serde_json::json!({ "event_type": ["X"] })), &attributes)
                .is_empty()
        );
        // An absent attribute matches these: SNS decides.
        let lenient = serde_json::json!({
            "region": [{ "exists": false }],
            "tier": [{ "anything-but": ["gold"] }],
            "$or": [{ "kind": ["a"] }, { "event_type": ["InputsReady"] }],
        });
        assert!(missing_filter_attributes(&on_attributes(lenient), &attributes).is_empty());
        let on_body = filter(fanout::model::FilterScope::MessageBody, serde_json::json!({ "region": ["eu"] }));
        assert!(missing_filter_attributes(&on_body, &attributes).is_empty());
    }
}
