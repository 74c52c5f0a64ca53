//! The `fanout` command as a user sees it: exit code, stdout and stderr, as snapshots.

// Helpers outside `#[test]` functions stop at the failing line too (`clippy.toml` covers only the tests themselves).
#![allow(clippy::expect_used)]

mod scratch;

use scratch::{Repo, Run, fanout, fanout_command, repo_root};

const INGESTION: &str = "domain: ingestion\ntopics:\n  raw-events:\n    fifo: true\n";
const SCORING: &str =
    "domain: scoring\nqueues:\n  inbox:\n    fifo: true\n    subscriptions:\n      - topic: ingestion/raw-events\n";

#[test]
fn help_lists_the_commands() {
    insta::assert_snapshot!(fanout(&repo_root(), &["--help"]));
}

#[test]
fn synth_help_explains_check() {
    insta::assert_snapshot!(fanout(&repo_root(), &["synth", "--help"]));
}

#[test]
fn lock_help_explains_stage_and_check() {
    insta::assert_snapshot!(fanout(&repo_root(), &["lock", "--help"]));
}

#[test]
fn deploy_and_destroy_help_name_what_they_refuse() {
    insta::assert_snapshot!(fanout(&repo_root(), &["deploy", "--help"]));
    insta::assert_snapshot!(fanout(&repo_root(), &["destroy", "--help"]));
}

#[test]
fn unknown_flag_is_a_usage_error() {
    insta::assert_snapshot!(fanout(&repo_root(), &["synth", "--chek"]));
}

#[test]
fn validate_accepts_the_seed_domains() {
    insta::assert_snapshot!(fanout(&repo_root(), &["validate"]));
}

#[test]
fn validate_reports_every_error_with_position_and_hint() {
    let scoring = "domain: scoring\nqueues:\n  inbox:\n    fifo: true\n    visibility_timeout: 13h\n    subscriptions:\n      - topic: ingestion/raw-event\n";
    let typo = "domain: typo\ntopics:\n  events:\n    fifo_topic: true\n";
    let dir = Repo::new(&[("ingestion.yaml", INGESTION), ("scoring.yaml", scoring), ("typo.yaml", typo)]);
    insta::assert_snapshot!(fanout(dir.path(), &["validate"]));
}

#[test]
fn validate_json_is_one_document_on_stdout() {
    let scoring =
        "domain: scoring\nqueues:\n  inbox:\n    fifo: true\n    subscriptions:\n      - topic: ingestion/raw-event\n";
    let dir = Repo::new(&[("ingestion.yaml", INGESTION), ("scoring.yaml", scoring)]);
    insta::assert_snapshot!(fanout(dir.path(), &["validate", "--format", "json"]));
}

#[test]
fn validate_outside_a_repo_is_an_environment_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    insta::assert_snapshot!(fanout(dir.path(), &["validate"]));
}

#[test]
fn validate_from_a_subfolder_finds_the_repo() {
    let dir = Repo::new(&[("ingestion.yaml", INGESTION)]);
    let sub = dir.path().join("services/api");
    std::fs::create_dir_all(&sub).expect("create subfolder");
    insta::assert_snapshot!(fanout(&sub, &["validate"]), @r"
    exit: 0
    --- stdout
    --- stderr
    Checked 1 domain in `../../domains`: valid
    ");
}

#[test]
fn synth_writes_templates_then_check_passes() {
    let dir = Repo::new(&[("ingestion.yaml", INGESTION), ("scoring.yaml", SCORING)]);
    insta::assert_snapshot!(fanout(dir.path(), &["synth"]), @r"
    exit: 0
    --- stdout
    --- stderr
    created templates/dev/ingestion.json
    created templates/dev/scoring.json
    Synthesized 2 templates into `templates` (2 changed)
    ");
    insta::assert_snapshot!(fanout(dir.path(), &["synth", "--check"]), @r"
    exit: 0
    --- stdout
    --- stderr
    2 templates in `templates` up to date
    ");
    // A second synth rewrites nothing.
    insta::assert_snapshot!(fanout(dir.path(), &["synth"]), @r"
    exit: 0
    --- stdout
    --- stderr
    Synthesized 2 templates into `templates` (0 changed)
    ");
}

#[test]
fn synth_check_names_stale_missing_and_extra_templates() {
    let dir = Repo::new(&[("ingestion.yaml", INGESTION), ("scoring.yaml", SCORING)]);
    fanout(dir.path(), &["synth"]);
    // Stale: a manifest changed. Missing: a domain added. Extra: a domain removed.
    let changed = INGESTION.replace("fifo: true", "fifo: true\n    content_based_deduplication: true");
    dir.write("ingestion.yaml", &changed);
    dir.write("billing.yaml", "domain: billing\n");
    std::fs::remove_file(dir.path().join("domains/scoring.yaml")).expect("remove");
    insta::assert_snapshot!(fanout(dir.path(), &["synth", "--check"]), @r"
    exit: 1
    --- stdout
    --- stderr
    stale: templates/dev/ingestion.json
    missing: templates/dev/billing.json
    extra: templates/dev/scoring.json
    error: 3 templates in `templates` do not match the manifests
      hint: run `fanout synth` and commit the result
    ");
    // synth brings them in line, removing the template of the deleted domain.
    insta::assert_snapshot!(fanout(dir.path(), &["synth"]), @r"
    exit: 0
    --- stdout
    --- stderr
    updated templates/dev/ingestion.json
    created templates/dev/billing.json
    removed templates/dev/scoring.json
    Synthesized 2 templates into `templates` (3 changed)
    ");
    assert!(!dir.path().join("templates/dev/scoring.json").exists());
}

#[test]
fn every_command_refuses_an_unconfigured_stage_alike() {
    let dir = Repo::new(&[("ingestion.yaml", INGESTION)]);
    let synth = fanout(dir.path(), &["synth", "--stage", "prod"]);
    insta::assert_snapshot!(synth, @r"
    exit: 2
    --- stdout
    --- stderr
    error: Stage `prod` is not configured; the stages are `dev`
      hint: use one of them, or add it to `stages` in `fanout.yaml`
    ");
    // The AWS commands stop at the stage, before connecting to anything.
    for args in [
        &["deploy", "--stage", "prod"][..],
        &["diff", "--stage", "prod"],
        &["destroy", "--stage", "prod", "ingestion"],
        &["lookup", "--stage", "prod", "ingestion/raw-events"],
        &["lock", "--stage", "prod"],
        &["status", "--stage", "prod"],
        &["peek", "--stage", "prod", "ingestion/raw-events"],
        &["redrive", "--stage", "prod", "ingestion/raw-events"],
        &["publish", "--stage", "prod", "ingestion/raw-events", "event.json"],
    ] {
        assert_eq!(fanout(dir.path(), args), synth, "fanout {}", args.join(" "));
    }
    // A name that cannot be a stage at all gets the same answer.
    assert_eq!(fanout(dir.path(), &["deploy", "--stage", "Prod"]), synth.replace("`prod`", "`Prod`"));
}

#[test]
fn synth_with_errors_writes_nothing() {
    let dir = Repo::new(&[("scoring.yaml", SCORING.replace("fifo: true", "fifo: maybe").as_str())]);
    let out = fanout(dir.path(), &["synth"]);
    assert!(out.starts_with("exit: 1"), "{out}");
    assert!(!dir.path().join("templates").exists());
}

#[test]
fn graph_draws_the_seed_topology() {
    insta::assert_snapshot!(fanout(&repo_root(), &["graph"]));
    insta::assert_snapshot!(fanout(&repo_root(), &["graph", "--format", "dot"]));
}

#[test]
fn schema_is_json() {
    let run = Run::of(fanout_command(&repo_root(), &["schema"]));
    let schema: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    assert_eq!(schema["title"], "fanout domain manifest");
    assert!(schema["properties"]["queues"].is_object());
}

/// A repo whose `orders/placed` topic declares an event schema, and an event file `event.json`.
fn contract_repo(event: &str) -> Repo {
    let dir = Repo::new(&[("orders.yaml", "domain: orders\ntopics:\n  placed:\n    schema: schemas/placed.json\n")]);
    std::fs::create_dir(dir.path().join("domains/schemas")).expect("create schemas/");
    let schema = r#"{"type":"object","required":["order_id"],"properties":{"order_id":{"type":"string"},"amount":{"type":"number","minimum":0}}}"#;
    std::fs::write(dir.path().join("domains/schemas/placed.json"), schema).expect("write schema");
    std::fs::write(dir.path().join("event.json"), event).expect("write event");
    dir
}

#[test]
fn event_check_accepts_a_matching_event() {
    let dir = contract_repo(r#"{"order_id":"o-1","amount":3}"#);
    insta::assert_snapshot!(fanout(dir.path(), &["event", "check", "orders/placed", "event.json"]));
}

#[test]
fn event_check_rejects_a_malformed_event_with_its_path() {
    let dir = contract_repo(r#"{"order_id":"o-1","amount":-3}"#);
    insta::assert_snapshot!(fanout(dir.path(), &["event", "check", "orders/placed", "event.json"]));
}

#[test]
fn graph_help_shows_from_aws_with_an_example() {
    let help = fanout(&repo_root(), &["graph", "--help"]);
    assert!(help.contains("fanout graph --stage dev --from-aws"), "{help}");
    insta::assert_snapshot!(help);
}

#[test]
fn graph_from_aws_and_stage_go_together() {
    insta::assert_snapshot!(fanout(&repo_root(), &["graph", "--from-aws"]));
    insta::assert_snapshot!(fanout(&repo_root(), &["graph", "--stage", "dev"]));
}

#[test]
fn graph_from_aws_checks_the_stage_before_connecting() {
    insta::assert_snapshot!(fanout(&repo_root(), &["graph", "--from-aws", "--stage", "staging"]));
}

#[test]
fn day_two_commands_show_examples_in_their_help() {
    for command in ["status", "peek", "redrive", "publish"] {
        let help = fanout(&repo_root(), &[command, "--help"]);
        assert!(help.contains("\nExamples:\n  fanout "), "{help}");
        insta::assert_snapshot!(format!("{command}_help"), help);
    }
}

#[test]
fn queue_and_topic_names_are_checked_before_connecting() {
    let dir = Repo::new(&[("ingestion.yaml", INGESTION), ("scoring.yaml", SCORING)]);
    insta::assert_snapshot!(fanout(dir.path(), &["redrive", "--stage", "dev", "scoring"]), @r#"
        exit: 2
        --- stdout
        --- stderr
        error: `scoring` is not `DOMAIN/QUEUE`
          hint: write it like `scoring/scoring-runs`
    "#);
    insta::assert_snapshot!(fanout(dir.path(), &["peek", "--stage", "dev", "scoring/outbox"]), @r#"
        exit: 2
        --- stdout
        --- stderr
        error: Domain `scoring` has no queue `outbox`
          hint: its queues are `inbox`
    "#);
    insta::assert_snapshot!(fanout(dir.path(), &["publish", "--stage", "dev", "billing/invoices", "-"]), @r#"
        exit: 2
        --- stdout
        --- stderr
        error: There is no domain `billing` in this repo
          hint: the domains are `ingestion`, `scoring`
    "#);
    insta::assert_snapshot!(fanout(dir.path(), &["status", "--stage", "dev", "shipping"]), @r#"
        exit: 2
        --- stdout
        --- stderr
        error: There is no domain `shipping` in this repo
          hint: the domains are `ingestion`, `scoring`
    "#);
}

#[test]
fn publish_checks_every_event_before_connecting() {
    let dir = Repo::new(&[("ingestion.yaml", INGESTION)]);
    std::fs::write(dir.path().join("events.jsonl"), "{\"id\": 1}\nnot json\n{\"id\": 3}\n").expect("write events");
    // No AWS configuration at all: the problems are found before anything connects.
    insta::assert_snapshot!(
        fanout(dir.path(), &["publish", "--stage", "dev", "ingestion/raw-events", "--attribute", "AWS.x=1", "events.jsonl"]),
        @r#"
            exit: 2
            --- stdout
            --- stderr
            error: Invalid `--attribute`: attribute name `AWS.x` may not start with `AWS.` or `Amazon.`, which AWS reserves
        "#
    );
    insta::assert_snapshot!(fanout(dir.path(), &["publish", "--stage", "dev", "ingestion/raw-events", "events.jsonl"]), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: topic `ingestion/raw-events` is FIFO: every event needs a message group
          hint: pass `--group GROUP`; events of one group are delivered in order
        error: topic `ingestion/raw-events` is FIFO without content-based deduplication: every event needs a deduplication ID
          hint: pass `--dedup-id ID` (in a JSON Lines file each event gets `{ID}-{line}`, so publishing the file again within 5 minutes is a no-op)
        error: line 2 is not a JSON document: expected ident at line 1 column 2
          --> events.jsonl:2:1
          hint: a JSON Lines file holds one event per line, each one JSON document
        error: nothing was published: found 3 problems
    "#);
}

#[test]
fn publish_names_the_queues_whose_filter_the_events_miss() {
    let scoring = "domain: scoring\nqueues:\n  inbox:\n    subscriptions:\n      - topic: ingestion/raw-events\n        filter: { attributes: { event_type: [Ready], region: [{ exists: false }] } }\n  audit:\n    subscriptions:\n      - topic: ingestion/raw-events\n";
    let dir =
        Repo::new(&[("ingestion.yaml", "domain: ingestion\ntopics:\n  raw-events: {}\n"), ("scoring.yaml", scoring)]);
    std::fs::write(dir.path().join("event.json"), "{\"id\": 1}\n").expect("write the event");
    let publish = |extra: &[&str]| {
        let mut args = vec!["publish", "--stage", "dev", "ingestion/raw-events", "event.json"];
        args.extend_from_slice(extra);
        // No region: the run stops before connecting, after the notes.
        let mut command = fanout_command(dir.path(), &args);
        command.env_remove("AWS_REGION").env_remove("AWS_DEFAULT_REGION");
        Run::of(command).to_string()
    };
    insta::assert_snapshot!(publish(&[]), @r#"
        exit: 2
        --- stdout
        --- stderr
        note: queue `scoring/inbox` will not receive these events: its subscription filters on message attribute `event_type`, which they do not carry (`--attribute NAME=VALUE`)
        note: topic `ingestion/raw-events` declares no `schema`: the events were checked as JSON only
        error: No AWS region is configured
          hint: set `AWS_REGION` or pass `--region`
    "#);
    let with_attribute = publish(&["--attribute", "event_type=Ready"]);
    assert!(!with_attribute.contains("will not receive"), "{with_attribute}");
}

#[test]
fn a_manifest_that_is_not_utf8_is_a_user_error_beside_the_others() {
    let dir = Repo::new(&[("typo.yaml", "domain: typo\ntopics:\n  events:\n    fifo_topic: true\n")]);
    std::fs::write(dir.path().join("domains/latin.yaml"), b"domain: latin\ndescription: caf\xe9\n").expect("write");
    let out = fanout(dir.path(), &["validate"]);
    assert!(out.starts_with("exit: 1"), "{out}");
    assert!(out.contains("byte 0xe9 at line 2, column 17"), "{out}");
    assert!(out.contains("domains/latin.yaml:2:17"), "{out}");
    assert!(out.contains("domains/typo.yaml:4:5"), "{out}");
}

#[test]
fn lock_check_of_a_lock_it_cannot_read_needs_action_before_connecting() {
    let repo =
        Repo::new(&[("billing.yaml", "domain: billing\nencryption: service-managed\ntopics:\n  invoices: {}\n")]);
    std::fs::write(repo.path().join("fanout.lock"), "{\"version\": 9, \"stages\": {}}\n").unwrap();
    insta::assert_snapshot!(fanout(repo.path(), &["lock", "--check"]));
}
