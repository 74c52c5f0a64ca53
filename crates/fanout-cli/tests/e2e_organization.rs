//! End-to-end: `fanout graph --from-aws` against the AWS emulator draws what three repos'
//! stacks publish in SSM: the producer's topics with their contracts, the consumer registered
//! on one of them, and the consumer's registration on a topic whose producer is gone.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod emulator;
mod scratch;

use emulator::{Account, Emulator, put_parameter};
use scratch::{Repo, Run};

/// The producer's repo: a FIFO topic with a declared attribute its consumer filters on, and a
/// standard topic no one subscribes to.
const INGESTION: &str = "domain: ingestion\ntopics:\n  ready:\n    fifo: true\n    attributes:\n      segment: { type: String, values: [enterprise, premium] }\n  raw: {}\n";

/// A producer whose stack is destroyed while its consumer is still registered.
const LEGACY: &str = "domain: legacy\ntopics:\n  feed: {}\n";

/// The consumer's repo: a FIFO queue on the producer's FIFO topic, filtering on its attribute,
/// and a standard queue on the legacy feed.
const SCORING: &str = "domain: scoring\nqueues:\n  inbox:\n    fifo: true\n    subscriptions:\n      - topic: ingestion/ready\n        filter:\n          attributes:\n            segment: [premium]\n  archive:\n    subscriptions:\n      - topic: legacy/feed\n";

fn assert_exit(run: &Run, code: i32) {
    assert_eq!(run.code, code, "{run}");
}

#[tokio::test]
async fn graph_from_aws_draws_every_repos_topics_and_consumers() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "300000000013");
    let ingestion = Repo::new(&[("ingestion.yaml", INGESTION)]);
    let legacy = Repo::new(&[("legacy.yaml", LEGACY)]);
    let scoring = Repo::new(&[("scoring.yaml", SCORING)]);

    let empty = account.fanout(scoring.path(), &["graph", "--stage", "dev", "--from-aws"]);
    assert_exit(&empty, 0);
    assert_eq!(empty.stdout, "flowchart LR\n", "{empty}");

    assert_exit(&account.fanout(ingestion.path(), &["deploy", "--stage", "dev"]), 0);
    assert_exit(&account.fanout(legacy.path(), &["deploy", "--stage", "dev"]), 0);
    assert_exit(&account.fanout(scoring.path(), &["deploy", "--stage", "dev"]), 0);
    assert_exit(&account.fanout(legacy.path(), &["destroy", "--stage", "dev", "legacy", "--yes", "--force"]), 0);

    // Beside what the stacks publish: a contract no fanout wrote, and more than a page of
    // `GetParametersByPath` (10) of another tool under the same prefix, sorted before fanout's
    // own, so those are found on later pages only.
    let ssm = aws_sdk_ssm::Client::new(&account.config().await);
    put_parameter(&ssm, "/fanout/dev/broken/topics/feed/contract", "{\"fifo\":").await;
    for index in 0..12 {
        put_parameter(&ssm, &format!("/fanout/dev/another-tool/setting-{index:02}"), "{}").await;
    }

    // Run from the producer's repo: what it shows comes from SSM, not from its manifests.
    let mermaid = account.fanout(ingestion.path(), &["graph", "--stage", "dev", "--from-aws"]);
    assert_exit(&mermaid, 0);
    assert_eq!(
        mermaid.stdout,
        "flowchart LR
  subgraph broken[\"broken\"]
    t__broken__feed{{\"topic feed<br/>no producer: no ARN parameter\"}}
  end
  subgraph ingestion[\"ingestion\"]
    t__ingestion__raw{{\"topic raw\"}}
    t__ingestion__ready{{\"topic ready (FIFO)<br/>attributes: segment\"}}
  end
  subgraph legacy[\"legacy\"]
    t__legacy__feed{{\"topic feed<br/>no producer: no ARN parameter\"}}
  end
  subgraph scoring[\"scoring\"]
    q__scoring__archive[(\"queue archive\")]
    q__scoring__inbox[(\"queue inbox (FIFO)\")]
  end
  style t__broken__feed stroke-dasharray: 5 5
  style t__legacy__feed stroke-dasharray: 5 5
  t__ingestion__ready -->|\"filter attributes: segment\"| q__scoring__inbox
  t__legacy__feed --> q__scoring__archive
",
        "{mermaid}"
    );
    assert!(
        mermaid.stderr.contains(
            "warning: SSM parameter `/fanout/dev/broken/topics/feed/contract` is not a topic contract: not JSON"
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
