//! The billing domain is valid, its templates are the reviewed snapshots, and the files the
//! `fanout` CLI reads (`domains/billing.yaml`, `templates/`) are what the Rust code says.

use std::path::Path;

#[test]
fn the_project_passes_the_checks_of_fanout_validate() {
    let project = billing_domain::project().unwrap_or_else(|diagnostics| panic!("{diagnostics}"));
    fanout::testing::assert_valid(&project);
}

#[test]
fn templates_match_the_snapshots() {
    let project = billing_domain::project().unwrap_or_else(|diagnostics| panic!("{diagnostics}"));
    for stage in &project.settings.stages {
        fanout::assert_template_snapshot!(project, "billing", stage.as_str());
    }
}

#[test]
fn one_queue_per_region() {
    let domain = billing_domain::billing().build().unwrap_or_else(|diagnostics| panic!("{diagnostics}"));
    let queues: Vec<&str> = domain.queues.keys().map(|name| name.as_str()).collect();
    assert_eq!(queues, ["scores-eu-central-1", "scores-eu-west-1", "scores-us-east-1"]);
}

/// `fanout validate`, `synth --check` and `deploy` read these files, so they must say what
/// the Rust code says. `BLESS=1 cargo test` rewrites them.
#[test]
fn files_for_the_fanout_cli_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let project = billing_domain::project().unwrap_or_else(|diagnostics| panic!("{diagnostics}"));
    let manifest = format!(
        "# Generated from src/lib.rs by `cargo run -- manifest > domains/billing.yaml`; do not edit.\n{}",
        billing_domain::billing().to_manifest_yaml()
    );
    let mut files = vec![(root.join("domains/billing.yaml"), manifest)];
    for stage in &project.settings.stages {
        let template = project.template("billing", stage.as_str()).unwrap_or_else(|err| panic!("{err}"));
        files.push((root.join(format!("templates/{stage}/billing.json")), template.to_json()));
    }
    for (path, expected) in files {
        if std::env::var_os("BLESS").is_some_and(|v| v == "1") {
            std::fs::create_dir_all(path.parent().unwrap_or(root)).unwrap_or_else(|err| panic!("{err}"));
            std::fs::write(&path, expected).unwrap_or_else(|err| panic!("{err}"));
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == expected,
            "`{}` is stale\n  hint: run `BLESS=1 cargo test` and commit the result",
            path.display()
        );
    }
}
