//! End-to-end: the day-two commands `status`, `peek`, `redrive` and `publish` against the AWS
//! emulator, judged from the consumer's side: what a queue holds and what a receiver gets.
//! Each test starts its own emulator and works in its own account.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod emulator;
mod scratch;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};
use aws_sdk_sqs::types::QueueAttributeName;
use emulator::{Account, Emulator};
use scratch::{Repo, Run};

/// Domain `shop`: a FIFO topic and a FIFO queue subscribed to it, whose messages go to the
/// dead-letter queue after one failed receive. `{raw}` is the subscription's raw message
/// delivery.
fn shop(raw: bool) -> String {
    format!(
        "domain: shop\nalerts:\n  email: [oncall@shop.example]\ntopics:\n  orders: {{ fifo: true, content_based_deduplication: true }}\nqueues:\n  fulfilment:\n    fifo: true\n    dead_letter: {{ max_receive_count: 1 }}\n    subscriptions:\n      - topic: orders\n        raw_message_delivery: {raw}\n"
    )
}

const QUEUE: &str = "dev-shop-fulfilment.fifo";
const DEAD_LETTER_QUEUE: &str = "dev-shop-fulfilment-dlq.fifo";
const GROUPS: usize = 4;

fn assert_exit(run: &Run, code: i32) {
    assert_eq!(run.code, code, "{run}");
}

struct Clients {
    sns: aws_sdk_sns::Client,
    sqs: aws_sdk_sqs::Client,
    cfn: aws_sdk_cloudformation::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
}

impl Clients {
    async fn new(account: &Account) -> Self {
        let config = account.config().await;
        Self {
            sns: aws_sdk_sns::Client::new(&config),
            sqs: aws_sdk_sqs::Client::new(&config),
            cfn: aws_sdk_cloudformation::Client::new(&config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
        }
    }

    async fn url(&self, name: &str) -> String {
        self.sqs.get_queue_url().queue_name(name).send().await.unwrap().queue_url().unwrap().to_string()
    }

    /// Visible, in flight and delayed messages of queue `name`.
    async fn counts(&self, name: &str) -> [u64; 3] {
        let output = self
            .sqs
            .get_queue_attributes()
            .queue_url(self.url(name).await)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .unwrap();
        let attributes = output.attributes().unwrap();
        [
            QueueAttributeName::ApproximateNumberOfMessages,
            QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
            QueueAttributeName::ApproximateNumberOfMessagesDelayed,
        ]
        .map(|name| attributes[&name].parse().unwrap())
    }

    /// Publishes `count` events to the shop's topic, in `GROUPS` interleaved groups: event `i`
    /// is `g{i % GROUPS}:{i}` in group `g{i % GROUPS}`, with attribute `event_type`.
    async fn publish_orders(&self, account: &Account, count: usize) {
        let topic = format!("arn:aws:sns:us-east-1:{}:dev-shop-orders.fifo", account.id);
        let attribute =
            MessageAttributeValue::builder().data_type("String").string_value("OrderPlaced").build().unwrap();
        for chunk in (0..count).collect::<Vec<_>>().chunks(10) {
            let entries = chunk
                .iter()
                .map(|i| {
                    PublishBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message(format!("g{}:{i}", i % GROUPS))
                        .message_group_id(format!("g{}", i % GROUPS))
                        .message_attributes("event_type", attribute.clone())
                        .build()
                        .unwrap()
                })
                .collect();
            let output = self
                .sns
                .publish_batch()
                .topic_arn(&topic)
                .set_publish_batch_request_entries(Some(entries))
                .send()
                .await
                .unwrap();
            assert!(output.failed().is_empty(), "{output:?}");
        }
    }

    /// A consumer that fails every message: receives until the queue is empty, never
    /// deleting, so SQS moves each message to the dead-letter queue (after one receive).
    async fn fail_every_message(&self, name: &str) {
        let url = self.url(name).await;
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.counts(name).await != [0, 0, 0] {
            assert!(Instant::now() < deadline, "the queue did not empty: {:?}", self.counts(name).await);
            self.sqs
                .receive_message()
                .queue_url(&url)
                .max_number_of_messages(10)
                .visibility_timeout(0)
                .send()
                .await
                .unwrap();
        }
    }

    /// A consumer that processes everything: receives and deletes until nothing more
    /// arrives for two seconds; the bodies and their `event_type` attributes, in order.
    async fn consume(&self, name: &str) -> Vec<(String, Option<String>)> {
        let url = self.url(name).await;
        let mut received = Vec::new();
        let mut quiet_since = Instant::now();
        while quiet_since.elapsed() < Duration::from_secs(2) {
            let output = self
                .sqs
                .receive_message()
                .queue_url(&url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .message_attribute_names("All")
                .send()
                .await
                .unwrap();
            for message in output.messages() {
                let attribute = message
                    .message_attributes()
                    .and_then(|a| a.get("event_type"))
                    .and_then(|v| v.string_value().map(str::to_string));
                received.push((message.body().unwrap().to_string(), attribute));
                self.sqs
                    .delete_message()
                    .queue_url(&url)
                    .receipt_handle(message.receipt_handle().unwrap())
                    .send()
                    .await
                    .unwrap();
                quiet_since = Instant::now();
            }
        }
        received
    }
}

/// Every one of `count` events `g{k}:{i}` received exactly once, each group in order.
fn assert_exactly_once_in_group_order(bodies: &[String], count: usize) {
    let unique: BTreeSet<&String> = bodies.iter().collect();
    assert_eq!(unique.len(), bodies.len(), "a message arrived twice");
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for body in bodies {
        let (group, index) = body.split_once(':').unwrap_or_else(|| panic!("not an order: {body}"));
        groups.entry(group.to_string()).or_default().push(index.parse().unwrap());
    }
    let expected: BTreeMap<String, Vec<usize>> =
        (0..GROUPS).map(|g| (format!("g{g}"), (g..count).step_by(GROUPS).collect())).collect();
    assert_eq!(groups, expected, "every message once, each group in order");
}

#[tokio::test]
async fn status_is_healthy_then_names_the_dead_letter_queue_the_alarm_and_the_drift() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "200000000001");
    let repo = Repo::new(&[("shop.yaml", &shop(true))]);

    let missing = account.fanout(repo.path(), &["status", "--stage", "dev"]);
    assert_exit(&missing, 1);
    assert!(
        missing.stderr.contains(
            "error: stack `dev-shop` of domain `shop` does not exist\n  hint: deploy it: `fanout deploy --stage dev shop`"
        ),
        "{missing}"
    );

    assert_exit(&account.fanout(repo.path(), &["deploy", "--stage", "dev"]), 0);
    let healthy = account.fanout(repo.path(), &["status", "--stage", "dev"]);
    assert_exit(&healthy, 0);
    assert!(healthy.stdout.contains("dev-shop  CREATE_COMPLETE"), "{healthy}");
    let row = healthy.stdout.lines().find(|l| l.starts_with("shop/fulfilment")).unwrap_or_else(|| panic!("{healthy}"));
    assert_eq!(row.split_whitespace().collect::<Vec<_>>(), ["shop/fulfilment", "0", "0", "0", "-", "0", "in", "DLQ"]);
    assert!(healthy.stderr.contains("ok: stage `dev` is healthy: 1 stack, 1 queue"), "{healthy}");

    let clients = Clients::new(&account).await;
    clients.publish_orders(&account, 3).await;
    clients.fail_every_message(QUEUE).await;
    let unhealthy = account.fanout(repo.path(), &["status", "--stage", "dev"]);
    assert_exit(&unhealthy, 1);
    assert!(
        unhealthy.stderr.contains(&format!(
            "error: dead-letter queue `{DEAD_LETTER_QUEUE}` of queue `shop/fulfilment` holds 3 messages\n  hint: look at them with `fanout peek --stage dev shop/fulfilment --dead-letters`"
        )),
        "{unhealthy}"
    );
    let row = unhealthy.stdout.lines().find(|l| l.starts_with("shop/fulfilment")).unwrap();
    assert_eq!(row.split_whitespace().nth(5), Some("3"), "{unhealthy}");

    let json = account.fanout(repo.path(), &["status", "--stage", "dev", "--format", "json"]);
    assert_exit(&json, 1);
    let document: serde_json::Value = serde_json::from_str(&json.stdout).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(document["healthy"], false);
    assert_eq!(document["problems"][0]["kind"], "dead_letters");
    assert_eq!(document["problems"][0]["queue"], "shop/fulfilment");
    let dead_letters = &document["stacks"][0]["queues"][0]["dead_letter_queues"][0];
    assert_eq!(
        (dead_letters["name"].as_str(), dead_letters["counts"]["visible"].as_u64()),
        (Some(DEAD_LETTER_QUEUE), Some(3))
    );
    assert!(json.stderr.is_empty(), "{json}");

    // The dead-letter alarm fires; a queue setting changed by hand is drift.
    let resources = clients.cfn.list_stack_resources().stack_name("dev-shop").send().await.unwrap();
    let alarm = resources
        .stack_resource_summaries()
        .iter()
        .find(|r| r.logical_resource_id() == Some("FulfilmentDeadLetterAlarm"))
        .and_then(|r| r.physical_resource_id())
        .unwrap()
        .to_string();
    clients
        .cloudwatch
        .set_alarm_state()
        .alarm_name(&alarm)
        .state_value(aws_sdk_cloudwatch::types::StateValue::Alarm)
        .state_reason("Threshold Crossed: 1 datapoint [3.0] was greater than the threshold (0.0)")
        .send()
        .await
        .unwrap();
    let url = clients.url(QUEUE).await;
    clients
        .sqs
        .set_queue_attributes()
        .queue_url(&url)
        .attributes(QueueAttributeName::VisibilityTimeout, "600")
        .send()
        .await
        .unwrap();
    let drifted = account.fanout(repo.path(), &["status", "--stage", "dev", "--drift"]);
    assert_exit(&drifted, 1);
    assert!(
        drifted.stderr.contains(&format!("error: alarm `{alarm}` of stack `dev-shop` is in ALARM: Threshold Crossed")),
        "{drifted}"
    );
    assert!(drifted.stdout.contains("DRIFT  dev-shop  DRIFTED"), "{drifted}");
    assert!(drifted.stdout.contains("  FulfilmentQueue (AWS::SQS::Queue) MODIFIED"), "{drifted}");
    assert!(
        drifted.stderr.contains("error: stack `dev-shop` drifted: `FulfilmentQueue` changed outside CloudFormation"),
        "{drifted}"
    );
}

#[tokio::test]
async fn peek_shows_messages_and_leaves_the_counts_unchanged() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "200000000002");
    let repo = Repo::new(&[("shop.yaml", &shop(true))]);
    assert_exit(&account.fanout(repo.path(), &["deploy", "--stage", "dev"]), 0);
    let clients = Clients::new(&account).await;
    clients.publish_orders(&account, 8).await;
    // Two of them fail once: they wait in the dead-letter queue.
    let url = clients.url(QUEUE).await;
    clients.sqs.receive_message().queue_url(&url).max_number_of_messages(2).visibility_timeout(0).send().await.unwrap();
    clients
        .sqs
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(1)
        .visibility_timeout(30)
        .send()
        .await
        .unwrap();
    let before = (clients.counts(QUEUE).await, clients.counts(DEAD_LETTER_QUEUE).await);

    let dead = account.fanout(repo.path(), &["peek", "--stage", "dev", "shop/fulfilment", "--dead-letters"]);
    assert_exit(&dead, 0);
    assert!(
        dead.stdout.starts_with(&format!(
            "{DEAD_LETTER_QUEUE} (dead-letter queue): 2 shown; 2 visible, 0 in flight, 0 delayed before the peek\n"
        )),
        "{dead}"
    );
    assert!(dead.stdout.contains("group g0  received 2 times  sent "), "{dead}");
    assert!(
        dead.stdout.contains(&format!(
            "from arn:aws:sqs:us-east-1:{}:{QUEUE}\nattributes: event_type=OrderPlaced (String)\ng0:0\n",
            account.id
        )),
        "{dead}"
    );
    assert!(dead.stderr.contains("note: peeking a FIFO queue holds its message groups while it reads them"), "{dead}");

    let json =
        account.fanout(repo.path(), &["peek", "--stage", "dev", "shop/fulfilment", "--max", "3", "--format", "json"]);
    assert_exit(&json, 0);
    let document: serde_json::Value = serde_json::from_str(&json.stdout).unwrap_or_else(|e| panic!("{e}: {json}"));
    let messages = document["queues"][0]["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3, "{json}");
    let groups: Vec<&str> = messages.iter().map(|m| m["group_id"].as_str().unwrap()).collect();
    assert_eq!(groups, ["g3", "g0", "g1"], "in order, and none of group g2, which a receive holds");
    assert_eq!(
        messages[0]["attributes"]["event_type"],
        serde_json::json!({ "data_type": "String", "value": "OrderPlaced" })
    );
    assert!(json.stderr.is_empty(), "{json}");

    let after = (clients.counts(QUEUE).await, clients.counts(DEAD_LETTER_QUEUE).await);
    assert_eq!(before, after, "peeking changes no count");
    assert_eq!(after, ([5, 1, 0], [2, 0, 0]));
}

/// `fanout redrive` of `repo`'s queue; the run, and its stderr lines for the message.
fn redrive(account: &Account, repo: &Repo, extra: &[&str]) -> Run {
    let mut args = vec!["redrive", "--stage", "dev", "shop/fulfilment"];
    args.extend_from_slice(extra);
    account.fanout(repo.path(), &args)
}

#[tokio::test]
async fn redrive_puts_failed_messages_back_exactly_once_in_group_order() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "200000000003");
    let repo = Repo::new(&[("shop.yaml", &shop(true))]);
    assert_exit(&account.fanout(repo.path(), &["deploy", "--stage", "dev"]), 0);
    let clients = Clients::new(&account).await;
    clients.publish_orders(&account, 200).await;
    clients.fail_every_message(QUEUE).await;
    assert_eq!(clients.counts(DEAD_LETTER_QUEUE).await, [200, 0, 0]);

    let dry = redrive(&account, &repo, &["--dry-run"]);
    assert_exit(&dry, 0);
    assert!(dry.stderr.contains("ok: would move 10 messages back to `shop/fulfilment`"), "{dry}");
    assert_eq!(clients.counts(DEAD_LETTER_QUEUE).await, [200, 0, 0], "a dry run moves nothing");

    let run = redrive(&account, &repo, &[]);
    assert_exit(&run, 0);
    assert!(run.stderr.contains("ok: moved 200 messages back to `shop/fulfilment`; 0 skipped, 0 failed"), "{run}");
    assert!(run.stderr.contains(&format!("{DEAD_LETTER_QUEUE}: batch 20: 200 moved, 0 skipped, 0 failed")), "{run}");
    assert_eq!(clients.counts(DEAD_LETTER_QUEUE).await, [0, 0, 0]);
    let received = clients.consume(QUEUE).await;
    assert!(received.iter().all(|(_, attribute)| attribute.as_deref() == Some("OrderPlaced")), "attributes kept");
    let bodies: Vec<String> = received.into_iter().map(|(body, _)| body).collect();
    assert_exactly_once_in_group_order(&bodies, 200);

    let again = redrive(&account, &repo, &["--format", "json"]);
    assert_exit(&again, 0);
    let summary: serde_json::Value = serde_json::from_str(again.stdout.lines().last().unwrap()).unwrap();
    assert_eq!((summary["type"].as_str(), summary["moved"].as_u64()), (Some("summary"), Some(0)), "{again}");
}

#[tokio::test]
async fn redrive_puts_undeliverable_messages_back_in_the_form_the_subscription_delivers_now() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "200000000004");
    let repo = Repo::new(&[("shop.yaml", &shop(false))]);
    assert_exit(&account.fanout(repo.path(), &["deploy", "--stage", "dev"]), 0);
    let clients = Clients::new(&account).await;

    // Someone replaces the queue's policy by hand: SNS may no longer deliver, and puts every
    // message into the subscription's dead-letter queue, as the SNS envelopes it delivers.
    let url = clients.url(QUEUE).await;
    let policy = clients
        .sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::Policy)
        .send()
        .await
        .unwrap();
    let policy = policy.attributes().unwrap()[&QueueAttributeName::Policy].clone();
    let mut broken: serde_json::Value = serde_json::from_str(&policy).unwrap();
    broken["Statement"].as_array_mut().unwrap().retain(|s| s["Effect"] == "Deny");
    clients
        .sqs
        .set_queue_attributes()
        .queue_url(&url)
        .attributes(QueueAttributeName::Policy, broken.to_string())
        .send()
        .await
        .unwrap();
    clients.publish_orders(&account, 200).await;
    assert_eq!((clients.counts(QUEUE).await, clients.counts(DEAD_LETTER_QUEUE).await), ([0, 0, 0], [200, 0, 0]));

    // The fix: the policy back, and raw message delivery, which the consumer expected all along.
    clients
        .sqs
        .set_queue_attributes()
        .queue_url(&url)
        .attributes(QueueAttributeName::Policy, policy)
        .send()
        .await
        .unwrap();
    repo.write("shop.yaml", &shop(true));
    assert_exit(&account.fanout(repo.path(), &["deploy", "--stage", "dev"]), 0);

    let failed_only = redrive(&account, &repo, &["--from", "dead-letters"]);
    assert_exit(&failed_only, 0);
    // Each group is held back by its first message `--from` leaves out: one receive's worth.
    assert!(
        failed_only.stderr.contains("ok: moved 0 messages back to `shop/fulfilment`; 10 skipped, 0 failed"),
        "{failed_only}"
    );
    assert_eq!(clients.counts(DEAD_LETTER_QUEUE).await, [200, 0, 0]);

    let run = redrive(&account, &repo, &["--from", "subscription-dead-letters"]);
    assert_exit(&run, 0);
    assert!(
        run.stderr.contains("ok: moved 200 messages back to `shop/fulfilment` (200 unwrapped from SNS envelopes: the subscription delivers raw messages now); 0 skipped, 0 failed"),
        "{run}"
    );
    let received = clients.consume(QUEUE).await;
    assert!(received.iter().all(|(_, attribute)| attribute.as_deref() == Some("OrderPlaced")), "{received:?}");
    let bodies: Vec<String> = received.into_iter().map(|(body, _)| body).collect();
    assert_exactly_once_in_group_order(&bodies, 200);

    let again = redrive(&account, &repo, &[]);
    assert_exit(&again, 0);
    assert!(again.stderr.contains("ok: moved 0 messages back"), "{again}");
}

#[tokio::test]
async fn redrive_killed_midway_and_run_again_loses_and_duplicates_nothing() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "200000000005");
    let repo = Repo::new(&[("shop.yaml", &shop(true))]);
    assert_exit(&account.fanout(repo.path(), &["deploy", "--stage", "dev"]), 0);
    let clients = Clients::new(&account).await;
    clients.publish_orders(&account, 200).await;
    clients.fail_every_message(QUEUE).await;

    // Kill the real process as soon as it reports its third batch: between that batch and the
    // next, or in the middle of the next one's send and delete.
    let mut child = account
        .command(repo.path(), &["redrive", "--stage", "dev", "shop/fulfilment"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let third = line.contains(": batch 3: ");
        seen.push(line);
        if third {
            child.kill().unwrap();
            break;
        }
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), None, "killed by a signal, not finished: {seen:#?}");
    let left = clients.counts(DEAD_LETTER_QUEUE).await;
    assert!(left[0] + left[1] > 0 && left[0] + left[1] < 200, "killed mid-way: {left:?} {seen:#?}");

    let again = redrive(&account, &repo, &[]);
    assert_exit(&again, 0);
    assert_eq!(clients.counts(DEAD_LETTER_QUEUE).await, [0, 0, 0], "{again}");
    let bodies: Vec<String> = clients.consume(QUEUE).await.into_iter().map(|(body, _)| body).collect();
    assert_exactly_once_in_group_order(&bodies, 200);
}

#[tokio::test]
async fn publish_refuses_a_file_with_a_bad_event_and_publishes_json_lines_in_order() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "200000000006");
    let manifest = "domain: shop\nencryption: service-managed\ntopics:\n  orders:\n    fifo: true\n    schema: schemas/orders.json\nqueues:\n  fulfilment:\n    fifo: true\n    subscriptions:\n      - topic: orders\n        raw_message_delivery: true\n";
    let repo = Repo::new(&[("shop.yaml", manifest)]);
    std::fs::create_dir(repo.path().join("domains/schemas")).unwrap();
    std::fs::write(
        repo.path().join("domains/schemas/orders.json"),
        r#"{ "type": "object", "required": ["order"], "properties": { "order": { "type": "integer" } } }"#,
    )
    .unwrap();
    assert_exit(&account.fanout(repo.path(), &["deploy", "--stage", "dev"]), 0);
    let clients = Clients::new(&account).await;

    let events: Vec<String> = (0..100).map(|i| format!("{{\"order\": {i}}}")).collect();
    let mut bad = events.clone();
    bad[56] = "{\"order\": \"fifty-six\"}".to_string();
    std::fs::write(repo.path().join("bad.jsonl"), bad.join("\n")).unwrap();
    std::fs::write(repo.path().join("orders.jsonl"), events.join("\n") + "\n").unwrap();
    let publish = |file: &str| {
        account.fanout(
            repo.path(),
            &[
                "publish",
                "--stage",
                "dev",
                "shop/orders",
                "--group",
                "backfill",
                "--dedup-id",
                "run-1",
                "--attribute",
                "event_type=OrderPlaced",
                file,
            ],
        )
    };

    let refused = publish("bad.jsonl");
    assert_exit(&refused, 1);
    assert!(
        refused
            .stderr
            .contains("error: the event on line 57 does not match the schema of topic `shop/orders`: at `/order`: "),
        "{refused}"
    );
    assert!(refused.stderr.contains("  --> bad.jsonl:57:1\n"), "{refused}");
    assert!(refused.stderr.contains("error: nothing was published: found 1 problem"), "{refused}");
    assert!(clients.consume(QUEUE).await.is_empty(), "nothing was sent");

    let run = publish("orders.jsonl");
    assert_exit(&run, 0);
    assert!(run.stderr.contains("shop/orders: published 100 of 100"), "{run}");
    assert!(
        run.stderr.contains(&format!(
            "ok: published 100 events to topic `shop/orders` (arn:aws:sns:us-east-1:{}:dev-shop-orders.fifo)",
            account.id
        )),
        "{run}"
    );
    let received = clients.consume(QUEUE).await;
    assert_eq!(received, events.iter().map(|e| (e.clone(), Some("OrderPlaced".to_string()))).collect::<Vec<_>>());

    // The same file with the same ID within 5 minutes publishes nothing twice.
    assert_exit(&publish("orders.jsonl"), 0);
    assert!(clients.consume(QUEUE).await.is_empty());
}
