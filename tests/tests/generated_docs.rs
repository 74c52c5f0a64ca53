//! The generated files the repo commits are what the code generates now: the JSON Schemas
//! editors use (`schemas/`) and the manifest reference (`docs/manifest.md`), all derived
//! from the manifest types, so none of them can drift from the parser; the list of
//! diagnostic kinds (`docs/diagnostics.md`), derived from `DiagnosticKind`; and the README's
//! table of justifications, from the one in `fanout::compliance`.
//!
//! After changing a manifest type or its docs, regenerate them with
//! `FANOUT_BLESS=1 cargo test -p fanout-tests --test generated_docs` and commit the result.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

const BLESS: &str = "FANOUT_BLESS=1 cargo test -p fanout-tests --test generated_docs";

fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// A schema as `fanout schema` prints it.
fn schema_text(schema: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(schema).expect("a JSON value serializes");
    text.push('\n');
    text
}

/// Compares `path` with `expected`, or writes it when `FANOUT_BLESS=1`.
#[track_caller]
fn check(path: &str, expected: &str) {
    let file = repo_file(path);
    if std::env::var_os("FANOUT_BLESS").is_some_and(|v| v == "1") {
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).expect("create the folder");
        }
        std::fs::write(&file, expected).expect("write the generated file");
        return;
    }
    let committed = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        committed == expected,
        "`{path}` is not what the code generates (missing or stale)\n  hint: run `{BLESS}` and commit the result"
    );
}

#[test]
fn domain_schema_is_current() {
    check("schemas/domain.schema.json", &schema_text(&fanout::manifest::domain_schema()));
}

#[test]
fn settings_schema_is_current() {
    check("schemas/settings.schema.json", &schema_text(&fanout::manifest::settings_schema()));
}

#[test]
fn manifest_reference_is_current() {
    check("docs/manifest.md", &fanout::manifest::reference_markdown());
}

/// The README's table of justifications is the one in the code.
#[test]
fn readme_lists_the_justifications_of_the_code() {
    const START: &str = "<!-- justifications: generated from fanout::compliance by `FANOUT_BLESS=1 cargo test -p fanout-tests --test generated_docs` -->\n";
    const END: &str = "<!-- justifications: end -->\n";
    let readme = std::fs::read_to_string(repo_file("README.md")).expect("README.md exists");
    let (Some(start), Some(end)) = (readme.find(START), readme.find(END)) else {
        panic!("README.md has no generated table of justifications (between `{START}` and `{END}`)");
    };
    let expected =
        format!("{}{START}{}{}", &readme[..start], fanout::compliance::justifications_markdown(), &readme[end..]);
    check("README.md", &expected);
}

#[test]
fn diagnostics_reference_is_current() {
    check("docs/diagnostics.md", &fanout::diagnostic::reference_markdown());
}

#[test]
fn seed_manifests_point_editors_at_the_schema() {
    for entry in std::fs::read_dir(repo_file("domains")).expect("domains/ exists") {
        let path = entry.expect("readable").path();
        // `domains/schemas/` holds the event schemas the manifests name.
        if path.extension().is_none_or(|ext| ext != "yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        assert!(
            text.starts_with("# yaml-language-server: $schema=../schemas/domain.schema.json\n"),
            "`{}` does not start with the schema comment",
            path.display()
        );
    }
}
