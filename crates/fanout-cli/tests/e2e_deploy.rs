//! End-to-end: `fanout deploy`, `diff`, `destroy` and `lookup` against the AWS emulator,
//! proven by messages crossing domains. Each test starts its own emulator and works in its
//! own account, so the tests run in parallel and leave nothing behind.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod emulator;
mod endpoints;
mod messages;
mod scratch;

use std::collections::BTreeMap;
use std::time::Duration;

use emulator::{Account, Emulator};
use endpoints::{boto3, call_endpoint, set_api_log_role, stack_output, xml_text};
use messages::{attribute, number_attribute, queue_url, receive};
use scratch::{Repo, Run};

fn assert_exit(run: &Run, code: i32) {
    assert_eq!(run.code, code, "{run}");
}

#[tokio::test]
async fn seed_domains_deploy_in_order_and_deliver_fifo_messages_exactly_once_in_order() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "100000000001");
    let repo = Repo::seed();
    // The seed's REST APIs need API Gateway's CloudWatch Logs role in the account.
    set_api_log_role(&emulator, &account);

    let run = account.fanout(repo.path(), &["deploy", "--stage", "dev"]);
    assert_exit(&run, 0);
    let order: Vec<usize> = ["dev-ingestion", "dev-scoring", "dev-reporting"]
        .iter()
        .map(|stack| {
            run.stderr
                .find(&format!("ok: stack `{stack}`: CREATE_COMPLETE"))
                .unwrap_or_else(|| panic!("{stack}: {run}"))
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{run}");
    let first_event = |stack: &str| run.stderr.find(&format!("{stack} ")).unwrap();
    assert!(
        first_event("dev-ingestion") < first_event("dev-scoring")
            && first_event("dev-scoring") < first_event("dev-reporting"),
        "{run}"
    );

    let lookup = account.fanout(repo.path(), &["lookup", "--stage", "dev", "ingestion/scoring-inputs-ready"]);
    assert_exit(&lookup, 0);
    let topic_arn = lookup.stdout.trim().to_string();
    assert_eq!(topic_arn, "arn:aws:sns:us-east-1:100000000001:dev-ingestion-scoring-inputs-ready.fifo");

    let config = account.config().await;
    let (sns, sqs) = (aws_sdk_sns::Client::new(&config), aws_sdk_sqs::Client::new(&config));
    for i in 0..100 {
        let group = if i % 2 == 0 { "customer-a" } else { "customer-b" };
        sns.publish()
            .topic_arn(&topic_arn)
            .message(format!("{group}:{i}"))
            .message_group_id(group)
            .message_attributes("event_type", attribute("InputsReady"))
            .send()
            .await
            .unwrap();
    }
    let runs = queue_url(&sqs, "dev-scoring-scoring-runs.fifo").await;
    let mut bodies = receive(&sqs, &runs, 100, Duration::from_secs(60)).await;
    // Nothing more arrives: exactly once.
    bodies.extend(receive(&sqs, &runs, 1, Duration::from_secs(2)).await);
    assert_eq!(bodies.len(), 100, "{bodies:?}");
    let mut groups: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for body in &bodies {
        let (group, index) = body.split_once(':').unwrap();
        groups.entry(group).or_default().push(index.parse().unwrap());
    }
    assert_eq!(groups["customer-a"], (0..100).step_by(2).collect::<Vec<u32>>());
    assert_eq!(groups["customer-b"], (1..100).step_by(2).collect::<Vec<u32>>());

    // reporting admits only premium and enterprise scores of 700 and more.
    let scores = account
        .fanout(repo.path(), &["lookup", "--stage", "dev", "scoring/scores-published"])
        .stdout
        .trim()
        .to_string();
    let published =
        [("premium", "812"), ("standard", "900"), ("enterprise", "700"), ("premium", "699.5"), ("premium", "1000")];
    for (i, (segment, score)) in published.iter().enumerate() {
        sns.publish()
            .topic_arn(&scores)
            .message(format!("{segment}:{i}"))
            .message_group_id("scores")
            .message_attributes("segment", attribute(segment))
            .message_attributes("score", number_attribute(score))
            .send()
            .await
            .unwrap();
    }
    let updates = queue_url(&sqs, "dev-reporting-score-updates.fifo").await;
    let mut received = receive(&sqs, &updates, 3, Duration::from_secs(30)).await;
    received.extend(receive(&sqs, &updates, 1, Duration::from_secs(2)).await);
    assert_eq!(received, ["premium:0", "enterprise:2", "premium:4"]);
}

#[tokio::test]
async fn consumer_before_producer_fails_in_pre_flight_and_creates_nothing() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "100000000002");
    let repo = Repo::seed();
    // The seed's REST APIs need API Gateway's CloudWatch Logs role in the account.
    set_api_log_role(&emulator, &account);

    let run = account.fanout(repo.path(), &["deploy", "--stage", "dev", "scoring"]);
    assert_exit(&run, 1);
    assert!(
        run.stderr.contains(
            "error: stack `dev-scoring`: Topic `ingestion/scoring-inputs-ready` is not deployed to stage `dev`: SSM parameter `/fanout/dev/ingestion/topics/scoring-inputs-ready/arn` does not exist\n  hint: deploy domain `ingestion` to stage `dev` first"
        ),
        "{run}"
    );
    let config = account.config().await;
    let stacks = aws_sdk_cloudformation::Client::new(&config).list_stacks().send().await.unwrap();
    assert!(stacks.stack_summaries().is_empty(), "{:?}", stacks.stack_summaries());
    let queues = aws_sdk_sqs::Client::new(&config).list_queues().send().await.unwrap();
    assert!(queues.queue_urls().is_empty(), "{:?}", queues.queue_urls());
}

#[tokio::test]
async fn unchanged_redeploy_reports_no_changes_and_leaves_no_change_set() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "100000000003");
    let repo = Repo::seed();
    // The seed's REST APIs need API Gateway's CloudWatch Logs role in the account.
    set_api_log_role(&emulator, &account);
    assert_exit(&account.fanout(repo.path(), &["deploy", "--stage", "dev", "ingestion"]), 0);

    let again = account.fanout(repo.path(), &["deploy", "--stage", "dev", "ingestion"]);
    assert_exit(&again, 0);
    assert!(again.stderr.contains("ok: stack `dev-ingestion`: no changes"), "{again}");
    assert!(!again.stderr.contains("executing"), "{again}");

    let diff = account.fanout(repo.path(), &["diff", "--stage", "dev", "ingestion", "--exit-code"]);
    assert_exit(&diff, 0);
    assert_eq!(diff.stdout, "dev-ingestion: no changes\n");

    // Only the executed change set of the first deploy remains (the emulator keeps executed
    // change sets; AWS removes them).
    let config = account.config().await;
    let change_sets = aws_sdk_cloudformation::Client::new(&config)
        .list_change_sets()
        .stack_name("dev-ingestion")
        .send()
        .await
        .unwrap();
    let left: Vec<_> = change_sets
        .summaries()
        .iter()
        .filter(|c| c.execution_status().map(|s| s.as_str()) != Some("EXECUTE_COMPLETE"))
        .map(|c| (c.change_set_name().unwrap_or_default().to_string(), c.status().map(|s| s.as_str().to_string())))
        .collect();
    assert!(left.is_empty(), "change sets left behind: {left:?}");
}

const BILLING_STANDARD: &str = "domain: billing\nencryption: service-managed\nqueues:\n  invoices: {}\n";
const BILLING_FIFO: &str = "domain: billing\nencryption: service-managed\nqueues:\n  invoices: { fifo: true }\n";

#[tokio::test]
async fn standard_to_fifo_queue_is_refused_and_the_queue_keeps_its_messages() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "100000000004");
    let repo = Repo::new(&[("billing.yaml", BILLING_STANDARD)]);
    assert_exit(&account.fanout(repo.path(), &["deploy", "--stage", "dev"]), 0);

    let config = account.config().await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let url = queue_url(&sqs, "dev-billing-invoices").await;
    sqs.send_message().queue_url(&url).message_body("invoice 1").send().await.unwrap();

    repo.write("billing.yaml", BILLING_FIFO);
    let diff = account.fanout(repo.path(), &["diff", "--stage", "dev", "--exit-code", "--format", "markdown"]);
    // 3: changes are planned (the refusal is deploy's to make); 1 would mean the diff failed.
    assert_exit(&diff, 3);
    assert!(diff.stdout.contains("<details><summary><code>dev-billing</code>: "), "{diff}");
    assert!(diff.stdout.contains(" · **refused without `--allow-replacement`**</summary>"), "{diff}");
    assert!(
        diff.stdout.contains(
            "**Refused without `--allow-replacement`**: queue `InvoicesQueue` would be replaced: `FifoQueue`"
        ),
        "{diff}"
    );

    let run = account.fanout(repo.path(), &["deploy", "--stage", "dev"]);
    assert_exit(&run, 1);
    assert!(run.stderr.contains("error: refused to deploy stack `dev-billing`"), "{run}");
    assert!(
        run.stderr.contains("queue `InvoicesQueue` would be replaced: `FifoQueue` changes from (unset) to `true`"),
        "{run}"
    );
    assert!(run.stderr.contains("queue `InvoicesQueue` would be replaced: `QueueName` changes from `dev-billing-invoices` to `dev-billing-invoices.fifo`"), "{run}");
    assert!(!run.stderr.contains("executing"), "{run}");

    assert_eq!(receive(&sqs, &url, 1, Duration::from_secs(10)).await, ["invoice 1"]);
    let cfn = aws_sdk_cloudformation::Client::new(&config);
    let change_sets = cfn.list_change_sets().stack_name("dev-billing").send().await.unwrap();
    assert!(
        change_sets.summaries().iter().all(|c| c.execution_status().map(|s| s.as_str()) == Some("EXECUTE_COMPLETE")),
        "{change_sets:?}"
    );
    let stack = cfn.describe_stacks().stack_name("dev-billing").send().await.unwrap();
    assert_eq!(stack.stacks()[0].stack_status().map(|s| s.as_str()), Some("CREATE_COMPLETE"));
}

#[tokio::test]
async fn failed_deploy_names_the_resource_and_reason_then_recreates_the_stack() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "100000000005");
    let repo = Repo::seed();
    // The seed's REST APIs need API Gateway's CloudWatch Logs role in the account.
    set_api_log_role(&emulator, &account);
    // The producer's SSM parameter names a topic that does not exist (deleted by hand):
    // pre-flight passes, the subscription fails in CloudFormation.
    let config = account.config().await;
    let ssm = aws_sdk_ssm::Client::new(&config);
    let parameter = "/fanout/dev/ingestion/topics/scoring-inputs-ready/arn";
    ssm.put_parameter()
        .name(parameter)
        .value("arn:aws:sns:us-east-1:100000000005:deleted-by-hand.fifo")
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .send()
        .await
        .unwrap();

    let run = account.fanout(repo.path(), &["deploy", "--stage", "dev", "scoring"]);
    assert_exit(&run, 1);
    assert!(run.stderr.contains("error: stack `dev-scoring` failed and was rolled back (ROLLBACK_COMPLETE)"), "{run}");
    assert!(
        run.stderr.contains(
            "resource `ScoringRunsToIngestionScoringInputsReadySubscription` (AWS::SNS::Subscription) CREATE_FAILED: "
        ),
        "{run}"
    );
    assert!(run.stderr.contains("NotFound"), "{run}");

    // Deploy the producer for real; the stack left in ROLLBACK_COMPLETE is recreated. The
    // rollback kept the queues, topic and key (`DeletionPolicy: Retain` holds for a failed
    // create too), so the new stack imports them, where creating them would fail on AWS.
    ssm.delete_parameter().name(parameter).send().await.unwrap();
    let run = account.fanout(repo.path(), &["deploy", "--stage", "dev", "ingestion", "scoring"]);
    assert_exit(&run, 0);
    assert!(
        run.stderr.contains(
            "dev-scoring the stack is ROLLBACK_COMPLETE after a failed first create; deleting it to create it again"
        ),
        "{run}"
    );
    assert!(run.stderr.contains("dev-scoring plan: 5 to import, 0 to add, 0 to change, 0 to remove\n"), "{run}");
    assert!(run.stderr.contains("ok: stack `dev-scoring`: UPDATE_COMPLETE"), "{run}");
}

const PRODUCER_STANDARD: &str = "domain: ingestion\nencryption: service-managed\ntopics:\n  events: {}\n";
const PRODUCER_FIFO: &str = "domain: ingestion\nencryption: service-managed\ntopics:\n  events: { fifo: true, content_based_deduplication: true }\n";
/// A consumer in another repo: the producer's topic is known only through SSM.
const CONSUMER: &str = "domain: scoring\nencryption: service-managed\nqueues:\n  inbox:\n    dead_letter: false\n    subscriptions:\n      - topic: ingestion/events\n        raw_message_delivery: true\n";

#[tokio::test]
async fn replaced_producer_topic_is_resubscribed_on_unchanged_redeploy() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "100000000006");
    let producer = Repo::new(&[("ingestion.yaml", PRODUCER_STANDARD)]);
    let consumer = Repo::new(&[("scoring.yaml", CONSUMER)]);
    assert_exit(&account.fanout(producer.path(), &["deploy", "--stage", "dev"]), 0);
    assert_exit(&account.fanout(consumer.path(), &["deploy", "--stage", "dev"]), 0);

    let config = account.config().await;
    let (sns, sqs) = (aws_sdk_sns::Client::new(&config), aws_sdk_sqs::Client::new(&config));
    let inbox = queue_url(&sqs, "dev-scoring-inbox").await;
    let old_topic =
        account.fanout(producer.path(), &["lookup", "--stage", "dev", "ingestion/events"]).stdout.trim().to_string();
    sns.publish().topic_arn(&old_topic).message("before").send().await.unwrap();
    assert_eq!(receive(&sqs, &inbox, 1, Duration::from_secs(20)).await, ["before"]);

    // Turning the topic FIFO breaks its registered consumer and replaces the topic: each is
    // refused on its own, and only both flags together let the deploy through.
    producer.write("ingestion.yaml", PRODUCER_FIFO);
    let refused = account.fanout(producer.path(), &["deploy", "--stage", "dev"]);
    assert_exit(&refused, 1);
    assert!(refused.stderr.contains("kind changed from standard to FIFO"), "{refused}");
    assert!(refused.stderr.contains("affects: `scoring` (queues `inbox`)"), "{refused}");
    let refused = account.fanout(producer.path(), &["deploy", "--stage", "dev", "--allow-breaking"]);
    assert_exit(&refused, 1);
    assert!(refused.stderr.contains("topic `EventsTopic` would be replaced: `TopicName`"), "{refused}");
    let replaced =
        account.fanout(producer.path(), &["deploy", "--stage", "dev", "--allow-breaking", "--allow-replacement"]);
    assert_exit(&replaced, 0);
    let new_topic =
        account.fanout(producer.path(), &["lookup", "--stage", "dev", "ingestion/events"]).stdout.trim().to_string();
    assert_eq!(new_topic, "arn:aws:sns:us-east-1:100000000006:dev-ingestion-events.fifo");

    let run = account.fanout(consumer.path(), &["deploy", "--stage", "dev"]);
    assert_exit(&run, 0);
    assert!(
        run.stderr.contains(&format!(
            "topic `ingestion/events` was replaced: the stack subscribes to {old_topic}, SSM now holds {new_topic}"
        )),
        "{run}"
    );
    assert!(run.stderr.contains("ok: stack `dev-scoring`: UPDATE_COMPLETE"), "{run}");

    sns.publish().topic_arn(&new_topic).message("after").message_group_id("g").send().await.unwrap();
    assert_eq!(receive(&sqs, &inbox, 1, Duration::from_secs(20)).await, ["after"]);
}

/// A stack held in `CREATE_IN_PROGRESS` by a wait condition until the test signals it.
const HELD_TEMPLATE: &str = r#"{
  "Resources": {
    "Handle": { "Type": "AWS::CloudFormation::WaitConditionHandle" },
    "Wait": { "Type": "AWS::CloudFormation::WaitCondition", "Properties": { "Handle": { "Ref": "Handle" }, "Timeout": "300" } }
  }
}"#;

#[tokio::test]
async fn deploy_waits_for_a_running_operation_streaming_its_events() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "100000000007");
    let repo = Repo::new(&[("billing.yaml", BILLING_STANDARD)]);
    let config = account.config().await;
    let cfn = aws_sdk_cloudformation::Client::new(&config);
    cfn.create_stack().stack_name("dev-billing").template_body(HELD_TEMPLATE).send().await.unwrap();
    let status =
        cfn.describe_stacks().stack_name("dev-billing").send().await.unwrap().stacks()[0].stack_status().cloned();
    assert_eq!(status.as_ref().map(|s| s.as_str()), Some("CREATE_IN_PROGRESS"));
    let handle = cfn
        .describe_stack_resource()
        .stack_name("dev-billing")
        .logical_resource_id("Handle")
        .send()
        .await
        .unwrap()
        .stack_resource_detail()
        .and_then(|r| r.physical_resource_id().map(str::to_string))
        .unwrap();

    // Signal the handle a few seconds into the deploy, while fanout waits for the stack.
    let path = handle.split_once("127.0.0.1").map_or(handle.clone(), |(_, rest)| {
        rest.trim_start_matches(|c: char| c == ':' || c.is_ascii_digit()).to_string()
    });
    let (run, signalled) = std::thread::scope(|scope| {
        let signal = scope.spawn(|| {
            std::thread::sleep(Duration::from_secs(3));
            emulator.request("PUT", &path, r#"{"Status":"SUCCESS","UniqueId":"1","Data":"","Reason":""}"#)
        });
        let run = account.fanout(repo.path(), &["deploy", "--stage", "dev", "--format", "json"]);
        (run, signal.join().unwrap())
    });
    assert!(signalled.as_ref().is_some_and(|(status, _)| *status == 200), "{signalled:?}");
    assert_exit(&run, 0);

    let lines: Vec<serde_json::Value> =
        run.stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    let of_type = |kind: &str| lines.iter().filter(|l| l["type"] == kind).collect::<Vec<_>>();
    let waiting = of_type("waiting_for_operation");
    assert_eq!(waiting.len(), 1, "{run}");
    assert_eq!(waiting[0]["status"], "CREATE_IN_PROGRESS");
    let events = of_type("stack_event");
    let wait_done = events.iter().position(|e| e["logical_id"] == "Wait" && e["status"] == "CREATE_COMPLETE");
    let executing = lines.iter().position(|l| l["type"] == "executing");
    assert!(wait_done.is_some(), "the wait condition's completion was streamed: {run}");
    assert!(executing.is_some(), "{run}");
    let result = of_type("result");
    assert_eq!(result.len(), 1);
    assert_eq!(result[0]["outcome"], "deployed", "{run}");
    assert_eq!(result[0]["status"], "UPDATE_COMPLETE", "{run}");
    assert!(run.stderr.is_empty(), "JSON mode prints nothing else: {run}");
}

/// A domain with enough queues that its template passes the 51,200 bytes CloudFormation
/// accepts inline.
fn bulk_domain(queues: usize) -> String {
    let mut text = String::from("domain: bulk\nencryption: service-managed\nqueues:\n");
    for i in 0..queues {
        text.push_str(&format!("  inbox-{i:02}: {{}}\n"));
    }
    text
}

#[tokio::test]
async fn large_template_deploys_through_an_s3_upload() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "100000000008");
    let repo = Repo::new(&[("bulk.yaml", &bulk_domain(16))]);
    let config = account.config().await;
    let (cfn, s3) = (aws_sdk_cloudformation::Client::new(&config), aws_sdk_s3::Client::new(&config));

    let inline = account.fanout(repo.path(), &["deploy", "--stage", "dev"]);
    assert_exit(&inline, 1);
    assert!(inline.stderr.contains("error: stack `dev-bulk`: The template of stack `dev-bulk` is "), "{inline}");
    assert!(
        inline
            .stderr
            .contains(" bytes; CloudFormation accepts up to 51200 bytes inline\n  hint: pass `--template-bucket`"),
        "{inline}"
    );
    assert!(cfn.list_stacks().send().await.unwrap().stack_summaries().is_empty(), "nothing was created");
    assert!(s3.list_buckets().send().await.unwrap().buckets().is_empty());

    let run = account.fanout(repo.path(), &["deploy", "--stage", "dev", "--template-bucket", "fanout-templates"]);
    assert_exit(&run, 0);
    assert!(run.stderr.contains("ok: stack `dev-bulk`: CREATE_COMPLETE"), "{run}");
    let uploaded = "dev-bulk uploaded the template (";
    let line = run.stderr.lines().find(|l| l.starts_with(uploaded)).unwrap_or_else(|| panic!("{run}"));
    let url_prefix = format!("{}/fanout-templates/fanout/dev-bulk/", account.endpoint);
    assert!(line.contains(&format!("bytes) to {url_prefix}")), "path-style URL on the emulator: {line}");

    // The bucket was created, and holds the template the stack was created from.
    let objects = s3.list_objects_v2().bucket("fanout-templates").send().await.unwrap();
    let keys: Vec<&str> = objects.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(
        line.ends_with(&format!("{url_prefix}{}", keys[0].trim_start_matches("fanout/dev-bulk/"))),
        "{line} vs {keys:?}"
    );
    let body = s3
        .get_object()
        .bucket("fanout-templates")
        .key(keys[0])
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert!(body.len() > 51_200, "{} bytes", body.len());
    assert!(line.contains(&format!("({} bytes)", body.len())), "{line}");
    let template: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let mut declared: Vec<String> = template["Resources"].as_object().unwrap().keys().cloned().collect();
    declared.sort();
    let resources = cfn.list_stack_resources().stack_name("dev-bulk").send().await.unwrap();
    let mut created: Vec<String> = resources
        .stack_resource_summaries()
        .iter()
        .filter(|r| r.resource_status().map(|s| s.as_str()) == Some("CREATE_COMPLETE"))
        .filter_map(|r| r.logical_resource_id().map(str::to_string))
        .collect();
    created.sort();
    assert_eq!(created, declared);
    assert_eq!(created.len(), 48, "16 queues, their dead-letter queues and policies");
    let sqs = aws_sdk_sqs::Client::new(&config);
    queue_url(&sqs, "dev-bulk-inbox-15").await;

    // The bucket also comes from the environment; the existing bucket is reused (`--force`:
    // an unchanged stack would be skipped without a change set, so without an upload).
    let again = account.fanout_with_env(
        repo.path(),
        &["deploy", "--stage", "dev", "--force"],
        &[("FANOUT_TEMPLATE_BUCKET", "fanout-templates")],
    );
    assert_exit(&again, 0);
    assert!(again.stderr.contains("ok: stack `dev-bulk`: no changes"), "{again}");
    let objects = s3.list_objects_v2().bucket("fanout-templates").send().await.unwrap();
    assert_eq!(objects.contents().len(), 2, "{objects:?}");
}

#[tokio::test]
async fn destroy_deletes_the_stack_and_lists_what_it_retains() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "100000000009");
    let repo = Repo::seed();
    // The seed's REST APIs need API Gateway's CloudWatch Logs role in the account.
    set_api_log_role(&emulator, &account);
    assert_exit(&account.fanout(repo.path(), &["deploy", "--stage", "dev", "ingestion", "scoring"]), 0);
    let config = account.config().await;
    let cfn = aws_sdk_cloudformation::Client::new(&config);
    let physical_id =
        |resources: &aws_sdk_cloudformation::operation::list_stack_resources::ListStackResourcesOutput, id: &str| {
            resources
                .stack_resource_summaries()
                .iter()
                .find(|r| r.logical_resource_id() == Some(id))
                .and_then(|r| r.physical_resource_id().map(str::to_string))
                .unwrap_or_else(|| panic!("no {id}"))
        };
    let resources = cfn.list_stack_resources().stack_name("dev-scoring").send().await.unwrap();

    // No terminal to ask on and no `--yes`: refuse, and change nothing. (The repo's
    // `reporting` subscribes to scoring's topic: `--force` lets the destroy leave it.)
    let refused = account.fanout(repo.path(), &["destroy", "--stage", "dev", "scoring", "--force"]);
    assert_exit(&refused, 2);
    assert!(
        refused.stderr.ends_with(
            "error: Refusing to delete stack `dev-scoring` without confirmation\n  hint: pass `--yes` to delete without asking\n"
        ),
        "{refused}"
    );
    let status =
        cfn.describe_stacks().stack_name("dev-scoring").send().await.unwrap().stacks()[0].stack_status().cloned();
    assert_eq!(status.as_ref().map(|s| s.as_str()), Some("CREATE_COMPLETE"));

    let run = account.fanout(repo.path(), &["destroy", "--stage", "dev", "scoring", "--yes", "--force"]);
    assert_exit(&run, 0);
    assert!(run.stderr.contains("Deleted stack `dev-scoring`"), "{run}");
    assert!(run.stderr.contains("Left in the account by `DeletionPolicy: Retain`"), "{run}");
    let retained: Vec<String> =
        ["FanoutAlertDeadLetterQueue", "Key", "ScoresPublishedTopic", "ScoringRunsDeadLetterQueue", "ScoringRunsQueue"]
            .iter()
            .map(|id| {
                let kind = resources
                    .stack_resource_summaries()
                    .iter()
                    .find(|r| r.logical_resource_id() == Some(id))
                    .and_then(|r| r.resource_type())
                    .unwrap();
                format!("{id}\t{kind}\t{}", physical_id(&resources, id))
            })
            .collect();
    assert_eq!(run.stdout.lines().collect::<Vec<_>>(), retained, "{run}");
    assert!(
        run.stdout.contains("\tAWS::KMS::Key\t")
            && run
                .stdout
                .contains("\tAWS::SNS::Topic\tarn:aws:sns:us-east-1:100000000009:dev-scoring-scores-published.fifo"),
        "{run}"
    );

    // The stack is gone; what it retained is still there, what it did not is not.
    let stacks = cfn.list_stacks().send().await.unwrap();
    let scoring: Vec<_> = stacks
        .stack_summaries()
        .iter()
        .filter(|s| s.stack_name() == Some("dev-scoring"))
        .filter_map(|s| s.stack_status())
        .map(|s| s.as_str())
        .collect();
    assert!(scoring.iter().all(|s| *s == "DELETE_COMPLETE"), "{scoring:?}");
    let gone = cfn.describe_stacks().stack_name("dev-scoring").send().await;
    assert!(
        gone.as_ref().map_or(true, |o| o
            .stacks()
            .iter()
            .all(|s| s.stack_status().map(|s| s.as_str()) == Some("DELETE_COMPLETE"))),
        "{gone:?}"
    );
    let sqs = aws_sdk_sqs::Client::new(&config);
    sqs.get_queue_attributes().queue_url(physical_id(&resources, "ScoringRunsQueue")).send().await.unwrap();
    sqs.get_queue_attributes().queue_url(physical_id(&resources, "ScoringRunsDeadLetterQueue")).send().await.unwrap();
    aws_sdk_sns::Client::new(&config)
        .get_topic_attributes()
        .topic_arn(physical_id(&resources, "ScoresPublishedTopic"))
        .send()
        .await
        .unwrap();
    let parameter = aws_sdk_ssm::Client::new(&config)
        .get_parameter()
        .name("/fanout/dev/scoring/topics/scores-published/arn")
        .send()
        .await;
    assert!(parameter.is_err(), "the topic's SSM parameter is not retained: {parameter:?}");

    let again = account.fanout(repo.path(), &["destroy", "--stage", "dev", "scoring", "--yes", "--force"]);
    assert_exit(&again, 0);
    assert!(again.stderr.contains("Stack `dev-scoring` does not exist; nothing to delete"), "{again}");
}

const AUDIT: &str = "domain: audit\nencryption: service-managed\nqueues:\n  inbox:\n    subscriptions:\n      - topic: ingestion/events\n";

#[tokio::test]
async fn diff_json_shows_changes_findings_and_new_stacks() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "100000000010");
    let repo = Repo::new(&[("ingestion.yaml", PRODUCER_STANDARD), ("billing.yaml", BILLING_STANDARD)]);
    assert_exit(&account.fanout(repo.path(), &["deploy", "--stage", "dev"]), 0);
    // `billing` changes its queue to FIFO (a replacement), `audit` is new, `ingestion` is unchanged.
    repo.write("billing.yaml", BILLING_FIFO);
    repo.write("audit.yaml", AUDIT);

    let run = account.fanout(repo.path(), &["diff", "--stage", "dev", "--format", "json"]);
    assert_exit(&run, 0);
    assert!(run.stderr.is_empty(), "{run}");
    let parsed: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("one JSON document: {e}: {run}"));
    assert_eq!(parsed["stacks"].as_array().map(Vec::len), Some(3), "{run}");
    insta::with_settings!({ filters => vec![
        (r"arn:aws:[a-z0-9-]+:[a-z0-9-]*:\d{12}:[^\s\x22]+", "[ARN]"),
        (r"https://127\.0\.0\.1:\d+", "[ENDPOINT]"),
        // Physical IDs the emulator makes up, like `dev-billing-InvoicesQueuePolicy-4b1678f9`.
        (r"-[0-9a-f]{8}\x22", "-[SUFFIX]\x22"),
        (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "[TIME]"),
    ]}, {
        insta::assert_snapshot!(run.stdout);
    });

    let failing = account.fanout(repo.path(), &["diff", "--stage", "dev", "--format", "json", "--exit-code"]);
    assert_exit(&failing, 3);
    assert_eq!(failing.stdout, run.stdout, "the same plan, only the exit code differs");
}

/// Domain `shop`, whose topic `orders` has the event schema `schemas/orders.json`
/// (`{ "type": "object", "required": ["id"] }`), then `rest` of the manifest.
fn shop_with_orders_schema(rest: &str) -> Repo {
    let repo = Repo::new(&[(
        "shop.yaml",
        &format!("domain: shop\ntopics:\n  orders:\n    schema: schemas/orders.json\n{rest}"),
    )]);
    std::fs::create_dir(repo.path().join("domains/schemas")).unwrap();
    std::fs::write(repo.path().join("domains/schemas/orders.json"), r#"{ "type": "object", "required": ["id"] }"#)
        .unwrap();
    repo
}

#[tokio::test]
async fn lookup_names_the_schema_parameter_of_a_topic_with_a_contract() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "100000000011");
    let repo = shop_with_orders_schema("  refunds: {}\n");
    assert_exit(&account.fanout(repo.path(), &["deploy", "--stage", "dev"]), 0);

    let lookup = account.fanout(repo.path(), &["lookup", "--stage", "dev", "shop/orders"]);
    assert_exit(&lookup, 0);
    assert_eq!(
        lookup.stdout, "arn:aws:sns:us-east-1:100000000011:dev-shop-orders\n",
        "stdout stays the ARN alone: {lookup}"
    );
    assert!(lookup.stderr.contains("schema: SSM parameter `/fanout/dev/shop/topics/orders/schema`"), "{lookup}");
    let config = account.config().await;
    let schema = aws_sdk_ssm::Client::new(&config)
        .get_parameter()
        .name("/fanout/dev/shop/topics/orders/schema")
        .send()
        .await
        .unwrap();
    assert_eq!(schema.parameter().and_then(|p| p.value()), Some(r#"{"required":["id"],"type":"object"}"#));

    let without = account.fanout(repo.path(), &["lookup", "--stage", "dev", "shop/refunds"]);
    assert_exit(&without, 0);
    assert!(!without.stderr.contains("schema"), "{without}");
}

#[tokio::test]
async fn publish_endpoints_deploy_and_publish_their_url() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "100000000012");
    let repo = shop_with_orders_schema("    http: true\n  payments:\n    fifo: true\n    http: true\n");
    set_api_log_role(&emulator, &account);
    let run = account.fanout(repo.path(), &["deploy", "--stage", "dev"]);
    assert_exit(&run, 0);

    let config = account.config().await;
    let ssm = aws_sdk_ssm::Client::new(&config);
    for topic in ["orders", "payments"] {
        let name = format!("/fanout/dev/shop/topics/{topic}/url");
        let url = ssm.get_parameter().name(&name).send().await.unwrap();
        let url = url.parameter().and_then(|p| p.value()).unwrap_or_default().to_string();
        assert!(url.starts_with("https://") && url.ends_with(&format!("/dev/topics/{topic}")), "{name}: {url}");
    }

    // The emulator does not route API Gateway to SNS, so check what API Gateway stored.
    let stored = stored_method(&emulator, &account, "dev-shop", "/topics/payments", "POST");
    let template = stored["methodIntegration"]["requestTemplates"]["application/json"].as_str().unwrap_or_default();
    let topic_arn = "arn:aws:sns:us-east-1:100000000012:dev-shop-payments.fifo";
    assert!(
        template.starts_with(&format!(
            "Action=Publish&TopicArn=$util.urlEncode('{topic_arn}')&Message=$util.urlEncode($input.body)"
        )),
        "{stored:#}"
    );
    assert!(
        template.contains("&MessageGroupId=$util.urlEncode($input.params().header.get('X-Message-Group-Id'))"),
        "{stored:#}"
    );
    assert_eq!(stored["authorizationType"], "AWS_IAM", "{stored:#}");
    assert_eq!(stored["requestParameters"]["method.request.header.X-Message-Group-Id"], true, "{stored:#}");
    // No content-based deduplication on `payments`, so SNS needs an ID from every publisher.
    assert_eq!(stored["requestParameters"]["method.request.header.X-Message-Deduplication-Id"], true, "{stored:#}");
    // (The emulator stores no request validator or model on the method, so those are
    // proven by the template snapshot only.)
    assert_eq!(stored["methodIntegration"]["type"], "AWS", "{stored:#}");
    assert_eq!(stored["methodIntegration"]["uri"], "arn:aws:apigateway:us-east-1:sns:action/Publish", "{stored:#}");
    assert!(
        stored["methodIntegration"]["credentials"].as_str().is_some_and(|arn| arn.contains(":role/")),
        "{stored:#}"
    );
}

/// The `method` API Gateway stored for `path` of the REST API named `api`, as JSON.
fn stored_method(emulator: &Emulator, account: &Account, api: &str, path: &str, method: &str) -> serde_json::Value {
    const SCRIPT: &str = r#"
api, path, http_method = ARGS
apigateway = client("apigateway")
rest_api = next(item for item in apigateway.get_rest_apis()["items"] if item["name"] == api)
resource = next(item for item in apigateway.get_resources(restApiId=rest_api["id"])["items"] if item["path"] == path)
method = apigateway.get_method(restApiId=rest_api["id"], resourceId=resource["id"], httpMethod=http_method)
method.pop("ResponseMetadata", None)
print(json.dumps(method, default=str))
"#;
    boto3(emulator, account, SCRIPT, &[api, path, method])
}

#[tokio::test]
async fn poll_endpoints_receive_and_delete_a_message_published_to_a_subscribed_topic() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "100000000013");
    let manifest = "domain: shop\ntopics:\n  orders:\nqueues:\n  fulfilment:\n    http: true\n    subscriptions:\n      - topic: orders\n        raw_message_delivery: true\n";
    let repo = Repo::new(&[("shop.yaml", manifest)]);
    let config = account.config().await;

    // A fresh account has no CloudWatch Logs role for API Gateway, which the stage's
    // access logs need: refused before anything is created.
    let refused = account.fanout(repo.path(), &["deploy", "--stage", "dev"]);
    assert_exit(&refused, 1);
    assert!(
        refused.stderr.contains(
            "error: stack `dev-shop`: API Gateway has no CloudWatch Logs role in region `us-east-1` of this account"
        ) && refused.stderr.contains("hint: set it once per account and region"),
        "{refused}"
    );
    let stacks = aws_sdk_cloudformation::Client::new(&config).list_stacks().send().await.unwrap();
    assert!(stacks.stack_summaries().is_empty(), "{:?}", stacks.stack_summaries());

    set_api_log_role(&emulator, &account);
    assert_exit(&account.fanout(repo.path(), &["deploy", "--stage", "dev"]), 0);

    let url = stack_output(&config, "dev-shop", "FulfilmentQueueMessagesUrl").await;
    assert!(
        url.starts_with("https://")
            && url.ends_with(".execute-api.us-east-1.amazonaws.com/dev/queues/fulfilment/messages"),
        "{url}"
    );
    let event = r#"{"order":"o-1","total":42}"#;
    let sns = aws_sdk_sns::Client::new(&config);
    sns.publish().topic_arn("arn:aws:sns:us-east-1:100000000013:dev-shop-orders").message(event).send().await.unwrap();

    let receive_query = [("max_messages", "10"), ("wait_seconds", "5"), ("visibility_timeout", "60")];
    let (status, body) = call_endpoint(&emulator, &account, "GET", &url, &receive_query);
    assert_eq!(status, 200, "{body}");
    // AWS answers an SQS integration in JSON; the emulator passes SQS's XML answer through.
    assert_eq!(xml_text(&body, "Body").as_deref(), Some(event), "{body}");
    let receipt_handle = xml_text(&body, "ReceiptHandle").unwrap_or_else(|| panic!("no receipt handle: {body}"));

    // In flight now: hidden for the 60 s visibility timeout the receive asked for.
    let sqs = aws_sdk_sqs::Client::new(&config);
    let queue = queue_url(&sqs, "dev-shop-fulfilment").await;
    let in_flight = || async {
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(&queue)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .unwrap();
        attributes
            .attributes()
            .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible))
            .cloned()
    };
    assert_eq!(in_flight().await.as_deref(), Some("1"));

    let (status, body) = call_endpoint(&emulator, &account, "DELETE", &url, &[("receipt_handle", &receipt_handle)]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(in_flight().await.as_deref(), Some("0"), "the delete removed the message");
    assert!(receive(&sqs, &queue, 1, Duration::from_secs(1)).await.is_empty(), "nothing left to receive");

    // The emulator verifies no signature of a root-like account and stores no request
    // validator on a method, so it lets through what API Gateway refuses (an unsigned call,
    // a receive without `max_messages`); check what it stored instead.
    for (method, required) in
        [("GET", &["max_messages", "visibility_timeout", "wait_seconds"][..]), ("DELETE", &["receipt_handle"])]
    {
        let stored = stored_method(&emulator, &account, "dev-shop", "/queues/fulfilment/messages", method);
        let parameters: Vec<&str> =
            stored["requestParameters"].as_object().unwrap().keys().map(String::as_str).collect();
        let expected: Vec<String> = required.iter().map(|name| format!("method.request.querystring.{name}")).collect();
        assert_eq!(parameters, expected, "{stored:#}");
        assert!(
            stored["requestParameters"].as_object().unwrap().values().all(|required| required == true),
            "{stored:#}"
        );
        assert_eq!(stored["authorizationType"], "AWS_IAM", "{stored:#}");
    }
}

#[tokio::test]
async fn alerts_deploy_the_alert_topic_its_subscription_and_the_alarms() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "100000000014");
    let manifest = "domain: shop\nalerts:\n  email: [oncall@shop.example]\n  oldest_message_age: 30m\ntopics:\n  orders:\nqueues:\n  fulfilment:\n    alerts:\n      oldest_message_age: 5m\n    subscriptions:\n      - topic: orders\n";
    let repo = Repo::new(&[("shop.yaml", manifest)]);
    assert_exit(&account.fanout(repo.path(), &["deploy", "--stage", "dev"]), 0);

    let config = account.config().await;
    let alert_topic = "arn:aws:sns:us-east-1:100000000014:dev-shop--alerts";
    let sns = aws_sdk_sns::Client::new(&config);
    let subscriptions = sns.list_subscriptions_by_topic().topic_arn(alert_topic).send().await.unwrap();
    let emails: Vec<(&str, &str)> = subscriptions
        .subscriptions()
        .iter()
        .map(|s| (s.protocol().unwrap_or_default(), s.endpoint().unwrap_or_default()))
        .collect();
    assert_eq!(emails, [("email", "oncall@shop.example")]);

    const SCRIPT: &str = r#"
alarms = client("cloudwatch").describe_alarms()["MetricAlarms"]
print(json.dumps({alarm["AlarmName"]: {
    "metric": alarm["Namespace"] + "/" + alarm["MetricName"],
    "dimensions": {d["Name"]: d["Value"] for d in alarm["Dimensions"]},
    "threshold": alarm["Threshold"],
    "actions": alarm["AlarmActions"],
} for alarm in alarms}))
"#;
    let alarms = boto3(&emulator, &account, SCRIPT, &[]);
    let alarms = alarms.as_object().unwrap();
    let watched: Vec<(&str, &str, u64)> = alarms
        .values()
        .map(|alarm| {
            let dimensions = alarm["dimensions"].as_object().unwrap();
            let resource = dimensions.values().next().and_then(|v| v.as_str()).unwrap_or_default();
            let threshold = alarm["threshold"].as_f64().unwrap_or(f64::NAN);
            assert!(threshold.fract() == 0.0 && threshold >= 0.0, "{alarm}");
            (alarm["metric"].as_str().unwrap_or_default(), resource, threshold as u64)
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(
        watched,
        [
            ("AWS/SNS/NumberOfNotificationsFailed", "dev-shop-orders", 0),
            ("AWS/SQS/ApproximateAgeOfOldestMessage", "dev-shop-fulfilment", 300),
            ("AWS/SQS/ApproximateNumberOfMessagesVisible", "dev-shop--alerts-dlq", 0),
            ("AWS/SQS/ApproximateNumberOfMessagesVisible", "dev-shop-fulfilment-dlq", 0),
        ],
        "{alarms:#?}"
    );
    for (name, alarm) in alarms {
        assert_eq!(alarm["actions"], serde_json::json!([alert_topic]), "{name} notifies the alert topic");
    }

    // An e-mail SNS cannot deliver goes to the alert dead-letter queue, which no SQS queue
    // may redrive into; the queue's own dead-letter queue takes redrive from that queue only.
    const REDRIVE: &str = r#"
sns, sqs = client("sns"), client("sqs")
subscription = sns.list_subscriptions_by_topic(TopicArn=ARGS[0])["Subscriptions"][0]["SubscriptionArn"]
attributes = sns.get_subscription_attributes(SubscriptionArn=subscription)["Attributes"]
def allow(name):
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    return json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedriveAllowPolicy"])["Attributes"]["RedriveAllowPolicy"])
print(json.dumps({
    "email": json.loads(attributes.get("RedrivePolicy", "{}")),
    "alerts-dlq": allow("dev-shop--alerts-dlq"),
    "fulfilment-dlq": allow("dev-shop-fulfilment-dlq"),
}))
"#;
    let redrive = boto3(&emulator, &account, REDRIVE, &[alert_topic]);
    assert_eq!(
        redrive,
        serde_json::json!({
            "email": { "deadLetterTargetArn": "arn:aws:sqs:us-east-1:100000000014:dev-shop--alerts-dlq" },
            "alerts-dlq": { "redrivePermission": "denyAll" },
            "fulfilment-dlq": {
                "redrivePermission": "byQueue",
                "sourceQueueArns": ["arn:aws:sqs:us-east-1:100000000014:dev-shop-fulfilment"],
            },
        })
    );
}

/// The domain key denies `kms:CreateGrant` to everyone but AWS services working for an AWS
/// resource (Control Tower CT.KMS.PR.3). SNS, SQS, CloudWatch and CloudWatch Logs use the key
/// through its policy, not through grants, so they keep working. The emulator evaluates key
/// policies for calls to KMS by the account's users, but its SNS, SQS, CloudWatch and Logs do
/// not call KMS: what it proves is that the deny refuses a user's direct grant and leaves the
/// user's use of the key alone, and that every service around the key still delivers with the
/// deploy's policies in place.
#[tokio::test]
async fn domain_key_refuses_direct_grants_and_keeps_serving_sns_sqs_cloudwatch_and_logs() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "100000000015");
    let manifest = "domain: shop\nalerts:\n  email: [oncall@shop.example]\ntopics:\n  orders:\nqueues:\n  fulfilment:\n    http: true\n    subscriptions:\n      - topic: orders\n        raw_message_delivery: true\n";
    let repo = Repo::new(&[("shop.yaml", manifest)]);
    set_api_log_role(&emulator, &account);
    assert_exit(&account.fanout(repo.path(), &["deploy", "--stage", "dev"]), 0);

    // SNS and SQS: a message crosses the encrypted topic into the encrypted queue.
    let config = account.config().await;
    let (sns, sqs) = (aws_sdk_sns::Client::new(&config), aws_sdk_sqs::Client::new(&config));
    sns.publish().topic_arn("arn:aws:sns:us-east-1:100000000015:dev-shop-orders").message("o-1").send().await.unwrap();
    let fulfilment = queue_url(&sqs, "dev-shop-fulfilment").await;
    assert_eq!(receive(&sqs, &fulfilment, 1, Duration::from_secs(30)).await, ["o-1"]);

    const SCRIPT: &str = r#"
import time
kms, sns, sqs, cloudwatch, logs = (client(s) for s in ("kms", "sns", "sqs", "cloudwatch", "logs"))
key = kms.describe_key(KeyId="alias/fanout/dev/shop")["KeyMetadata"]["Arn"]
answer = {}

# KMS: a user of the account allowed everything on KMS still uses the key, but creates no
# grant on it. (The emulator lets the account's root user do anything, so a user it is.)
iam = client("iam")
iam.create_user(UserName="operator")
iam.put_user_policy(UserName="operator", PolicyName="kms", PolicyDocument=json.dumps({"Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}))
access_key = iam.create_access_key(UserName="operator")["AccessKey"]
operator = boto3.client("kms", endpoint_url=ENDPOINT, verify=CA, region_name="us-east-1",
                        aws_access_key_id=access_key["AccessKeyId"], aws_secret_access_key=access_key["SecretAccessKey"])
data_key = operator.generate_data_key(KeyId=key, KeySpec="AES_256")
answer["decrypted"] = operator.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]
try:
    operator.create_grant(KeyId=key, GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:user/operator", Operations=["Decrypt"])
    answer["grant"] = "created"
except operator.exceptions.ClientError as err:
    answer["grant"] = err.response["Error"]["Code"]

# CloudWatch: an alarm's notification reaches a queue subscribed to the encrypted alert topic.
topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:dev-shop--alerts"
watch = sqs.create_queue(QueueName="alarm-watch")["QueueUrl"]
watch_arn = sqs.get_queue_attributes(QueueUrl=watch, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
sqs.set_queue_attributes(QueueUrl=watch, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
    "Resource": watch_arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]})})
sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=watch_arn, Attributes={"RawMessageDelivery": "true"})
alarm = next(a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"] if "dev-shop-fulfilment-dlq" in json.dumps(a["Dimensions"]))
cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="a dead letter arrived")
notified = []
deadline = time.time() + 30
while not notified and time.time() < deadline:
    notified = sqs.receive_message(QueueUrl=watch, WaitTimeSeconds=1).get("Messages", [])
answer["alarm"] = json.loads(notified[0]["Body"])["AlarmName"] if notified else None
answer["alarm_name"] = alarm

# CloudWatch Logs: the access log group is encrypted with the key and takes events.
group = "/aws/apigateway/dev-shop"
answer["log_group_key"] = next(g.get("kmsKeyId") for g in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] if g["logGroupName"] == group) == key
logs.create_log_stream(logGroupName=group, logStreamName="check")
logs.put_log_events(logGroupName=group, logStreamName="check", logEvents=[{"timestamp": int(time.time() * 1000), "message": "request"}])
answer["logged"] = [e["message"] for e in logs.get_log_events(logGroupName=group, logStreamName="check")["events"]]
print(json.dumps(answer))
"#;
    let answer = boto3(&emulator, &account, SCRIPT, &[]);
    assert_eq!(answer["decrypted"], true, "{answer:#}");
    assert_eq!(answer["grant"], "AccessDeniedException", "{answer:#}");
    assert_eq!(answer["alarm"], answer["alarm_name"], "{answer:#}");
    assert_eq!(answer["log_group_key"], true, "{answer:#}");
    assert_eq!(answer["logged"], serde_json::json!(["request"]), "{answer:#}");
}
