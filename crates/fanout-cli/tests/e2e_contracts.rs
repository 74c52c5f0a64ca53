//! End-to-end: what crosses repos besides topic ARNs, on the AWS emulator. `fanout lock`
//! against contracts in SSM, pre-flight against the lock, and `destroy` refusing while other
//! domains consume the topics it would leave. The producer or consumer "in another repo" is
//! played by the test through the SDK, writing the parameters its stack would: nothing here
//! depends on another repo's checkout.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod emulator;
mod scratch;

use emulator::{Account, Emulator};
use fanout::contract::published::digest;
use scratch::{Repo, Run};

fn assert_exit(run: &Run, code: i32) {
    assert_eq!(run.code, code, "{run}");
}

/// A consumer repo with stages `dev` and `prod`: domain `scoring`, whose queue subscribes to
/// topic `ready` of domain `ingestion`, which lives in another repo.
fn consumer_repo() -> Repo {
    let repo = Repo::new(&[(
        "scoring.yaml",
        "domain: scoring\nencryption: service-managed\nqueues:\n  runs:\n    subscriptions:\n      - topic: ingestion/ready\n",
    )]);
    std::fs::write(repo.path().join("fanout.yaml"), "ssm_prefix: /fanout\nstages: [dev, prod]\n").unwrap();
    repo
}

/// The other repo's producer: topic `ingestion/ready` in `stage`, with its ARN, schema and
/// contract in SSM as its stack publishes them.
struct Producer {
    ssm: aws_sdk_ssm::Client,
    sns: aws_sdk_sns::Client,
}

impl Producer {
    async fn new(account: &Account) -> Self {
        let config = account.config().await;
        Self { ssm: aws_sdk_ssm::Client::new(&config), sns: aws_sdk_sns::Client::new(&config) }
    }

    async fn put(&self, name: &str, value: &str) {
        emulator::put_parameter(&self.ssm, name, value).await;
    }

    /// Deploys the topic to `stage` and publishes `schema` (compact JSON) with its contract.
    async fn publish(&self, stage: &str, schema: &str) {
        let topic = self.sns.create_topic().name(format!("{stage}-ingestion-ready")).send().await.unwrap();
        let prefix = format!("/fanout/{stage}/ingestion/topics/ready");
        self.put(&format!("{prefix}/arn"), topic.topic_arn().unwrap()).await;
        self.put(&format!("{prefix}/schema"), schema).await;
        self.put(&format!("{prefix}/contract"), &contract(schema)).await;
    }
}

fn contract(schema: &str) -> String {
    format!(
        r#"{{"version":1,"fifo":false,"content_based_deduplication":false,"attributes":{{}},"schema_digest":"{}"}}"#,
        digest(schema)
    )
}

const SCHEMA: &str = r#"{"type":"object"}"#;
// Compact, keys sorted: the form fanout publishes schemas in.
const STRICTER: &str = r#"{"required":["id"],"type":"object"}"#;

/// The lock's entry of `ingestion/ready` in one stage, for [`SCHEMA`].
fn locked(stage: &str) -> String {
    format!(
        r#"    "{stage}": {{
      "ingestion/ready": {{
        "contract": {{
          "version": 1,
          "fifo": false,
          "content_based_deduplication": false,
          "attributes": {{}},
          "schema_digest": "{}"
        }},
        "schema": {{
          "type": "object"
        }}
      }}
    }}"#,
        digest(SCHEMA)
    )
}

#[tokio::test]
async fn lock_writes_the_contracts_of_other_repos_and_preflight_holds_the_stack_to_them() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "130000000001");
    let repo = consumer_repo();
    let lock_file = repo.path().join("fanout.lock");
    let producer = Producer::new(&account).await;
    producer.publish("dev", SCHEMA).await;

    // `prod` has no contract: the error names the parameter and the producer, and no lock is written.
    let missing = account.fanout(repo.path(), &["lock"]);
    assert_exit(&missing, 1);
    assert!(
        missing.stderr.contains(
            "error: Topic `ingestion/ready` has no contract in stage `prod`: SSM parameter `/fanout/prod/ingestion/topics/ready/contract` does not exist"
        ),
        "{missing}"
    );
    assert!(missing.stderr.contains("hint: deploy the producer first (`fanout deploy --stage prod ingestion` in its repo), or the producer runs an older fanout"), "{missing}");
    assert!(!lock_file.exists());

    // One stage: written, sorted, the same bytes every time.
    assert_exit(&account.fanout(repo.path(), &["lock", "--stage", "dev"]), 0);
    let dev_only = std::fs::read_to_string(&lock_file).unwrap();
    assert_eq!(dev_only, format!("{{\n  \"version\": 1,\n  \"stages\": {{\n{}\n  }}\n}}\n", locked("dev")));
    assert_exit(&account.fanout(repo.path(), &["lock", "--stage", "dev"]), 0);
    assert_eq!(std::fs::read_to_string(&lock_file).unwrap(), dev_only);

    // Locking `prod` keeps `dev` as it was.
    producer.publish("prod", SCHEMA).await;
    assert_exit(&account.fanout(repo.path(), &["lock", "--stage", "prod"]), 0);
    let both = std::fs::read_to_string(&lock_file).unwrap();
    assert_eq!(
        both,
        format!("{{\n  \"version\": 1,\n  \"stages\": {{\n{},\n{}\n  }}\n}}\n", locked("dev"), locked("prod"))
    );
    assert_exit(&account.fanout(repo.path(), &["lock"]), 0);
    assert_eq!(std::fs::read_to_string(&lock_file).unwrap(), both, "locking every stage gives the same lock");
    assert_exit(&account.fanout(repo.path(), &["lock", "--check"]), 0);
    assert_exit(&account.fanout(repo.path(), &["deploy", "--stage", "dev"]), 0);

    // The producer tightens its schema: a compatible change, but not what the lock holds, so
    // the stack stops before anything is created.
    producer.put("/fanout/dev/ingestion/topics/ready/schema", STRICTER).await;
    producer.put("/fanout/dev/ingestion/topics/ready/contract", &contract(STRICTER)).await;
    let check = account.fanout(repo.path(), &["lock", "--check"]);
    assert_exit(&check, 1);
    assert!(check.stderr.contains("differs from what SSM holds"), "{check}");
    assert!(check.stderr.contains("hint: run `fanout lock` and review the change"), "{check}");
    assert_eq!(std::fs::read_to_string(&lock_file).unwrap(), both, "--check writes nothing");
    for command in ["diff", "deploy"] {
        let stopped = account.fanout(repo.path(), &[command, "--stage", "dev"]);
        assert_exit(&stopped, 1);
        assert!(
            stopped.stderr.contains(
                "error: stack `dev-scoring`: Topic `ingestion/ready` changed in stage `dev` since `fanout.lock` was written: schema narrowed (compatible: "
            ),
            "{command}: {stopped}"
        );
        assert!(stopped.stderr.contains("hint: run `fanout lock` and review the change"), "{command}: {stopped}");
    }
    // Another stage's lock still holds.
    let prod = account.fanout(repo.path(), &["diff", "--stage", "prod"]);
    assert_exit(&prod, 0);

    // Locked again (and reviewed), the deploy goes on.
    assert_exit(&account.fanout(repo.path(), &["lock", "--stage", "dev"]), 0);
    let relocked = std::fs::read_to_string(&lock_file).unwrap();
    assert!(relocked.contains(&digest(STRICTER)) && relocked.contains(&digest(SCHEMA)), "{relocked}");
    let deployed = account.fanout(repo.path(), &["deploy", "--stage", "dev"]);
    assert_exit(&deployed, 0);
    assert!(deployed.stderr.contains("ok: stack `dev-scoring`: no changes"), "{deployed}");
}

#[tokio::test]
async fn lock_without_subscriptions_to_other_repos_writes_nothing_and_never_through_a_link() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "130000000002");
    let repo =
        Repo::new(&[("ingestion.yaml", "domain: ingestion\nencryption: service-managed\ntopics:\n  ready: {}\n")]);
    let run = account.fanout(repo.path(), &["lock"]);
    assert_exit(&run, 0);
    assert!(run.stderr.contains("nothing to lock"), "{run}");
    assert!(!repo.path().join("fanout.lock").exists());

    // A `fanout.lock` that is a link is never written through, nor replaced.
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("secret");
    std::fs::write(&target, "keep").unwrap();
    std::os::unix::fs::symlink(&target, repo.path().join("fanout.lock")).unwrap();
    let refused = account.fanout(repo.path(), &["lock"]);
    assert_exit(&refused, 2);
    assert!(refused.stderr.contains("fanout.lock` is a link; fanout does not write through links"), "{refused}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
    assert!(std::fs::symlink_metadata(repo.path().join("fanout.lock")).unwrap().file_type().is_symlink());
}

const INGESTION: &str = "domain: ingestion\nencryption: service-managed\ntopics:\n  ready: {}\n";
const AUDIT: &str = "domain: audit\nencryption: service-managed\nqueues:\n  inbox:\n    subscriptions:\n      - topic: ingestion/ready\n";

#[tokio::test]
async fn destroy_refuses_while_other_domains_consume_the_topics_and_force_says_what_they_lose() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "130000000003");
    let repo = Repo::new(&[("ingestion.yaml", INGESTION), ("audit.yaml", AUDIT)]);
    assert_exit(&account.fanout(repo.path(), &["deploy", "--stage", "dev", "ingestion"]), 0);
    let config = account.config().await;
    let cfn = aws_sdk_cloudformation::Client::new(&config);
    let exists =
        || async {
            cfn.describe_stacks().stack_name("dev-ingestion").send().await.is_ok_and(|o| {
                o.stacks().iter().any(|s| s.stack_status().map(|s| s.as_str()) != Some("DELETE_COMPLETE"))
            })
        };

    // A consumer in this repo.
    let refused = account.fanout(repo.path(), &["destroy", "--stage", "dev", "ingestion", "--yes"]);
    assert_exit(&refused, 1);
    assert!(
        refused
            .stderr
            .contains("error: domain `audit` still consumes topic `ingestion/ready` in stage `dev` (queues `inbox`)"),
        "{refused}"
    );
    assert!(refused.stderr.contains("hint: nothing was deleted"), "{refused}");
    assert!(exists().await);

    // A consumer of another repo, registered in SSM; `audit`, deleted in the same run, no longer counts.
    Producer::new(&account)
        .await
        .put(
            "/fanout/dev/ingestion/topics/ready/subscribers/billing",
            r#"{"version":1,"domain":"billing","queues":{"invoices":{"fifo":false,"attribute_keys":["segment"]}}}"#,
        )
        .await;
    let refused = account.fanout(repo.path(), &["destroy", "--stage", "dev", "ingestion", "audit", "--yes"]);
    assert_exit(&refused, 1);
    assert!(
        refused.stderr.contains(
            "error: domain `billing` still consumes topic `ingestion/ready` in stage `dev` (queues `invoices`)"
        ),
        "{refused}"
    );
    assert!(!refused.stderr.contains("domain `audit`"), "{refused}");
    assert!(exists().await);

    let forced = account.fanout(repo.path(), &["destroy", "--stage", "dev", "ingestion", "audit", "--yes", "--force"]);
    assert_exit(&forced, 0);
    assert!(forced.stderr.contains("warning: domain `billing` still consumes topic `ingestion/ready`"), "{forced}");
    assert!(forced.stderr.contains("their next deploy stops in pre-flight"), "{forced}");
    assert!(
        forced.stderr.contains("the retained topic keeps delivering to their queues until it is deleted by hand"),
        "{forced}"
    );
    assert!(forced.stderr.contains("Stack `dev-audit` does not exist; nothing to delete"), "{forced}");
    assert!(forced.stderr.contains("Deleted stack `dev-ingestion`"), "{forced}");
    assert!(
        forced.stderr.find("dev-audit").unwrap() < forced.stderr.find("Deleted stack `dev-ingestion`").unwrap(),
        "the consumer goes first: {forced}"
    );
    assert!(!exists().await);
}
