//! The contract checks, rule by rule: each with a subscription that passes and one that fails.

use std::path::Path;

use serde_json::json;

use super::{LockFile, body_key_problem, entry_positions};
use crate::diagnostic::Diagnostics;
use crate::project::{Project, Source};

/// The messages of `manifests` (name, text) checked together, with `lock` as `fanout.lock`.
fn check(settings: &str, manifests: &[(&str, &str)], lock: Option<&str>) -> Vec<String> {
    let settings = Source { path: "fanout.yaml".into(), text: settings.to_string() };
    let sources: Vec<Source> = manifests
        .iter()
        .map(|(name, text)| Source { path: format!("domains/{name}.yaml").into(), text: text.to_string() })
        .collect();
    let lock = lock.map(|text| Source { path: "fanout.lock".into(), text: text.to_string() });
    let schema = |path: &Path| {
        Some(match path.to_str() {
            Some("domains/schemas/scores.json") => Ok(json!({
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "customer": { "type": "object", "properties": { "id": { "type": "string" } }, "additionalProperties": false },
                    "score": { "type": "number" },
                    "extra": { "type": "object" },
                },
            })
            .to_string()),
            _ => Err("not found".to_string()),
        })
    };
    let (_, diagnostics) = Project::from_sources_with_lock(Some(&settings), &sources, &schema, lock.as_ref());
    messages(&diagnostics)
}

fn messages(diagnostics: &Diagnostics) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| {
            let at = d.location.as_ref().map(|l| format!("{}:{}", l.line, l.column)).unwrap_or_default();
            format!("{} {at} {}: {}", d.kind, d.path, d.message)
        })
        .collect()
}

const PRODUCER: &str = "domain: scoring
topics:
  scores:
    schema: schemas/scores.json
    attributes:
      segment: { type: String, values: [premium, enterprise, standard] }
      score: { type: Number }
      tags: { type: String.Array, values: [a, b] }
      signature: { type: Binary }
  plain: {}
";

fn consumer(filter: &str) -> String {
    format!(
        "domain: reporting\nqueues:\n  updates:\n    subscriptions:\n      - topic: scoring/scores\n        filter: {filter}\n"
    )
}

fn check_filter(filter: &str) -> Vec<String> {
    check("stages: [dev]", &[("scoring", PRODUCER), ("reporting", &consumer(filter))], None)
}

#[test]
fn attribute_filters_within_the_declared_attributes_pass() {
    for filter in [
        "{ attributes: { segment: [premium, enterprise] } }",
        "{ attributes: { segment: [{ prefix: prem }, { equals-ignore-case: STANDARD }], score: [{ numeric: ['>=', 700] }] } }",
        "{ attributes: { segment: [{ anything-but: [standard] }], score: [700, { exists: true }] } }",
        "{ attributes: { tags: [a, 1] } }",
        "{ attributes: { $or: [{ segment: [premium] }, { score: [1] }] } }",
    ] {
        assert_eq!(check_filter(filter), Vec::<String>::new(), "{filter}");
    }
}

#[test]
fn a_filter_on_an_undeclared_attribute_is_an_error_with_a_close_name() {
    assert_eq!(
        check_filter("{ attributes: { segmnt: [premium] } }"),
        [
            "unknown-filter-attribute 6:33 queues.updates.subscriptions[0].filter.attributes.segmnt: the filter of queue `updates` reads message attribute `segmnt`, which topic `scoring/scores` does not declare"
        ]
    );
}

#[test]
fn a_value_outside_the_declared_values_is_an_error() {
    let found = check_filter("{ attributes: { segment: [gold, premium, { prefix: x }] } }");
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].starts_with("filter-value-not-declared 6:43 queues.updates.subscriptions[0].filter.attributes.segment[0]: the filter of queue `updates` accepts `gold`"), "{found:?}");
    assert!(found[1].contains("segment[2]") && found[1].contains("`prefix: x`"), "{found:?}");
}

#[test]
fn conditions_of_the_wrong_type_and_binary_attributes_are_errors() {
    let found = check_filter("{ attributes: { segment: [{ numeric: ['>', 1] }], score: [high], signature: [x] } }");
    let kinds: Vec<&str> = found.iter().map(|f| f.split(' ').next().unwrap_or_default()).collect();
    assert_eq!(kinds, ["filter-type-mismatch", "filter-type-mismatch", "filter-on-binary-attribute"], "{found:?}");
    assert!(found[0].contains("`segment` as a number, but topic `scoring/scores` declares it `String`"), "{found:?}");
    assert!(found[1].contains("`score` as a string"), "{found:?}");
}

#[test]
fn a_topic_without_attributes_or_schema_is_not_checked() {
    let manifests = [
        ("scoring", PRODUCER),
        (
            "reporting",
            "domain: reporting\nqueues:\n  q:\n    subscriptions:\n      - topic: scoring/plain\n        filter: { attributes: { anything: [x] } }\n  r:\n    subscriptions:\n      - topic: scoring/plain\n        filter: { body: { anything: [x] } }\n",
        ),
    ];
    assert_eq!(check("stages: [dev]", &manifests, None), Vec::<String>::new());
}

#[test]
fn body_filters_are_checked_against_the_schema() {
    assert_eq!(
        check_filter("{ body: { customer: { id: [x] }, score: [{ numeric: ['>', 1] }], extra: { any: [1] } } }"),
        Vec::<String>::new()
    );
    let found = check_filter("{ body: { customer: { name: [x] }, score: { deeper: [1] }, other: [1] } }");
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(
        found[0].contains("`/customer/name`") && found[0].contains("allows no key `name` in `/customer`"),
        "{found:?}"
    );
    assert!(found[1].contains("`/score/deeper`") && found[1].contains("makes `/score` number"), "{found:?}");
    assert!(found[2].contains("`/other`"), "{found:?}");
}

#[test]
fn the_schema_decides_only_what_it_says() {
    let open = json!({ "type": "object", "properties": { "a": { "type": "string" } } });
    assert!(body_key_problem(&open, &["b"]).is_none(), "additional properties are allowed");
    assert!(body_key_problem(&open, &["a", "b"]).is_some(), "a string has no keys");
    let combined = json!({ "allOf": [{ "$ref": "#/definitions/x" }], "additionalProperties": { "type": "object" } });
    assert!(body_key_problem(&combined, &["x", "y"]).is_none());
    let patterned = json!({ "patternProperties": { "^x": {} }, "additionalProperties": false });
    assert!(body_key_problem(&patterned, &["xy"]).is_none());
    let array = json!({ "type": "array", "items": { "type": "string" } });
    assert!(body_key_problem(&array, &["a"]).is_none());
    let scalar = json!({ "type": ["string", "null"] });
    assert!(body_key_problem(&scalar, &["a"]).is_some());
}

const LOCK: &str = r#"{
  "version": 1,
  "stages": {
    "dev": {
      "partner/events": {
        "contract": {
          "version": 1,
          "fifo": false,
          "content_based_deduplication": false,
          "attributes": { "kind": { "type": "String", "values": ["a", "b"] } }
        }
      },
      "partner/unused": {
        "contract": { "version": 1, "fifo": true, "content_based_deduplication": true, "attributes": {} }
      }
    }
  }
}
"#;

#[test]
fn a_locked_topic_gets_the_checks_of_a_topic_in_the_repo() {
    let consumer = "domain: reporting\nqueues:\n  inbox:\n    fifo: true\n    subscriptions:\n      - topic: partner/events\n        filter: { attributes: { kind: [c] } }\n";
    let found = check("stages: [dev, prod]", &[("reporting", consumer)], Some(LOCK));
    assert_eq!(
        found,
        [
            "unlocked-topic 6:9 queues.inbox.subscriptions[0].topic: `partner/events` is a topic of another repo with no contract in `fanout.lock` for stage `prod`: its kind, attributes and schema are not checked",
            "fifo-queue-on-standard-topic 6:9 queues.inbox.subscriptions[0].topic: queue `inbox` is FIFO but subscribes to standard topic `partner/events`, as locked in `fanout.lock`",
            "filter-value-not-declared 7:40 queues.inbox.subscriptions[0].filter.attributes.kind[0]: the filter of queue `inbox` accepts `c` for message attribute `kind`, which no value topic `partner/events` declares matches: it declares `a`, `b`",
            "unused-lock-entry 13:7 stages.dev.partner/unused: the contract of `partner/unused` locked for stage `dev` is not used: no queue of this repo subscribes to `partner/unused` of another repo",
        ]
    );
}

#[test]
fn a_lock_that_is_not_a_lock_names_the_file_line_and_column() {
    let (lock, found) = LockFile::parse("fanout.lock", "{\n  \"version\": 1,\n  \"stages\": {\n    \"dev\": [}\n");
    assert!(lock.is_none());
    assert_eq!(
        messages(&found),
        [
            "invalid-lock 4:11 : `fanout.lock` is not a valid lock file: invalid type: sequence, expected a map at line 4 column 11"
        ]
    );
    let (lock, found) = LockFile::parse("fanout.lock", r#"{"version": 2, "stages": {}}"#);
    assert!(lock.is_none());
    assert_eq!(messages(&found), ["invalid-lock 1:1 : `fanout.lock` has version 2; this fanout reads version 1"]);
    let unknown = r#"{"version": 1, "stages": {}, "extra": true}"#;
    assert!(LockFile::parse("fanout.lock", unknown).0.is_none(), "unknown fields are refused");
    let tampered = r#"{"version": 1, "stages": {"dev": {"a/b": {"contract": {"version": 1, "fifo": false, "content_based_deduplication": false, "schema_digest": "sha256:00"}, "schema": {}}}}}"#;
    let (lock, found) = LockFile::parse("fanout.lock", tampered);
    assert!(lock.is_none());
    assert!(messages(&found)[0].contains("is not the one its contract's `schema_digest` names"), "{found}");
}

#[test]
fn lock_entries_are_located_in_pretty_and_compact_json() {
    let positions = entry_positions(LOCK);
    assert_eq!(positions.get(&("dev".to_string(), "partner/events".to_string())), Some(&(5, 7)));
    let compact = r#"{"stages":{"dev":{"a/b":{"x":[1,{"y":"z"}]},"c/d":{}}},"version":1}"#;
    let positions = entry_positions(compact);
    assert_eq!(positions.keys().map(|(s, t)| format!("{s} {t}")).collect::<Vec<_>>(), ["dev a/b", "dev c/d"]);
}

#[test]
fn a_locked_kind_decides_the_template_when_every_stage_agrees() {
    let consumer = "domain: reporting\nqueues:\n  inbox:\n    subscriptions:\n      - topic: partner/events\n";
    let fifo_lock = LOCK.replace("\"fifo\": false", "\"fifo\": true");
    let settings = Source { path: "fanout.yaml".into(), text: "stages: [dev]".to_string() };
    let sources = [Source { path: "domains/reporting.yaml".into(), text: consumer.to_string() }];
    let lock = Source { path: "fanout.lock".into(), text: fifo_lock };
    let (project, _) = Project::from_sources_with_lock(Some(&settings), &sources, &|_| None, Some(&lock));
    let template = project.expect("valid").template("reporting", "dev").expect("template");
    assert!(template.resources.contains_key("InboxFifoDeadLetterQueue"), "a standard queue on a locked FIFO topic");
}
