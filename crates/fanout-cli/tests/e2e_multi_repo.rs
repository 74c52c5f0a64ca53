//! End-to-end: the organization as three repos, `examples/multi-repo/{ingestion,scoring,reporting}`,
//! each copied to its own scratch folder and deployed to one emulator account. Consumers
//! lock the producers' contracts, events cross the repos through the HTTP poll endpoint and
//! filters, and a producer's breaking change is named, refused and, once let through, holds
//! its consumer at pre-flight until the consumer locks again.
//!
//! The emulator (ministack 1.5.33) does not invoke API Gateway's SNS integrations: the
//! publish endpoint deploys, but a signed POST to it answers 504 and publishes nothing. So
//! ingestion's events are published with `fanout publish`, where its workflow would POST to
//! the publish endpoint on AWS; the poll endpoint (an SQS integration, which the emulator
//! runs) is called for real, signed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod emulator;
mod endpoints;
mod messages;
mod scratch;

use std::path::Path;
use std::time::Duration;

use emulator::{Account, Emulator};
use endpoints::{call_endpoint, set_api_log_role, stack_output, xml_text};
use messages::{queue_url, receive};
use scratch::{Run, repo_root};

fn assert_exit(run: &Run, code: i32) {
    assert_eq!(run.code, code, "{run}");
}

/// A scratch copy of the example repo `examples/multi-repo/<name>`.
fn copy_repo(name: &str) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(&repo_root().join("examples/multi-repo").join(name), dir.path());
    dir
}

/// Checks that the lock `fanout lock` wrote in the scratch copy of `repo` is the example's
/// committed `fanout.lock`, byte for byte; `FANOUT_BLESS=1` writes it there instead.
fn assert_committed_lock(repo: &str, scratch: &Path) {
    let written = read(&scratch.join("fanout.lock"));
    let committed = repo_root().join("examples/multi-repo").join(repo).join("fanout.lock");
    if std::env::var_os("FANOUT_BLESS").is_some() {
        std::fs::write(&committed, &written).unwrap();
    }
    assert_eq!(written, read(&committed), "{}: run with FANOUT_BLESS=1 to write it", committed.display());
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// Publishes `event` to a topic of the repo in `dir` with `fanout publish`, with `args`.
fn publish(account: &Account, dir: &Path, topic: &str, event: &str, args: &[&str]) {
    let file = dir.join("event.json");
    std::fs::write(&file, event).unwrap();
    let mut command = vec!["publish", "--stage", "dev", topic, "--group", "customers"];
    command.extend_from_slice(args);
    let file = file.display().to_string();
    command.push(&file);
    assert_exit(&account.fanout(dir, &command), 0);
}

/// The example repos hold the seed's domains and schemas, so the organization tested here is
/// the one `domains/` shows; only the editor's schema comment, whose path is the fanout
/// repo's, is left out of the copies.
#[test]
fn example_repos_hold_the_seed_domains() {
    let seed = repo_root().join("domains");
    for domain in ["ingestion", "scoring", "reporting"] {
        let manifest = read(&seed.join(format!("{domain}.yaml")));
        let expected: String = manifest
            .lines()
            .filter(|line| !line.starts_with("# yaml-language-server"))
            .map(|l| format!("{l}\n"))
            .collect();
        let copy = repo_root().join("examples/multi-repo").join(domain).join("domains").join(format!("{domain}.yaml"));
        assert_eq!(read(&copy), expected, "{}", copy.display());
    }
    for (repo, schema) in [("ingestion", "scoring-inputs-ready.json"), ("scoring", "scores-published.json")] {
        let copy = repo_root().join("examples/multi-repo").join(repo).join("domains/schemas").join(schema);
        assert_eq!(read(&copy), read(&seed.join("schemas").join(schema)), "{}", copy.display());
    }
}

const SCHEMA: &str = "domains/schemas/scoring-inputs-ready.json";

#[tokio::test]
async fn three_repos_lock_deliver_across_repos_and_hold_each_other_to_their_contracts() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "140000000001");
    set_api_log_role(&emulator, &account);
    let (ingestion, scoring, reporting) = (copy_repo("ingestion"), copy_repo("scoring"), copy_repo("reporting"));
    let (ingestion, scoring, reporting) = (ingestion.path(), scoring.path(), reporting.path());

    // Producers first; each consumer locks what it subscribes to, and the lock it writes is
    // the one committed in the example, byte for byte.
    assert_exit(&account.fanout(ingestion, &["deploy", "--stage", "dev"]), 0);
    assert_exit(&account.fanout(scoring, &["lock"]), 0);
    assert_committed_lock("scoring", scoring);
    assert_exit(&account.fanout(scoring, &["deploy", "--stage", "dev"]), 0);
    assert_exit(&account.fanout(reporting, &["lock"]), 0);
    assert_committed_lock("reporting", reporting);
    assert_exit(&account.fanout(reporting, &["deploy", "--stage", "dev"]), 0);

    // An event of ingestion's reaches scoring's workflow through the poll endpoint.
    let event = r#"{"customer_id":"c-42","inputs_version":7}"#;
    publish(&account, ingestion, "ingestion/scoring-inputs-ready", event, &["--attribute", "event_type=InputsReady"]);
    let config = account.config().await;
    let url = stack_output(&config, "dev-scoring", "ScoringRunsQueueMessagesUrl").await;
    let receive_query = [("max_messages", "10"), ("wait_seconds", "5"), ("visibility_timeout", "60")];
    let (status, body) = call_endpoint(&emulator, &account, "GET", &url, &receive_query);
    assert_eq!(status, 200, "{body}");
    assert_eq!(xml_text(&body, "Body").as_deref(), Some(event), "{body}");
    let receipt_handle = xml_text(&body, "ReceiptHandle").unwrap();
    let (status, body) = call_endpoint(&emulator, &account, "DELETE", &url, &[("receipt_handle", &receipt_handle)]);
    assert_eq!(status, 200, "{body}");

    // Scoring publishes scores with their attributes; reporting gets exactly what its filter
    // admits: the premium and enterprise segments, scored 700 or more.
    let scores = [("premium", "910"), ("standard", "820"), ("enterprise", "770"), ("premium", "650")];
    for (segment, score) in scores {
        let event = format!(r#"{{"customer_id":"c-{segment}-{score}","score":{score},"segment":"{segment}"}}"#);
        let attributes = [format!("segment={segment}"), format!("score:Number={score}")];
        let args: Vec<&str> = attributes.iter().flat_map(|a| ["--attribute", a.as_str()]).collect();
        publish(&account, scoring, "scoring/scores-published", &event, &args);
    }
    let sqs = aws_sdk_sqs::Client::new(&config);
    let updates = queue_url(&sqs, "dev-reporting-score-updates.fifo").await;
    let received = receive(&sqs, &updates, 2, Duration::from_secs(20)).await;
    assert_eq!(
        received,
        [
            r#"{"customer_id":"c-premium-910","score":910,"segment":"premium"}"#,
            r#"{"customer_id":"c-enterprise-770","score":770,"segment":"enterprise"}"#
        ]
    );
    assert!(
        receive(&sqs, &updates, 1, Duration::from_secs(2)).await.is_empty(),
        "the standard segment and the low score are filtered out"
    );

    // A compatible change (input versions get a maximum: the schema accepts no more than
    // before) deploys without `--allow-breaking`.
    let schema = read(&ingestion.join(SCHEMA));
    let bounded = schema.replace(
        r#""inputs_version": { "type": "integer", "minimum": 1 }"#,
        r#""inputs_version": { "type": "integer", "minimum": 1, "maximum": 1000000 }"#,
    );
    assert_ne!(bounded, schema);
    std::fs::write(ingestion.join(SCHEMA), &bounded).unwrap();
    let diff = account.fanout(ingestion, &["diff", "--stage", "dev"]);
    assert_exit(&diff, 0);
    assert!(diff.stdout.contains("compatible: contract of topic `ingestion/scoring-inputs-ready`"), "{diff}");
    assert!(!diff.stdout.contains("breaking:"), "{diff}");
    assert_exit(&account.fanout(ingestion, &["deploy", "--stage", "dev"]), 0);
    // Scoring's lock no longer holds; a review of the new lock lets it deploy.
    let stopped = account.fanout(scoring, &["deploy", "--stage", "dev"]);
    assert_exit(&stopped, 1);
    assert!(stopped.stderr.contains("since `fanout.lock` was written"), "{stopped}");
    assert_exit(&account.fanout(scoring, &["lock"]), 0);
    assert_exit(&account.fanout(scoring, &["deploy", "--stage", "dev"]), 0);

    // A breaking change: `inputs_version` is no longer required, so the schema accepts events
    // the old one rejected. The producer's diff names scoring (registered in SSM by scoring's stack:
    // the ingestion repo knows nothing of it) and its deploy refuses.
    let loosened =
        bounded.replace(r#""required": ["customer_id", "inputs_version"]"#, r#""required": ["customer_id"]"#);
    assert_ne!(loosened, bounded);
    std::fs::write(ingestion.join(SCHEMA), &loosened).unwrap();
    let diff = account.fanout(ingestion, &["diff", "--stage", "dev"]);
    assert_exit(&diff, 0);
    assert!(diff.stdout.contains("breaking: contract of topic `ingestion/scoring-inputs-ready`: schema"), "{diff}");
    assert!(diff.stdout.contains("affects: `scoring` (queues `scoring-runs`)"), "{diff}");
    let markdown = account.fanout(ingestion, &["diff", "--stage", "dev", "--format", "markdown"]);
    assert!(
        markdown.stdout.contains("**Breaking contract change** of topic `ingestion/scoring-inputs-ready`"),
        "{markdown}"
    );
    let json = account.fanout(ingestion, &["diff", "--stage", "dev", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let change = &json["stacks"][0]["contract_changes"][0];
    assert_eq!(change["breaking"], true, "{json:#}");
    assert_eq!(change["affected"][0]["domain"], "scoring", "{json:#}");

    let refused = account.fanout(ingestion, &["deploy", "--stage", "dev"]);
    assert_exit(&refused, 1);
    assert!(refused.stderr.contains("error: refused to deploy stack `dev-ingestion`"), "{refused}");
    assert!(refused.stderr.contains("affects: `scoring` (queues `scoring-runs`)"), "{refused}");
    assert!(refused.stderr.contains("pass `--allow-breaking`"), "{refused}");
    let ssm = aws_sdk_ssm::Client::new(&config);
    let published = || async {
        ssm.get_parameter()
            .name("/fanout/dev/ingestion/topics/scoring-inputs-ready/schema")
            .send()
            .await
            .unwrap()
            .parameter()
            .and_then(|p| p.value())
            .unwrap()
            .to_string()
    };
    assert!(published().await.contains(r#""required":["customer_id","inputs_version"]"#), "nothing changed");

    let allowed = account.fanout(ingestion, &["deploy", "--stage", "dev", "--allow-breaking"]);
    assert_exit(&allowed, 0);
    assert!(allowed.stderr.contains("let through by `--allow-breaking`"), "{allowed}");
    assert!(published().await.contains(r#""required":["customer_id"]"#));

    // Scoring stops at pre-flight, before anything is created, until it locks again.
    let stopped = account.fanout(scoring, &["deploy", "--stage", "dev"]);
    assert_exit(&stopped, 1);
    assert!(
        stopped.stderr.contains(
            "error: stack `dev-scoring`: Topic `ingestion/scoring-inputs-ready` changed in stage `dev` since `fanout.lock` was written: schema"
        ),
        "{stopped}"
    );
    assert!(stopped.stderr.contains("hint: run `fanout lock` and review the change"), "{stopped}");
    assert_exit(&account.fanout(scoring, &["lock"]), 0);
    assert!(read(&scoring.join("fanout.lock")).contains(r#""customer_id""#));
    assert_exit(&account.fanout(scoring, &["deploy", "--stage", "dev"]), 0);
}
