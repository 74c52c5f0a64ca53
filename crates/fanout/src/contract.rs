//! Event contracts: the JSON Schema a topic declares for its events (`schema:` in the
//! manifest), checked when the project is loaded, published through SSM next to the topic
//! ARN, and used to check single events (`fanout event check`).
//!
//! The schema files are read by the caller ([`crate::load`]); this module only sees text.

use std::path::Path;

use serde_json::Value;

use crate::diagnostic::{Diagnostic, DiagnosticKind, Diagnostics, FieldPath};
use crate::limits;
use crate::model::Domain;

pub use crate::model::EventSchema;

pub mod compat;
pub mod published;

/// Reads a schema file for [`crate::Project::from_sources_with_schemas`]: `None` when the
/// caller reads no files, else the text or why it could not be read.
pub type ReadSchema<'a> = &'a dyn Fn(&Path) -> Option<Result<String, String>>;

/// Reads, parses and checks the schema of every topic of `domain` that declares one;
/// `manifest_dir` is the folder of the domain's manifest.
pub(crate) fn attach(domain: &mut Domain, manifest_dir: &Path, read: ReadSchema<'_>, diagnostics: &mut Diagnostics) {
    for (name, topic) in &mut domain.topics {
        let Some(schema) = &mut topic.schema else { continue };
        let field = FieldPath::root().key("topics").key(name.to_string()).key("schema");
        if Path::new(&schema.path).is_absolute() {
            diagnostics.push(
                Diagnostic::error(
                    DiagnosticKind::AbsoluteSchemaPath,
                    field,
                    format!("schema path `{}` is absolute", schema.path),
                )
                .with_hint("write a path relative to this manifest's folder: `schemas/<topic>.json`"),
            );
            continue;
        }
        let text = match read(&manifest_dir.join(&schema.path)) {
            None => {
                diagnostics.push(
                    Diagnostic::error(DiagnosticKind::SchemaNotRead, field, format!("schema `{}` was not read", schema.path))
                        .with_hint("read schema files: `fanout::load::load_project`, or `Project::from_builders_with_schemas` for domains built in Rust"),
                );
                continue;
            }
            Some(Err(reason)) => {
                diagnostics.push(
                    Diagnostic::error(
                        DiagnosticKind::UnreadableSchema,
                        field,
                        format!("cannot read schema `{}`: {reason}", schema.path),
                    )
                    .with_hint("name a regular JSON file inside the repo, relative to this manifest's folder"),
                );
                continue;
            }
            Some(Ok(text)) => text,
        };
        let document: Value = match serde_json::from_str(&text) {
            Ok(document) => document,
            Err(err) => {
                diagnostics.push(
                    Diagnostic::error(
                        DiagnosticKind::SchemaNotJson,
                        field,
                        format!("schema `{}` is not JSON: {err}", schema.path),
                    )
                    .with_hint("fix the JSON syntax"),
                );
                continue;
            }
        };
        if let Err(err) = jsonschema::validator_for(&document) {
            diagnostics.push(
                Diagnostic::error(
                    DiagnosticKind::InvalidSchema,
                    field,
                    format!("schema `{}` is not a valid JSON Schema: {err}", schema.path),
                )
                .with_hint(format!(
                    "at `{}` of the schema; see https://json-schema.org/understanding-json-schema",
                    pointer_or_root(&err.instance_path().to_string())
                )),
            );
            continue;
        }
        if let Some(pointer) = crate::check::injection::json(&document).first() {
            diagnostics.push(crate::check::injection::in_schema(field, &schema.path, pointer));
            continue;
        }
        let size = document.to_string().chars().count();
        if size > limits::SSM_STANDARD_PARAMETER_VALUE {
            diagnostics.push(
                Diagnostic::error(
                    DiagnosticKind::SchemaTooLarge,
                    field,
                    format!(
                        "schema `{}` is {size} characters as compact JSON; a standard SSM parameter holds {}",
                        schema.path,
                        limits::SSM_STANDARD_PARAMETER_VALUE
                    ),
                )
                .with_hint("shrink it: drop `description`s and `examples`, or move shared parts into `$defs`"),
            );
            continue;
        }
        if topic.http
            && let Some((pointer, keyword)) = later_draft_keywords(&document, "").into_iter().next()
        {
            diagnostics.push(
                Diagnostic::error(DiagnosticKind::SchemaNotDraft4,
                    field,
                    format!("schema `{}` uses `{keyword}` at `{}`, which API Gateway does not know", schema.path, pointer_or_root(&pointer)),
                )
                .with_hint("API Gateway checks request bodies with JSON Schema draft 4: use draft-4 keywords (`enum: [x]` for `const`, `minimum` with `exclusiveMinimum: true`, `definitions` for `$defs`), or remove `http`"),
            );
            continue;
        }
        schema.document = Some(document);
    }
}

/// Keywords of JSON Schema drafts after 4, which API Gateway models refuse; `$schema` is
/// set to draft 4 by synthesis.
const LATER_KEYWORDS: &[&str] = &[
    "$anchor",
    "$comment",
    "$defs",
    "$dynamicAnchor",
    "$dynamicRef",
    "$id",
    "$recursiveAnchor",
    "$recursiveRef",
    "$vocabulary",
    "const",
    "contains",
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
    "dependentRequired",
    "dependentSchemas",
    "deprecated",
    "else",
    "examples",
    "if",
    "maxContains",
    "minContains",
    "prefixItems",
    "propertyNames",
    "readOnly",
    "then",
    "unevaluatedItems",
    "unevaluatedProperties",
    "writeOnly",
];

/// Every keyword of a later draft in the schema `value` at JSON Pointer `pointer`, walking
/// the places draft 4 holds subschemas; numeric `exclusiveMinimum`/`exclusiveMaximum` are
/// later drafts' too (draft 4's are booleans).
fn later_draft_keywords(value: &Value, pointer: &str) -> Vec<(String, String)> {
    let Value::Object(schema) = value else { return Vec::new() };
    let escape = |key: &str| key.replace('~', "~0").replace('/', "~1");
    let mut found = Vec::new();
    for (key, child) in schema {
        let here = format!("{pointer}/{}", escape(key));
        let later = LATER_KEYWORDS.contains(&key.as_str())
            || (matches!(key.as_str(), "exclusiveMinimum" | "exclusiveMaximum") && child.is_number());
        if later {
            let keyword = if child.is_number() { format!("{key}: {child}") } else { key.clone() };
            found.push((pointer.to_string(), keyword));
            continue;
        }
        match (key.as_str(), child) {
            ("properties" | "patternProperties" | "definitions" | "dependencies", Value::Object(children)) => {
                for (name, child) in children {
                    found.extend(later_draft_keywords(child, &format!("{here}/{}", escape(name))));
                }
            }
            ("items" | "allOf" | "anyOf" | "oneOf", Value::Array(children)) => {
                for (index, child) in children.iter().enumerate() {
                    found.extend(later_draft_keywords(child, &format!("{here}/{index}")));
                }
            }
            ("items" | "additionalItems" | "additionalProperties" | "not", Value::Object(_)) => {
                found.extend(later_draft_keywords(child, &here));
            }
            _ => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::later_draft_keywords;

    #[test]
    fn later_draft_keywords_are_found_where_subschemas_are() {
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "const": { "type": "string" },
                "kind": { "const": "order" },
                "tags": { "type": "array", "items": { "propertyNames": { "pattern": "^a" } } },
                "amount": { "exclusiveMinimum": 0 },
                "old": { "exclusiveMinimum": true, "minimum": 0 },
            },
            "enum": [{ "const": 1 }],
        });
        let found: Vec<String> =
            later_draft_keywords(&schema, "").into_iter().map(|(at, keyword)| format!("{at}: {keyword}")).collect();
        assert_eq!(
            found,
            [
                "/properties/amount: exclusiveMinimum: 0",
                "/properties/kind: const",
                "/properties/tags/items: propertyNames"
            ]
        );
    }
}

fn pointer_or_root(pointer: &str) -> &str {
    if pointer.is_empty() { "/" } else { pointer }
}

/// Why an event does not match its schema: the first failing place and rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The JSON Pointer of the failing value in the event (`/` for the whole event).
    pub path: String,
    /// The schema keyword that failed (`required`, `type`, `enum`, ...).
    pub rule: String,
    /// What is wrong, in the validator's words.
    pub message: String,
}

/// Checks `event` against `schema`; every violation, in the validator's order (the first
/// is the first one found). An invalid schema is an error.
///
/// ```
/// use serde_json::json;
///
/// let schema = json!({ "type": "object", "required": ["id"], "properties": { "id": { "type": "string" } } });
/// assert!(fanout::contract::check_event(&schema, &json!({ "id": "a" }))?.is_empty());
/// let violations = fanout::contract::check_event(&schema, &json!({ "id": 1 }))?;
/// assert_eq!(violations[0].path, "/id");
/// assert_eq!(violations[0].rule, "type");
/// # Ok::<(), String>(())
/// ```
pub fn check_event(schema: &Value, event: &Value) -> Result<Vec<Violation>, String> {
    let validator = jsonschema::validator_for(schema).map_err(|err| err.to_string())?;
    Ok(validator
        .iter_errors(event)
        .map(|err| Violation {
            path: pointer_or_root(&err.instance_path().to_string()).to_string(),
            rule: err.kind().keyword().to_string(),
            message: err.to_string(),
        })
        .collect())
}
