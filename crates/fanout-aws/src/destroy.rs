//! Deleting a domain's stack, and reading a topic's ARN from SSM.

use fanout::{Name, TopicRef, naming};
use serde::Serialize;
use serde_json::Value;

use crate::backoff::Backoff;
use crate::client::Aws;
use crate::error::Error;
use crate::event::{Event, EventKind, Reporter};
use crate::preflight;
use crate::stack::{self, EventFeed, StackResource};
use crate::state::{self, Settled};

/// How a destroy ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Destroyed {
    /// There was no such stack.
    NotFound,
    /// The stack is gone; these resources were kept by their `DeletionPolicy: Retain`.
    Deleted {
        /// The retained resources, by logical ID.
        retained: Vec<StackResource>,
    },
}

/// The resources of `template` that CloudFormation keeps when the stack is deleted, with
/// their physical IDs from `resources`.
pub(crate) fn retained(template: &Value, resources: &[StackResource]) -> Vec<StackResource> {
    let Some(declared) = template.get("Resources").and_then(Value::as_object) else { return Vec::new() };
    let mut kept: Vec<StackResource> = resources
        .iter()
        .filter(|r| {
            declared.get(&r.logical_id).and_then(|d| d.get("DeletionPolicy")).and_then(Value::as_str) == Some("Retain")
        })
        .cloned()
        .collect();
    kept.sort_by(|a, b| a.logical_id.cmp(&b.logical_id));
    kept
}

/// The resources of the stack `id` (named `stack_name`) that its deletion would keep. A
/// stack with resources whose template is not JSON is refused: fanout cannot tell what it
/// keeps, and deletes nothing it cannot vouch for.
async fn retained_by(aws: &Aws, stack_name: &str, id: &str) -> Result<Vec<StackResource>, Error> {
    let resources = stack::resources(aws, id).await?;
    if resources.is_empty() {
        return Ok(Vec::new());
    }
    let Some(template) = stack::deployed_template(aws, id).await? else {
        return Err(Error::UnreadableTemplate { stack: stack_name.to_string() });
    };
    Ok(retained(&template, &resources))
}

/// Deletes `domain`'s stack in `stage`, waiting for the delete to finish.
pub async fn destroy(
    aws: &Aws,
    stage: &Name,
    domain: &Name,
    backoff: Backoff,
    reporter: &dyn Reporter,
) -> Result<Destroyed, Error> {
    let stack_name = naming::stack_name(stage, domain);
    let report = |kind| reporter.report(Event { domain: domain.to_string(), stack: stack_name.clone(), kind });
    let Some(mut info) = stack::describe(aws, &stack_name).await? else { return Ok(Destroyed::NotFound) };
    if state::settled(&info.status) == Settled::Running {
        report(EventKind::WaitingForOperation { status: info.status.clone() });
        let mut feed = EventFeed::start(aws, &info.id).await?;
        stack::follow(aws, &info.id, &mut feed, backoff, &report).await?;
        let Some(now) = stack::describe(aws, &stack_name).await? else { return Ok(Destroyed::NotFound) };
        info = now;
    }
    let kept = retained_by(aws, &stack_name, &info.id).await?;
    let mut feed = EventFeed::start(aws, &info.id).await?;
    report(EventKind::Deleting);
    stack::delete_stack(aws, &info.id).await?;
    let followed = stack::follow(aws, &info.id, &mut feed, backoff, &report).await?;
    if !followed.gone {
        let reason = followed
            .failure
            .map(|f| format!("`{}`: {}", f.logical_id, f.reason))
            .or(followed.status_reason)
            .unwrap_or(followed.status);
        return Err(Error::DeleteFailed { stack: stack_name, reason });
    }
    Ok(Destroyed::Deleted { retained: kept })
}

/// The ARN of `topic` in `stage`, from SSM.
pub async fn lookup(aws: &Aws, ssm_prefix: &str, stage: &Name, topic: &TopicRef) -> Result<String, Error> {
    let name = naming::topic_arn_parameter(ssm_prefix, stage, topic);
    preflight::parameter(aws, &name).await?.ok_or(Error::ParameterNotFound { name })
}

/// Where `topic`'s event schema is published in `stage`: the SSM parameter name, whose
/// value is the schema, or `None` when the topic's stack publishes no schema.
pub async fn lookup_schema(
    aws: &Aws,
    ssm_prefix: &str,
    stage: &Name,
    topic: &TopicRef,
) -> Result<Option<String>, Error> {
    let name = naming::topic_schema_parameter(ssm_prefix, stage, topic);
    Ok(preflight::parameter(aws, &name).await?.map(|_| name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn retained_resources_follow_the_deletion_policy() {
        let template = json!({ "Resources": {
            "RunsQueue": { "Type": "AWS::SQS::Queue", "DeletionPolicy": "Retain" },
            "RunsQueuePolicy": { "Type": "AWS::SQS::QueuePolicy" },
            "Key": { "Type": "AWS::KMS::Key", "DeletionPolicy": "Retain" },
        }});
        let resource = |id: &str, kind: &str, physical: &str| StackResource {
            logical_id: id.into(),
            resource_type: kind.into(),
            physical_id: Some(physical.into()),
        };
        let resources = [
            resource("RunsQueue", "AWS::SQS::Queue", "https://sqs/q"),
            resource("RunsQueuePolicy", "AWS::SQS::QueuePolicy", "p"),
            resource("Key", "AWS::KMS::Key", "k-1"),
        ];
        let kept = retained(&template, &resources);
        assert_eq!(
            kept,
            [resource("Key", "AWS::KMS::Key", "k-1"), resource("RunsQueue", "AWS::SQS::Queue", "https://sqs/q")]
        );
    }
}
