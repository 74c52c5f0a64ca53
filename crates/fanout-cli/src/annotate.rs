//! Diagnostics for CI systems: GitHub workflow commands and SARIF 2.1.0.
//!
//! Both name files relative to the repo root, as the CI system checked it out, so an
//! annotation lands on the changed line of the pull request's diff.

use std::fmt::Write as _;
use std::path::Path;

use fanout::diagnostic::{Diagnostic, DiagnosticKind, Diagnostics, Severity};
use serde_json::{Value, json};

/// Where the SARIF rules' help points: the generated list of every diagnostic kind.
const RULES_URI: &str = "https://github.com/fanout-dev/fanout/blob/main/docs/diagnostics.md";

/// One workflow command per diagnostic: `::error file=…,line=…,col=…,title=…::message`.
///
/// GitHub shows each on the file and line it names; a diagnostic without a file (a domain
/// built in Rust) is still an error or warning of the run, without a place.
pub fn github(diagnostics: &Diagnostics, root: &Path) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        let command = match diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut properties = Vec::new();
        if let Some(location) = &diagnostic.location {
            properties.push(format!("file={}", property(&relative(&location.file, root))));
            properties.push(format!("line={}", location.line));
            properties.push(format!("col={}", location.column));
        }
        properties.push(format!("title={}", property(&format!("fanout {}", diagnostic.kind.id()))));
        let _ = writeln!(out, "::{command} {}::{}", properties.join(","), data(&text(diagnostic)));
    }
    out
}

/// A SARIF 2.1.0 log of one run: one rule per diagnostic kind (with its help text), one result
/// per diagnostic, located by file, line and column.
pub fn sarif(diagnostics: &Diagnostics, root: &Path) -> Value {
    let rules: Vec<Value> = DiagnosticKind::ALL
        .iter()
        .map(|kind| {
            json!({
                "id": kind.id(),
                "shortDescription": { "text": kind.help() },
                "helpUri": format!("{RULES_URI}#{}", kind.id()),
                "help": { "text": kind.help() },
            })
        })
        .collect();
    let results: Vec<Value> = diagnostics
        .iter()
        .map(|diagnostic| {
            let index = DiagnosticKind::ALL.iter().position(|kind| *kind == diagnostic.kind);
            let mut result = json!({
                "ruleId": diagnostic.kind.id(),
                "level": match diagnostic.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                },
                "message": { "text": text(diagnostic) },
            });
            if let Some(index) = index {
                result["ruleIndex"] = json!(index);
            }
            if let Some(location) = &diagnostic.location {
                result["locations"] = json!([{
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": uri(&relative(&location.file, root)),
                            "uriBaseId": "%SRCROOT%",
                        },
                        "region": { "startLine": location.line, "startColumn": location.column },
                    },
                }]);
            }
            if !diagnostic.path.is_root() || diagnostic.domain.is_some() {
                let mut properties = serde_json::Map::new();
                if let Some(domain) = &diagnostic.domain {
                    properties.insert("domain".into(), json!(domain));
                }
                if !diagnostic.path.is_root() {
                    properties.insert("field".into(), json!(diagnostic.path.to_string()));
                }
                result["properties"] = Value::Object(properties);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "fanout",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/fanout-dev/fanout",
                    "rules": rules,
                },
            },
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    })
}

/// The message a reader of an annotation needs: what is wrong, in which field, how to fix it.
fn text(diagnostic: &Diagnostic) -> String {
    let mut text = diagnostic.message.clone();
    if !diagnostic.path.is_root() {
        let _ = write!(text, "\nfield: {}", diagnostic.path);
    }
    if let Some(hint) = &diagnostic.hint {
        let _ = write!(text, "\nhint: {hint}");
    }
    text
}

/// `file` relative to the repo root when it is inside it, with `/` separators.
fn relative(file: &Path, root: &Path) -> String {
    let file = file.strip_prefix(root).unwrap_or(file);
    let parts: Vec<String> = file.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    parts.join("/")
}

/// A relative path as a URI reference: everything outside the unreserved set percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::new();
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// A workflow command's message: `%`, CR and LF escaped, as the runner unescapes them.
fn data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A workflow command's property value: also `:` and `,`, which end a property.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_would_end_a_command_or_a_property() {
        assert_eq!(data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(property("a:b,c%"), "a%3Ab%2Cc%25");
    }

    #[test]
    fn uris_encode_spaces_and_non_ascii_names() {
        assert_eq!(uri("domains/my domain.yaml"), "domains/my%20domain.yaml");
        assert_eq!(uri("domains/é.yaml"), "domains/%C3%A9.yaml");
    }

    #[test]
    fn paths_are_relative_to_the_root_with_forward_slashes() {
        assert_eq!(relative(Path::new("/repo/domains/a.yaml"), Path::new("/repo")), "domains/a.yaml");
        assert_eq!(relative(Path::new("domains/a.yaml"), Path::new("/repo")), "domains/a.yaml");
    }
}
