//! End-to-end: a stack deployed again after `destroy` imports the queues, topics and key its
//! deleted predecessor retained, and never what is tagged for another domain or stage.
//!
//! The emulator would re-create a retained queue or topic of the same name silently (AWS
//! fails with "already exists"), so these tests prove the import by the `IMPORT` change set
//! and the stack events, not by the deploy succeeding. Each test starts its own emulator.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod emulator;
mod endpoints;
mod messages;
mod scratch;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use emulator::{Account, Emulator};
use endpoints::set_api_log_role;
use messages::{attribute, queue_url, receive};
use scratch::{Repo, Run};

fn assert_exit(run: &Run, code: i32) {
    assert_eq!(run.code, code, "{run}");
}

/// The physical IDs of `stack`'s resources, by logical ID.
async fn physical_ids(cfn: &aws_sdk_cloudformation::Client, stack: &str) -> BTreeMap<String, String> {
    let resources = cfn.list_stack_resources().stack_name(stack).send().await.unwrap();
    resources
        .stack_resource_summaries()
        .iter()
        .filter_map(|r| Some((r.logical_resource_id()?.to_string(), r.physical_resource_id()?.to_string())))
        .collect()
}

/// Publishes `bodies` to the seed's FIFO topic `ingestion/scoring-inputs-ready`, whose
/// subscribed queue `dev-scoring-scoring-runs.fifo` receives them.
async fn publish_inputs_ready(sns: &aws_sdk_sns::Client, account: &Account, bodies: &[&str]) {
    let topic = format!("arn:aws:sns:us-east-1:{}:dev-ingestion-scoring-inputs-ready.fifo", account.id);
    for body in bodies {
        sns.publish()
            .topic_arn(&topic)
            .message(*body)
            .message_group_id("customer-a")
            .message_deduplication_id(*body)
            .message_attributes("event_type", attribute("InputsReady"))
            .send()
            .await
            .unwrap();
    }
}

/// Waits until `url` holds `want` messages (SNS delivers in the background), up to 30 s.
async fn wait_until_waiting(sqs: &aws_sdk_sqs::Client, url: &str, want: usize) {
    use aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(ApproximateNumberOfMessages)
            .send()
            .await
            .unwrap();
        let waiting = attributes.attributes().and_then(|a| a.get(&ApproximateNumberOfMessages)).cloned();
        if waiting == Some(want.to_string()) {
            return;
        }
        assert!(Instant::now() < deadline, "{url} holds {waiting:?} messages, not {want}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

const RETAINED: [&str; 5] =
    ["FanoutAlertDeadLetterQueue", "Key", "ScoresPublishedTopic", "ScoringRunsDeadLetterQueue", "ScoringRunsQueue"];

#[tokio::test]
async fn deploy_after_destroy_imports_the_retained_queues_topic_and_key_with_their_messages() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "100000000101");
    let repo = Repo::seed();
    // The seed's REST APIs need API Gateway's CloudWatch Logs role in the account.
    set_api_log_role(&emulator, &account);
    assert_exit(&account.fanout(repo.path(), &["deploy", "--stage", "dev", "ingestion", "scoring"]), 0);
    let config = account.config().await;
    let (cfn, sns, sqs) = (
        aws_sdk_cloudformation::Client::new(&config),
        aws_sdk_sns::Client::new(&config),
        aws_sdk_sqs::Client::new(&config),
    );
    let runs = queue_url(&sqs, "dev-scoring-scoring-runs.fifo").await;
    publish_inputs_ready(&sns, &account, &["before-1", "before-2", "before-3"]).await;
    wait_until_waiting(&sqs, &runs, 3).await;
    let before = physical_ids(&cfn, "dev-scoring").await;
    assert_exit(&account.fanout(repo.path(), &["destroy", "--stage", "dev", "scoring", "--yes", "--force"]), 0);

    // `diff` shows what a deploy would import, and imports nothing.
    let diff = account.fanout(repo.path(), &["diff", "--stage", "dev", "scoring"]);
    assert_exit(&diff, 0);
    assert!(
        diff.stdout.starts_with("dev-scoring (new stack): plan: 5 to import, 27 to add, 0 to change, 0 to remove\n"),
        "{diff}"
    );
    for id in RETAINED {
        let line = format!("\n  ← {id} (");
        let physical = &before[id];
        assert!(diff.stdout.contains(&line) && diff.stdout.contains(&format!(") from {physical}\n")), "{id}: {diff}");
    }
    let json = account.fanout(repo.path(), &["diff", "--stage", "dev", "scoring", "--format", "json"]);
    let parsed: serde_json::Value = serde_json::from_str(&json.stdout).unwrap_or_else(|e| panic!("{e}: {json}"));
    let changes = parsed["stacks"][0]["plan"]["changes"].as_array().unwrap();
    let imported: Vec<(&str, &str)> = changes
        .iter()
        .filter(|c| c["action"] == "import")
        .map(|c| (c["logical_id"].as_str().unwrap(), c["physical_id"].as_str().unwrap()))
        .collect();
    let want: Vec<(&str, &str)> = RETAINED.iter().map(|id| (*id, before[*id].as_str())).collect();
    assert_eq!(imported, want, "{json}");
    let stacks = cfn.list_stacks().send().await.unwrap();
    assert!(
        stacks
            .stack_summaries()
            .iter()
            .filter(|s| s.stack_name() == Some("dev-scoring"))
            .all(|s| s.stack_status().map(|s| s.as_str()) == Some("DELETE_COMPLETE")),
        "diff created nothing: {:?}",
        stacks.stack_summaries()
    );

    let run = account.fanout(repo.path(), &["deploy", "--stage", "dev", "scoring"]);
    assert_exit(&run, 0);
    let import = run.stderr.find("` (IMPORT)\n").unwrap_or_else(|| panic!("an IMPORT change set: {run}"));
    let update = run.stderr.find("` (UPDATE)\n").unwrap_or_else(|| panic!("then an UPDATE change set: {run}"));
    assert!(import < update, "{run}");
    assert!(run.stderr.contains("dev-scoring plan: 5 to import, 0 to add, 0 to change, 0 to remove\n"), "{run}");
    assert!(run.stderr.contains("ok: stack `dev-scoring`: UPDATE_COMPLETE"), "{run}");

    // The same resources, imported: the stack's events say so.
    let after = physical_ids(&cfn, "dev-scoring").await;
    for id in RETAINED {
        assert_eq!(after[id], before[id], "{id}");
    }
    let events = cfn.describe_stack_events().stack_name("dev-scoring").send().await.unwrap();
    let mut imported: Vec<&str> = events
        .stack_events()
        .iter()
        .filter(|e| e.resource_status().map(|s| s.as_str()) == Some("IMPORT_COMPLETE"))
        .filter_map(|e| e.logical_resource_id())
        .collect();
    imported.sort_unstable();
    assert_eq!(
        imported,
        [
            "FanoutAlertDeadLetterQueue",
            "Key",
            "ScoresPublishedTopic",
            "ScoringRunsDeadLetterQueue",
            "ScoringRunsQueue",
            "dev-scoring"
        ]
    );

    // The same queue URL holds the same messages, and the re-created subscription delivers.
    assert_eq!(queue_url(&sqs, "dev-scoring-scoring-runs.fifo").await, runs);
    assert_eq!(receive(&sqs, &runs, 3, Duration::from_secs(30)).await, ["before-1", "before-2", "before-3"]);
    publish_inputs_ready(&sns, &account, &["after-1"]).await;
    assert_eq!(receive(&sqs, &runs, 1, Duration::from_secs(30)).await, ["after-1"]);

    // The stack is an ordinary one now: deploying it again changes nothing.
    let again = account.fanout(repo.path(), &["deploy", "--stage", "dev", "scoring"]);
    assert_exit(&again, 0);
    assert!(again.stderr.contains("ok: stack `dev-scoring`: no changes"), "{again}");
}

const BILLING: &str =
    "domain: billing\nencryption: service-managed\ntopics:\n  invoices-issued: {}\nqueues:\n  invoices: {}\n";

#[tokio::test]
async fn deploy_refuses_resources_with_its_names_tagged_for_another_domain_or_stage() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "100000000102");
    let repo = Repo::new(&[("billing.yaml", BILLING)]);
    let config = account.config().await;
    let (cfn, sns, sqs) = (
        aws_sdk_cloudformation::Client::new(&config),
        aws_sdk_sns::Client::new(&config),
        aws_sdk_sqs::Client::new(&config),
    );
    // Another domain's queue and another stage's topic under billing's names in `dev`, and a
    // queue nobody tagged.
    let audit = sqs
        .create_queue()
        .queue_name("dev-billing-invoices")
        .tags("fanout:domain", "audit")
        .tags("fanout:stage", "dev")
        .send()
        .await
        .unwrap();
    let audit = audit.queue_url().unwrap().to_string();
    sqs.send_message().queue_url(&audit).message_body("audit's").send().await.unwrap();
    let prod = sns
        .create_topic()
        .name("dev-billing-invoices-issued")
        .tags(aws_sdk_sns::types::Tag::builder().key("fanout:domain").value("billing").build().unwrap())
        .tags(aws_sdk_sns::types::Tag::builder().key("fanout:stage").value("prod").build().unwrap())
        .send()
        .await
        .unwrap();
    sqs.create_queue().queue_name("dev-billing-invoices-dlq").send().await.unwrap();

    let want = "error: stack `dev-billing`: Cannot create stack `dev-billing`: resources with its names exist and are not tagged for domain `billing` and stage `dev`: \
        queue `dev-billing-invoices-dlq` (InvoicesDeadLetterQueue) has no `fanout:domain` or `fanout:stage` tag; \
        topic `dev-billing-invoices-issued` (InvoicesIssuedTopic) is tagged `fanout:domain=billing`, `fanout:stage=prod`; \
        queue `dev-billing-invoices` (InvoicesQueue) is tagged `fanout:domain=audit`, `fanout:stage=dev`\n  \
        hint: nothing was created; fanout imports only what its own stacks left behind, tagged `fanout:domain=billing` and `fanout:stage=dev`: rename the queue or topic in the manifest, or delete the resource if nothing needs it (tag it so only if it really is this domain's)\n";
    let run = account.fanout(repo.path(), &["deploy", "--stage", "dev"]);
    assert_exit(&run, 1);
    assert_eq!(run.stderr, want, "{run}");
    let diff = account.fanout(repo.path(), &["diff", "--stage", "dev"]);
    assert_exit(&diff, 1);
    assert_eq!(diff.stderr, want, "{diff}");

    // Nothing was created, and nothing of the others' changed.
    let stacks = cfn.list_stacks().send().await.unwrap();
    assert!(stacks.stack_summaries().is_empty(), "{:?}", stacks.stack_summaries());
    let tags = sqs.list_queue_tags().queue_url(&audit).send().await.unwrap();
    let tags: BTreeMap<&str, &str> = tags.tags().into_iter().flatten().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(tags, BTreeMap::from([("fanout:domain", "audit"), ("fanout:stage", "dev")]));
    assert_eq!(receive(&sqs, &audit, 1, Duration::from_secs(10)).await, ["audit's"]);
    let topic = prod.topic_arn().unwrap();
    let tags = sns.list_tags_for_resource().resource_arn(topic).send().await.unwrap();
    let stage: Vec<&str> = tags.tags().iter().filter(|t| t.key() == "fanout:stage").map(|t| t.value()).collect();
    assert_eq!(stage, ["prod"]);
}
