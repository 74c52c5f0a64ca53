//! The manifest reference (`docs/manifest.md`), written from the JSON Schema.
//!
//! The schema is derived from the manifest types, so the reference, the schema editors use
//! and the parser cannot disagree: all three come from the same doc comments and attributes.

use std::fmt::Write;

use serde_json::Value;

use crate::manifest::{domain_schema, settings_schema};

/// A domain manifest that uses every field, shown in the reference and checked by a test.
pub const EXAMPLE_MANIFEST: &str = r#"# yaml-language-server: $schema=../schemas/domain.schema.json
domain: scoring
description: Scores customers once their inputs are ready
owner: team-scoring
tags: { cost-center: "4712" }
encryption: customer-key
topics:
  scores-published:
    description: A customer's new score is available
    fifo: true
    content_based_deduplication: true
    attributes:
      segment: { type: String, values: [premium, enterprise, standard] }
      score: { type: Number }
  score-audits: {}
queues:
  scoring-runs:
    description: One message per customer whose inputs are ready
    fifo: true
    content_based_deduplication: false
    high_throughput: true
    visibility_timeout: 15m
    retention: 4d
    receive_wait: 20s
    delay: 0s
    dead_letter: { max_receive_count: 5, retention: 14d }
    subscriptions:
      - topic: ingestion/scoring-inputs-ready
        raw_message_delivery: true
        filter: { attributes: { event_type: [InputsReady] } }
  audit-log:
    dead_letter: false
    subscriptions:
      - topic: score-audits
        filter: { body: { score: { kind: [final] } } }
"#;

/// A `fanout.yaml` that uses every field.
pub const EXAMPLE_SETTINGS: &str = "ssm_prefix: /fanout\nstages: [dev, prod]\n";

/// The command that rewrites the generated files; named in the reference and in the test.
const REGENERATE: &str = "FANOUT_BLESS=1 cargo test -p fanout-tests --test generated_docs";

/// The manifest reference as Markdown: every field of a domain manifest and of
/// `fanout.yaml`, with its type, default and description, and an example of each.
///
/// It is generated from [`domain_schema`] and [`settings_schema`]; the repo commits it as
/// `docs/manifest.md`, and a test fails when the committed file differs.
///
/// ```
/// let reference = fanout::manifest::reference_markdown();
/// assert!(reference.contains("| `visibility_timeout` | duration | `30s` |"));
/// ```
pub fn reference_markdown() -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Manifest reference\n");
    let _ = writeln!(
        out,
        "<!-- Generated from the JSON Schema in `schemas/` by `fanout::manifest::reference_markdown`; do not edit. -->"
    );
    let _ = writeln!(out, "<!-- Regenerate with `{REGENERATE}`. -->\n");
    let _ = writeln!(
        out,
        "Every field of a domain manifest (`domains/<domain>.yaml`) and of the repo settings (`fanout.yaml`)."
    );
    let _ = writeln!(
        out,
        "Every `*.yaml` and `*.yml` entry of `domains/` (the extension in any case) is read as a manifest and must be a UTF-8 file of at most 4 MiB; any other file or folder there is a warning unless a manifest names it as an event `schema`, and hidden files and Markdown are skipped."
    );
    let _ = writeln!(
        out,
        "Manifests are plain YAML: a key may appear once per mapping, and tags (`!Sub`, `!!str`) and more than one document are refused."
    );
    let _ = writeln!(
        out,
        "Editors that read `# yaml-language-server: $schema=...` complete and check them with `schemas/domain.schema.json` and `schemas/settings.schema.json`;"
    );
    let _ = writeln!(out, "`fanout schema` prints the same schemas.");
    let _ = writeln!(out, "A domain built in Rust with `fanout::build` has the same fields, under the same names.\n");

    let _ = writeln!(out, "## Domain manifest\n");
    document(&mut out, &domain_schema(), "domains/<domain>.yaml");
    let _ = writeln!(out, "### Example\n\n```yaml\n{EXAMPLE_MANIFEST}```\n");

    let _ = writeln!(out, "## Repo settings\n");
    document(&mut out, &settings_schema(), "fanout.yaml");
    let _ = writeln!(out, "### Example\n\n```yaml\n{EXAMPLE_SETTINGS}```");
    out
}

/// One section per mapping of `schema`, from the top level down.
fn document(out: &mut String, schema: &Value, file: &str) {
    let mut writer = Writer { root: schema, scalars: Vec::new() };
    writer.section(out, &format!("`{file}`"), schema, schema.get("description"));
    if !writer.scalars.is_empty() {
        let _ = writeln!(out, "### Value types\n");
        for (name, description) in std::mem::take(&mut writer.scalars) {
            let _ = writeln!(out, "- **{name}**: {description}");
        }
        out.push('\n');
    }
}

struct Writer<'a> {
    root: &'a Value,
    /// Named scalar types (durations) used in the tables, for the glossary.
    scalars: Vec<(String, String)>,
}

/// A mapping or set of values to document in its own section, below the current one.
struct Child<'a> {
    title: String,
    schema: &'a Value,
    description: Option<&'a Value>,
}

impl<'a> Writer<'a> {
    fn resolve(&self, schema: &'a Value) -> (&'a Value, Option<&'a str>) {
        match schema.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/$defs/")) {
            Some(name) => match self.root.get("$defs").and_then(|defs| defs.get(name)) {
                Some(def) => (self.resolve(def).0, Some(name)),
                None => (schema, Some(name)),
            },
            None => (schema, None),
        }
    }

    fn section(&mut self, out: &mut String, title: &str, schema: &'a Value, description: Option<&'a Value>) {
        let _ = writeln!(out, "### {title}\n");
        if let Some(description) = description.and_then(Value::as_str) {
            let _ = writeln!(out, "{}\n", sentences(description));
        }
        let mut children = Vec::new();
        if let Some(values) = schema.get("oneOf").and_then(Value::as_array) {
            let _ = writeln!(out, "| Value | Description |\n| --- | --- |");
            for value in values {
                let name = value.get("const").map(inline).unwrap_or_default();
                let _ = writeln!(out, "| {name} | {} |", cell(value.get("description")));
            }
            out.push('\n');
            return;
        }
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else { return };
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let path = title.trim_matches('`');
        let prefix = if path.contains('/') || path.ends_with(".yaml") { String::new() } else { format!("{path}.") };
        let _ = writeln!(out, "| Field | Type | Default | Description |\n| --- | --- | --- | --- |");
        for (name, property) in properties {
            let field = format!("{prefix}{name}");
            let kind = self.kind(property, &field, name, &mut children);
            let default = match property.get("default") {
                Some(value) => inline(value),
                None if required.contains(&name.as_str()) => "required".to_string(),
                None if kind.starts_with("mapping:") || kind.starts_with("list") => "empty".to_string(),
                None => "none".to_string(),
            };
            let _ = writeln!(out, "| `{name}` | {kind} | {default} | {} |", cell(property.get("description")));
        }
        out.push('\n');
        for child in children {
            self.section(out, &child.title, child.schema, child.description);
        }
    }

    /// The type of a property as a reader says it, collecting the sections it needs.
    fn kind(&mut self, schema: &'a Value, field: &str, name: &str, children: &mut Vec<Child<'a>>) -> String {
        let (resolved, def) = self.resolve(schema);
        if let Some(options) = resolved.get("anyOf").and_then(Value::as_array) {
            let kinds: Vec<String> = options
                .iter()
                .filter(|option| option.get("type").and_then(Value::as_str) != Some("null"))
                .map(|option| self.kind(option, field, name, children))
                .collect();
            return kinds.join(" or ");
        }
        if resolved.get("oneOf").is_some() {
            children.push(Child {
                title: format!("`{field}` values"),
                schema: resolved,
                description: resolved.get("description"),
            });
            let values: Vec<String> =
                resolved["oneOf"].as_array().into_iter().flatten().filter_map(|v| v.get("const")).map(inline).collect();
            return values.join(" or ");
        }
        let types: Vec<&str> = match resolved.get("type") {
            Some(Value::String(kind)) => vec![kind.as_str()],
            Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).filter(|k| *k != "null").collect(),
            _ => Vec::new(),
        };
        match types.first().copied() {
            Some("object") if resolved.get("properties").is_some() => {
                children.push(Child {
                    title: format!("`{field}`"),
                    schema: resolved,
                    description: if def.is_some() { resolved.get("description") } else { None },
                });
                "mapping".to_string()
            }
            Some("object") => match resolved.get("additionalProperties") {
                Some(Value::Bool(true)) | None => "mapping".to_string(),
                Some(values) => {
                    let item = name.strip_suffix('s').unwrap_or(name);
                    let inner = self.kind(values, &format!("{field}.<{item}>"), item, children);
                    let inner = if inner == "mapping" { "settings".to_string() } else { inner };
                    format!("mapping: {item} name → {inner}")
                }
            },
            Some("array") => match resolved.get("items") {
                Some(items) => {
                    let item = name.strip_suffix('s').unwrap_or(name);
                    match self.kind(items, &format!("{field}[]"), item, children).as_str() {
                        "mapping" => format!("list of {name}"),
                        inner => format!("list of {inner}"),
                    }
                }
                None => "list".to_string(),
            },
            Some("string") if def.is_some() => {
                let label = scalar_label(def.unwrap_or_default());
                let description = resolved.get("description").and_then(Value::as_str).unwrap_or_default();
                if !self.scalars.iter().any(|(name, _)| *name == label) {
                    self.scalars.push((label.clone(), one_line(description)));
                }
                label
            }
            Some(kind) => kind.to_string(),
            None => "any".to_string(),
        }
    }
}

/// `DurationSchema` → `duration`.
fn scalar_label(def: &str) -> String {
    def.strip_suffix("Schema").unwrap_or(def).to_lowercase()
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A paragraph with one sentence per line, as the repo writes Markdown.
fn sentences(text: &str) -> String {
    let text = one_line(text);
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '.' && chars.peek() == Some(&' ') {
            chars.next();
            if chars.peek().is_some_and(|next| next.is_uppercase()) {
                out.push('\n');
            } else {
                out.push(' ');
            }
        }
    }
    out
}

fn cell(description: Option<&Value>) -> String {
    one_line(description.and_then(Value::as_str).unwrap_or_default()).replace('|', "\\|")
}

/// A JSON value in backticks: strings bare (`30s`), the rest as JSON (`false`, `["dev"]`).
fn inline(value: &Value) -> String {
    match value {
        Value::String(text) => format!("`{text}`"),
        other => format!("`{other}`"),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::model::{DeadLetter, Domain, HttpSettings, Queue};
    use crate::{Duration, parse_manifest, parse_settings};

    #[test]
    fn examples_are_valid() {
        let (manifest, diagnostics) = parse_manifest(EXAMPLE_MANIFEST, Path::new("scoring.yaml"));
        assert!(diagnostics.is_empty(), "{diagnostics}");
        let (domain, diagnostics) = Domain::from_manifest(&manifest.unwrap_or_else(|| unreachable!()));
        assert!(domain.is_some() && diagnostics.is_empty(), "{diagnostics}");
        let (settings, diagnostics) = parse_settings(EXAMPLE_SETTINGS, Path::new("fanout.yaml"));
        assert!(settings.is_some() && diagnostics.is_empty(), "{diagnostics}");
    }

    /// The defaults the schema (and so the reference) states are the ones the model uses.
    #[test]
    fn schema_defaults_are_the_model_defaults() {
        let schema = domain_schema();
        let queue = &schema["$defs"]["QueueManifest"]["properties"];
        let duration = |value: &Value| value.as_str().and_then(|text| text.parse::<Duration>().ok());
        assert_eq!(duration(&queue["visibility_timeout"]["default"]), Some(Queue::DEFAULT_VISIBILITY_TIMEOUT));
        assert_eq!(duration(&queue["retention"]["default"]), Some(Queue::DEFAULT_RETENTION));
        assert_eq!(duration(&queue["receive_wait"]["default"]), Some(Queue::DEFAULT_RECEIVE_WAIT));
        assert_eq!(duration(&queue["delay"]["default"]), Some(Queue::DEFAULT_DELAY));
        assert_eq!(queue["dead_letter"]["default"], true);
        let dead_letter = &schema["$defs"]["DeadLetterSettings"]["properties"];
        assert_eq!(dead_letter["max_receive_count"]["default"], DeadLetter::DEFAULT_MAX_RECEIVE_COUNT);
        assert_eq!(duration(&dead_letter["retention"]["default"]), Some(DeadLetter::DEFAULT_RETENTION));
        let http = &schema["$defs"]["HttpManifest"]["properties"];
        assert_eq!(http["rate_limit"]["default"], HttpSettings::DEFAULT_RATE_LIMIT);
        assert_eq!(http["burst_limit"]["default"], HttpSettings::DEFAULT_BURST_LIMIT);
        // An empty queue lowers to the model's defaults, so the schema states what happens.
        let (domain, _) = Domain::from_manifest(&crate::manifest::DomainManifest {
            domain: "a".to_string(),
            description: None,
            owner: None,
            tags: Default::default(),
            encryption: Default::default(),
            alerts: None,
            http: None,
            topics: Default::default(),
            queues: [("q".to_string(), None)].into_iter().collect(),
        });
        let queues = domain.map(|d| d.queues).unwrap_or_default();
        assert_eq!(queues.values().next(), Some(&Queue::default()));
    }

    #[test]
    fn every_field_is_in_the_reference() {
        let reference = reference_markdown();
        for field in [
            "domain",
            "description",
            "owner",
            "tags",
            "encryption",
            "kms_key",
            "topics",
            "fifo",
            "content_based_deduplication",
            "high_throughput",
            "visibility_timeout",
            "retention",
            "receive_wait",
            "delay",
            "dead_letter",
            "max_receive_count",
            "subscriptions",
            "topic",
            "raw_message_delivery",
            "filter",
            "attributes",
            "body",
            "http",
            "rate_limit",
            "burst_limit",
            "web_acl_arn",
            "ssm_prefix",
            "stages",
        ] {
            assert!(reference.contains(&format!("| `{field}` |")), "`{field}` is missing:\n{reference}");
        }
    }
}
