//! End-to-end: `fanout graph --from-aws` against the AWS emulator draws what two repos' stacks
//! publish in SSM: the producer's topics, the consumer registered on one of them, and a
//! consumer whose producer is gone.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod emulator;
mod scratch;

use emulator::{Account, Emulator};
use scratch::{Repo, Run};

/// The producer's repo: a FIFO topic its consumer subscribes to, and a standard one no one does.
const INGESTION: &str = "domain: ingestion\ntopics:\n  ready: { fifo: true }\n  raw: {}\n";

/// The consumer's repo: one FIFO queue on the producer's FIFO topic, filtering on an attribute.
const SCORING: &str = "domain: scoring\nqueues:\n  inbox:\n    fifo: true\n    subscriptions:\n      - topic: ingestion/ready\n        filter:\n          attributes:\n            segment: [premium]\n";

fn assert_exit(run: &Run, code: i32) {
    assert_eq!(run.code, code, "{run}");
}

async fn put(ssm: &aws_sdk_ssm::Client, name: &str, value: &str) {
    ssm.put_parameter()
        .name(name)
        .value(value)
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .overwrite(true)
        .send()
        .await
        .unwrap_or_else(|err| panic!("{name}: {err:?}"));
}

#[tokio::test]
async fn graph_from_aws_draws_every_repos_topics_and_consumers() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "300000000013");
    let ingestion = Repo::new(&[("ingestion.yaml", INGESTION)]);
    let scoring = Repo::new(&[("scoring.yaml", SCORING)]);

    let empty = account.fanout(scoring.path(), &["graph", "--stage", "dev", "--from-aws"]);
    assert_exit(&empty, 0);
    assert_eq!(empty.stdout, "flowchart LR\n", "{empty}");

    assert_exit(&account.fanout(ingestion.path(), &["deploy", "--stage", "dev"]), 0);
    assert_exit(&account.fanout(scoring.path(), &["deploy", "--stage", "dev"]), 0);

    // The producer's contracts and the consumer's registration, with the names and values
    // their stacks publish (`fanout::contract::published`), put here until the stacks write
    // them. Beside them: a registration on a topic whose producer's stack is gone, a contract
    // no fanout wrote, and parameters of another tool under the same prefix.
    let ssm = aws_sdk_ssm::Client::new(&account.config().await);
    put(
        &ssm,
        "/fanout/dev/ingestion/topics/ready/contract",
        r#"{"version":1,"fifo":true,"content_based_deduplication":false,"attributes":{"segment":{"type":"String","values":["enterprise","premium"]}}}"#,
    )
    .await;
    put(
        &ssm,
        "/fanout/dev/ingestion/topics/ready/subscribers/scoring",
        r#"{"version":1,"domain":"scoring","queues":{"inbox":{"fifo":true,"attribute_keys":["segment"]}}}"#,
    )
    .await;
    put(
        &ssm,
        "/fanout/dev/legacy/topics/feed/subscribers/scoring",
        r#"{"version":1,"domain":"scoring","queues":{"inbox":{"fifo":true}}}"#,
    )
    .await;
    put(&ssm, "/fanout/dev/ingestion/topics/raw/contract", "{\"fifo\":").await;
    // Sorted before fanout's own, and more than a page of `GetParametersByPath` (10): fanout's
    // parameters are found on later pages only.
    for index in 0..12 {
        put(&ssm, &format!("/fanout/dev/another-tool/setting-{index:02}"), "{}").await;
    }

    // Run from the producer's repo: what it shows comes from SSM, not from its manifests.
    let mermaid = account.fanout(ingestion.path(), &["graph", "--stage", "dev", "--from-aws"]);
    assert_exit(&mermaid, 0);
    assert_eq!(
        mermaid.stdout,
        "flowchart LR
  subgraph ingestion[\"ingestion\"]
    t__ingestion__raw{{\"topic raw\"}}
    t__ingestion__ready{{\"topic ready (FIFO)<br/>attributes: segment\"}}
  end
  subgraph legacy[\"legacy\"]
    t__legacy__feed{{\"topic feed<br/>no producer: no ARN parameter\"}}
  end
  subgraph scoring[\"scoring\"]
    q__scoring__inbox[(\"queue inbox (FIFO)\")]
  end
  style t__legacy__feed stroke-dasharray: 5 5
  t__ingestion__ready -->|\"filter attributes: segment\"| q__scoring__inbox
  t__legacy__feed --> q__scoring__inbox
",
        "{mermaid}"
    );
    assert!(
        mermaid.stderr.contains(
            "warning: SSM parameter `/fanout/dev/ingestion/topics/raw/contract` is not a topic contract: not JSON"
        ),
        "{mermaid}"
    );
    assert!(
        mermaid.stderr.contains("found 2 topics and 2 consumer registrations in SSM under `/fanout/dev`"),
        "{mermaid}"
    );

    let dot = account.fanout(scoring.path(), &["graph", "--stage", "dev", "--from-aws", "--format", "dot"]);
    assert_exit(&dot, 0);
    assert!(dot.stdout.starts_with("digraph fanout {\n"), "{dot}");
    assert!(
        dot.stdout.contains("  t__ingestion__ready -> q__scoring__inbox [label=\"filter attributes: segment\"];\n"),
        "{dot}"
    );
    assert!(
        dot.stdout.contains(
            "    t__legacy__feed [shape=hexagon, label=\"topic feed\\nno producer: no ARN parameter\", style=dashed];\n"
        ),
        "{dot}"
    );
}
