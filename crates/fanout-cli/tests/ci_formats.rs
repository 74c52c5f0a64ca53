//! Diagnostics for CI systems: `--format sarif` is valid SARIF 2.1.0 (checked against the OASIS
//! schema, vendored in `tests/sarif/` from the SARIF 2.1.0 errata 01 specification), and
//! `--format github` prints the workflow commands GitHub turns into annotations.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod scratch;

use scratch::{Repo, Run, fanout_command};
use serde_json::Value;

/// Problems of several kinds, errors and a warning, in two files.
fn broken_repo() -> Repo {
    Repo::new(&[
        ("scoring.yaml", "domain: scoring\nqueues:\n  runs:\n    visibility_timeout: forever\n    bogus: 1\n"),
        ("billing.yaml", "domain: billing\nqueues:\n  invoices:\n    subscriptions:\n      - topic: scoring/nowhere\n"),
    ])
}

/// A repo whose committed template is stale: a queue was added after the last `synth`.
fn stale_repo() -> Repo {
    let repo = Repo::new(&[("scoring.yaml", "domain: scoring\nqueues:\n  runs: {}\n")]);
    assert_eq!(run(&repo, &["synth"]).code, 0);
    repo.write("scoring.yaml", "domain: scoring\nqueues:\n  runs: {}\n  audit: {}\n");
    repo
}

fn run(repo: &Repo, args: &[&str]) -> Run {
    Run::of(fanout_command(repo.path(), args))
}

/// Where `log` breaks the SARIF 2.1.0 schema; empty when it is valid.
fn sarif_errors(log: &Value) -> Vec<String> {
    let text = include_str!("sarif/sarif-schema-2.1.0.json");
    let schema: Value = serde_json::from_str(text).expect("the vendored schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    validator.iter_errors(log).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

fn assert_valid_sarif(log: &Value) {
    let errors = sarif_errors(log);
    assert!(errors.is_empty(), "not valid SARIF 2.1.0:\n{}\n{log:#}", errors.join("\n"));
}

#[test]
fn validate_sarif_is_valid_sarif_with_a_rule_per_kind_and_located_results() {
    let repo = broken_repo();
    let done = run(&repo, &["validate", "--format", "sarif"]);
    assert_eq!(done.code, 1, "{done}");
    let log: Value = serde_json::from_str(&done.stdout).unwrap_or_else(|err| panic!("{err}\n{done}"));
    assert_valid_sarif(&log);

    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let results = run["results"].as_array().expect("results");
    assert!(results.len() >= 3, "{log:#}");
    for result in results {
        let id = result["ruleId"].as_str().expect("a rule id");
        let index = result["ruleIndex"].as_u64().expect("a rule index") as usize;
        assert_eq!(rules[index]["id"], id, "the rule index names the rule");
        assert!(rules[index]["help"]["text"].as_str().is_some_and(|help| help.len() > 10), "{id} has help");
    }
    let invalid = results.iter().find(|r| r["ruleId"] == "invalid-duration").expect("the duration error");
    let location = &invalid["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "domains/scoring.yaml");
    assert_eq!(location["region"]["startLine"], 4);
    assert_eq!(location["region"]["startColumn"], 5);
}

#[test]
fn synth_check_sarif_is_valid_and_names_each_template_that_differs() {
    let repo = stale_repo();
    let done = run(&repo, &["synth", "--check", "--format", "sarif"]);
    assert_eq!(done.code, 1, "{done}");
    let log: Value = serde_json::from_str(&done.stdout).unwrap_or_else(|err| panic!("{err}\n{done}"));
    assert_valid_sarif(&log);
    let results = log["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 1, "{log:#}");
    assert_eq!(results[0]["ruleId"], "stale-template");
    assert_eq!(results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "templates/dev/scoring.json");
}

#[test]
fn valid_repo_sarif_has_no_results() {
    let repo = Repo::seed();
    let done = run(&repo, &["validate", "--format", "sarif"]);
    assert_eq!(done.code, 0, "{done}");
    let log: Value = serde_json::from_str(&done.stdout).unwrap();
    assert_valid_sarif(&log);
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));

    // The schema check can fail: a result with an unknown level, a log of another version.
    let mut broken = log.clone();
    broken["version"] = serde_json::json!("2.0.0");
    assert!(!sarif_errors(&broken).is_empty());
    let mut broken = log;
    broken["runs"][0]["results"] = serde_json::json!([{ "message": { "text": "x" }, "level": "fatal" }]);
    assert!(!sarif_errors(&broken).is_empty());
}

#[test]
fn validate_github_prints_workflow_commands() {
    let repo = broken_repo();
    let done = run(&repo, &["validate", "--format", "github"]);
    assert_eq!(done.code, 1, "{done}");
    insta::assert_snapshot!(done.stdout);
}

#[test]
fn synth_check_github_annotates_each_template_that_differs() {
    let repo = stale_repo();
    let done = run(&repo, &["synth", "--check", "--format", "github"]);
    assert_eq!(done.code, 1, "{done}");
    insta::assert_snapshot!(done.stdout);
}
