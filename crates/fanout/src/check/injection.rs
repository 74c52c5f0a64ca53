//! No template injection: a CloudFormation dynamic reference (`{{resolve:ssm:...}}`,
//! `{{resolve:secretsmanager:...}}`) in a user string would be resolved by CloudFormation at
//! deploy time, writing a parameter or a secret of the account into a resource (a
//! description, a tag, a filter policy, an SSM parameter anyone can read).
//!
//! The check walks every string of the manifest, keys included, rather than a list of
//! fields: a field added later is covered without anyone remembering it. Schema documents,
//! which reach templates too, are walked by [`json`].

use serde_json::Value;

use crate::diagnostic::{Diagnostic, DiagnosticKind, Diagnostics, FieldPath};
use crate::manifest::DomainManifest;

/// What CloudFormation recognizes as the start of a dynamic reference (it is matched
/// ignoring case, to refuse anything close).
const DYNAMIC_REFERENCE: &str = "{{resolve:";

/// Whether `text` holds a dynamic reference.
pub fn holds_dynamic_reference(text: &str) -> bool {
    text.to_ascii_lowercase().contains(DYNAMIC_REFERENCE)
}

/// Every string of `manifest`, keys included, that holds a dynamic reference.
pub fn manifest(manifest: &DomainManifest) -> Diagnostics {
    let mut diagnostics = Diagnostics::default();
    // A manifest is plain data; serializing it to JSON cannot fail, and if it ever did
    // there would be no string to check.
    if let Ok(value) = serde_json::to_value(manifest) {
        walk(&value, &FieldPath::root(), &mut |path, _| diagnostics.push(in_manifest(path)));
    }
    diagnostics
}

/// The JSON pointers of every string of `document` (a schema), keys included, that holds a
/// dynamic reference.
pub fn json(document: &Value) -> Vec<String> {
    let mut found = Vec::new();
    walk(document, &FieldPath::root(), &mut |_, pointer| found.push(pointer));
    found
}

/// Calls `found` with the field path and JSON pointer of each string holding a reference.
fn walk(value: &Value, path: &FieldPath, found: &mut dyn FnMut(FieldPath, String)) {
    fn go(value: &Value, path: &FieldPath, pointer: &str, found: &mut dyn FnMut(FieldPath, String)) {
        match value {
            Value::String(text) if holds_dynamic_reference(text) => found(path.clone(), pointer.to_string()),
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    go(item, &path.index(index), &format!("{pointer}/{index}"), found);
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    let item_path = path.key(key.clone());
                    let item_pointer = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
                    if holds_dynamic_reference(key) {
                        found(item_path.clone(), item_pointer.clone());
                    }
                    go(item, &item_path, &item_pointer, found);
                }
            }
            _ => {}
        }
    }
    go(value, path, "", found);
}

/// A manifest field that holds a dynamic reference.
fn in_manifest(path: FieldPath) -> Diagnostic {
    Diagnostic::error(DiagnosticKind::DynamicReference, path.clone(), format!("`{path}` holds a CloudFormation dynamic reference (`{{{{resolve:`)")).with_hint(
        "CloudFormation would resolve it at deploy and copy an SSM parameter or a secret into the resource; write the value itself",
    )
}

/// A schema that holds a dynamic reference at `pointer`.
pub(crate) fn in_schema(path: FieldPath, schema: &str, pointer: &str) -> Diagnostic {
    Diagnostic::error(
        DiagnosticKind::DynamicReference,
        path,
        format!("schema `{schema}` holds a CloudFormation dynamic reference (`{{{{resolve:`) at `{pointer}`"),
    )
    .with_hint(
        "the schema is copied into an SSM parameter and the API's model, where CloudFormation would resolve it at deploy; remove it",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_references_in_values_and_keys_in_any_case() {
        let document = serde_json::json!({
            "a": ["x", "{{resolve:ssm:/p}}"],
            "{{RESOLVE:secretsmanager:s}}": 1,
            "b/c": {"d": "{{resolve:ssm:/q}}"},
            "e": "{resolve:ssm:/not-one}",
        });
        assert_eq!(json(&document), ["/a/1", "/b~1c/d", "/{{RESOLVE:secretsmanager:s}}"]);
    }
}
