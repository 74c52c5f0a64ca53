//! Where a domain's queues are in a stage: the resources its stack made, found by the
//! logical IDs synthesis gives them, as `deploy` created them; never a URL typed by hand.

use fanout::naming::{self, logical_id};
use fanout::{Name, Queue};

use crate::client::Aws;
use crate::error::Error;
use crate::stack::{self, StackInfo, StackResource};

/// A queue's resources in its stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct QueueLocation {
    /// `domain/queue`.
    pub name: String,
    pub url: String,
    /// The URL of its dead-letter queue.
    pub dead_letter: Option<String>,
    /// The URL of the FIFO dead-letter queue SNS writes to for the FIFO topics a standard
    /// queue subscribes to.
    pub fifo_dead_letter: Option<String>,
    /// The ARNs of its subscriptions.
    pub subscriptions: Vec<String>,
}

/// The physical name of the queue at `url`: its last path segment.
pub(crate) fn queue_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

/// The stack of `domain` in `stage` and its resources; an error when it does not exist.
pub(crate) async fn stack_of(aws: &Aws, stage: &Name, domain: &Name) -> Result<(StackInfo, Vec<StackResource>), Error> {
    let stack = naming::stack_name(stage, domain);
    let Some(info) = stack::describe(aws, &stack).await? else {
        return Err(Error::StackNotFound { stack, domain: domain.to_string(), stage: stage.to_string() });
    };
    let resources = stack::resources(aws, &info.id).await?;
    Ok((info, resources))
}

/// Where queue `name` of `domain` (declared as `queue`) is among the stack's `resources`.
pub(crate) fn queue(
    resources: &[StackResource],
    stage: &Name,
    domain: &Name,
    name: &Name,
    queue: &Queue,
) -> Result<QueueLocation, Error> {
    let physical =
        |logical: &str| resources.iter().find(|r| r.logical_id == logical).and_then(|r| r.physical_id.clone());
    let queue_id = logical_id::queue(name);
    let Some(url) = physical(&queue_id) else {
        return Err(Error::NotInStack {
            stack: naming::stack_name(stage, domain),
            what: "queue",
            logical_id: queue_id,
            domain: domain.to_string(),
            stage: stage.to_string(),
        });
    };
    let subscriptions =
        queue.subscriptions.iter().filter_map(|s| physical(&logical_id::subscription(name, &s.topic))).collect();
    Ok(QueueLocation {
        name: format!("{domain}/{name}"),
        url,
        dead_letter: physical(&logical_id::dead_letter_queue(name)),
        fifo_dead_letter: physical(&logical_id::fifo_dead_letter_queue(name)),
        subscriptions,
    })
}

#[cfg(test)]
mod tests {
    use fanout::TopicRef;

    use super::*;

    fn resource(logical_id: &str, physical_id: &str) -> StackResource {
        StackResource {
            logical_id: logical_id.into(),
            resource_type: "AWS::SQS::Queue".into(),
            physical_id: Some(physical_id.into()),
        }
    }

    #[test]
    fn a_queue_is_found_by_its_logical_ids() {
        let name = Name::new("orders").unwrap();
        let (stage, domain) = (Name::new("dev").unwrap(), Name::new("shop").unwrap());
        let mut queue = Queue::default();
        queue.subscriptions.push(fanout::Subscription {
            topic: TopicRef::new(Name::new("ingestion").unwrap(), Name::new("events").unwrap()),
            raw_message_delivery: true,
            filter: None,
        });
        let resources = [
            resource("OrdersQueue", "https://sqs/dev-shop-orders"),
            resource("OrdersDeadLetterQueue", "https://sqs/dev-shop-orders-dlq"),
            resource("OrdersToIngestionEventsSubscription", "arn:aws:sns:us-east-1:1:dev-ingestion-events:abc"),
            resource("ReturnsQueue", "https://sqs/dev-shop-returns"),
        ];
        let found = super::queue(&resources, &stage, &domain, &name, &queue).unwrap();
        assert_eq!(
            found,
            QueueLocation {
                name: "shop/orders".into(),
                url: "https://sqs/dev-shop-orders".into(),
                dead_letter: Some("https://sqs/dev-shop-orders-dlq".into()),
                fifo_dead_letter: None,
                subscriptions: vec!["arn:aws:sns:us-east-1:1:dev-ingestion-events:abc".into()],
            }
        );
        assert_eq!(queue_name(&found.url), "dev-shop-orders");

        let missing = super::queue(&resources[3..], &stage, &domain, &name, &queue).unwrap_err();
        assert_eq!(missing.to_string(), "Stack `dev-shop` has no queue `OrdersQueue`");
        assert_eq!(missing.hint().as_deref(), Some("deploy it first: `fanout deploy --stage dev shop`"));
    }
}
