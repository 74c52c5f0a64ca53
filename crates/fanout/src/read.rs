//! Reading a manifest or `fanout.yaml`: text → positioned tree ([`crate::yaml`]) → typed
//! value ([`crate::yaml::de`]), every diagnostic with its file, line, column and field.
//!
//! A [`Document`] keeps its tree, so the checks that run later on the typed value (the
//! per-field checks, the cross-domain checks, event schemas) get their positions from the
//! same reading: [`Document::locate`].

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::diagnostic::{Diagnostic, DiagnosticKind, Diagnostics, FieldPath, Location, Segment};
use crate::manifest::{DomainManifest, SettingsManifest};
use crate::yaml::{self, Positions, Tree, de};

/// One file, read: its typed value if it could be read, what was wrong, and its tree.
#[derive(Debug)]
pub(crate) struct Document<T> {
    pub value: Option<T>,
    pub diagnostics: Diagnostics,
    file: PathBuf,
    positions: Positions,
    /// Fields whose value was not read as written: later checks say nothing about them.
    unread: Vec<FieldPath>,
}

impl<T> Document<T> {
    /// Gives diagnostics of later checks of this document their position in the file, and
    /// drops those about fields whose value could not be read (already reported).
    pub(crate) fn locate(&self, diagnostics: Diagnostics) -> Diagnostics {
        diagnostics
            .into_iter()
            .filter(|diagnostic| !self.unread.iter().any(|unread| diagnostic.path.is_within(unread)))
            .map(|mut diagnostic| {
                let position = self.positions.locate(&diagnostic.path).unwrap_or_default();
                diagnostic.location = Some(Location {
                    file: self.file.clone(),
                    line: position.line().max(1),
                    column: position.column().max(1),
                });
                diagnostic
            })
            .collect()
    }

    /// The file's path, as given.
    pub(crate) fn file(&self) -> &Path {
        &self.file
    }
}

/// What a document is, for the messages about it as a whole.
struct Kind {
    /// The value of an empty document, or `None` when it must not be empty.
    empty: fn() -> Option<Diagnostic>,
    /// How to write the field at a path.
    hints: de::Hints,
}

/// Reads `text` as a `T`, everything located in `file`.
fn read<T: DeserializeOwned>(text: &str, file: &Path, kind: &Kind) -> Document<T> {
    let Tree { root, diagnostics } = yaml::parse(text);
    let mut document = Document {
        value: None,
        diagnostics: Diagnostics::default(),
        file: file.to_path_buf(),
        positions: Positions::default(),
        unread: Vec::new(),
    };
    let mut found: Vec<Diagnostic> = diagnostics;
    match &root {
        // The text could not be read; the tree says why.
        None if !found.is_empty() => {}
        None | Some(yaml::Node { value: yaml::Value::Null, .. }) => match (kind.empty)() {
            Some(diagnostic) => found.push(yaml::at(diagnostic, yaml::Position::new(1, 1))),
            None => {
                let empty = yaml::Node { at: yaml::Position::new(1, 1), value: yaml::Value::Map(Default::default()) };
                let reading = de::read::<T>(&empty, kind.hints);
                document.value = reading.value;
                found.extend(reading.diagnostics);
            }
        },
        Some(node) => {
            let reading = de::read::<T>(node, kind.hints);
            document.value = reading.value;
            document.unread = reading.unread;
            found.extend(reading.diagnostics);
        }
    }
    if let Some(root) = &root {
        document.positions = Positions::of(root);
    }
    let mut diagnostics: Diagnostics = found
        .into_iter()
        .map(|mut diagnostic| {
            let location =
                diagnostic.location.get_or_insert_with(|| Location { file: PathBuf::new(), line: 1, column: 1 });
            location.file = file.to_path_buf();
            diagnostic
        })
        .collect();
    diagnostics.sort();
    document.diagnostics = diagnostics;
    document
}

const DOMAIN: Kind = Kind {
    empty: || {
        Some(
            Diagnostic::error(DiagnosticKind::EmptyManifest, FieldPath::root(), "the manifest is empty")
                .with_hint("start it with `domain: <name>`, the name of this file without `.yaml`"),
        )
    },
    hints: manifest_hint,
};

const SETTINGS: Kind = Kind { empty: || None, hints: settings_hint };

/// Reads a domain manifest.
pub(crate) fn read_manifest(text: &str, file: &Path) -> Document<DomainManifest> {
    read(text, file, &DOMAIN)
}

/// Reads `fanout.yaml`; an empty file is all defaults.
pub(crate) fn read_settings(text: &str, file: &Path) -> Document<SettingsManifest> {
    read(text, file, &SETTINGS)
}

/// Parses one manifest file's text into a [`DomainManifest`], reporting every problem with
/// its position in `file`. Returns `None` when the manifest could not be read whole.
pub fn parse_manifest(text: &str, file: &Path) -> (Option<DomainManifest>, Diagnostics) {
    let document = read_manifest(text, file);
    (document.value, document.diagnostics)
}

/// Parses `fanout.yaml`.
pub fn parse_settings(text: &str, file: &Path) -> (Option<SettingsManifest>, Diagnostics) {
    let document = read_settings(text, file);
    (document.value, document.diagnostics)
}

/// How to write a field of a domain manifest, for a value of the wrong type.
fn manifest_hint(path: &FieldPath) -> Option<&'static str> {
    if path.is_root() {
        return Some("a manifest is a mapping that starts with `domain: <name>`");
    }
    // `http` is the domain's REST API settings at the top, a switch on a topic or queue.
    if path.segments().len() == 1 && path.field() == Some("http") {
        return Some(
            "write `{ rate_limit: 100, burst_limit: 200 }`, with `web_acl_arn: arn:aws:wafv2:...` for a web ACL",
        );
    }
    // `attributes` is a topic's declared message attributes, or a filter's policy.
    if let [Segment::Key(topics), _, Segment::Key(attributes), rest @ ..] = path.segments()
        && topics == "topics"
        && attributes == "attributes"
    {
        return Some(match rest {
            [] | [_] => {
                "write a mapping from attribute names to their type: `{ segment: { type: String, values: [premium] } }`"
            }
            [_, Segment::Key(field)] if field == "values" => "write a list of strings: `[premium, standard]`",
            _ => "write `String`, `String.Array`, `Number` or `Binary`",
        });
    }
    field_hint(path.field()?).or_else(|| match path.segments().first() {
        // A map entry (`tags.cost-center`) is explained by its map's hint.
        Some(Segment::Key(top)) => field_hint(top),
        _ => None,
    })
}

/// How to write a field of `fanout.yaml`.
fn settings_hint(path: &FieldPath) -> Option<&'static str> {
    if path.is_root() {
        return Some("`fanout.yaml` is a mapping: `stages: [dev, prod]`");
    }
    field_hint(path.field()?)
}

/// How to write each field, by name: what a value of the wrong type is told.
fn field_hint(field: &str) -> Option<&'static str> {
    Some(match field {
        "domain" => "write `domain: <name>`, the name of this file without `.yaml`",
        "description" | "owner" | "kms_key" | "topic_arn" | "schema" | "ssm_prefix" => "write a string",
        "encryption" => "write `customer-key`, `service-managed`, or `{ kms_key: <key ARN or alias> }`",
        "dead_letter" => "write `true`, `false`, or `{ max_receive_count: 5, retention: 14d }`",
        "tags" => "write a mapping of strings; quote numbers: `cost-center: \"4711\"`",
        "topics" | "queues" => "write a mapping from names to settings",
        "subscriptions" => "write a list: `- topic: <domain>/<topic>`",
        "topic" => "write `<domain>/<topic>`, or a bare `<topic>` of this domain",
        "filter" => "write `{ attributes: {...} }` or `{ body: {...} }`",
        "attributes" | "body" => "write a mapping from keys to lists of values: `{ event_type: [InputsReady] }`",
        "alerts" => "write `{ email: [oncall@team.example] }` or `{ topic_arn: arn:aws:sns:... }`",
        "email" => "write a list of addresses: `[oncall@team.example]`",
        "visibility_timeout" | "retention" | "receive_wait" | "delay" | "oldest_message_age" => {
            "write a whole number and a unit: `30s`, `15m`, `12h` or `4d`"
        }
        "fifo" | "content_based_deduplication" | "high_throughput" | "raw_message_delivery" | "http" => {
            "write `true` or `false`"
        }
        "max_receive_count" => "write a whole number from 1 to 1000",
        "rate_limit" | "burst_limit" => "write a whole number of requests: `100`",
        "web_acl_arn" => {
            "write the ARN of a regional web ACL: `arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>`"
        }
        "stages" => "write a list of stage names: `[dev, prod]`",
        _ => return None,
    })
}
