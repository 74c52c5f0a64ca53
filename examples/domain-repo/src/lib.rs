//! The billing domain, defined in Rust: one FIFO queue per region on the scores the scoring
//! domain publishes, and the invoices billing publishes in turn.

use fanout::build::{DomainBuilder, QueueBuilder, SubscriptionBuilder, TopicBuilder};
use fanout::{Diagnostics, Duration, Project, Settings};
use serde_json::json;

/// The regions billing invoices from; each gets its own queue of scores.
pub const REGIONS: [&str; 3] = ["eu-west-1", "eu-central-1", "us-east-1"];

/// The repo settings, from `fanout.yaml`, which the `fanout` CLI reads too.
pub const SETTINGS: &str = include_str!("../fanout.yaml");

/// The billing domain.
pub fn billing() -> DomainBuilder {
    DomainBuilder::new("billing")
        .description("Bills customers for their scores, per region")
        .owner("team-billing")
        .tag("cost-center", "4713")
        .topic(TopicBuilder::standard("invoices-issued").description("An invoice was issued to a customer"))
        .queues(REGIONS.iter().map(|region| {
            // Physical names grow with the stage: `prod-billing-scores-eu-central-1-dlq.fifo`
            // must stay within SQS's 80 characters; `fanout::testing::assert_valid` checks it.
            QueueBuilder::fifo(format!("scores-{region}"))
                .description(format!("Published scores of customers billed in {region}"))
                .visibility_timeout(Duration::from_mins(2))
                .subscribe(
                    SubscriptionBuilder::from("scoring/scores-published")
                        .raw_message_delivery(true)
                        // Scoring sets a `region` message attribute on every score.
                        .filter_attributes(json!({ "region": [region] })),
                )
        }))
}

/// The repo's project: its settings and its one domain, checked together. Topics of other
/// repos' domains, like `scoring/scores-published`, are found through SSM at deploy time.
pub fn project() -> Result<Project, Diagnostics> {
    let (settings, mut diagnostics) = fanout::parse_settings(SETTINGS, "fanout.yaml".as_ref());
    let settings = match settings.map(|manifest| Settings::from_manifest(&manifest)) {
        Some((Some(settings), _)) => settings,
        Some((None, found)) => return Err(found),
        None => return Err(diagnostics),
    };
    let (project, found) = Project::from_builders(settings, [billing()]);
    diagnostics.extend(found);
    project.ok_or(diagnostics)
}
