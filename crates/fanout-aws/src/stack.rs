//! CloudFormation calls, each turned into fanout's own types: stacks, change sets, events.
//!
//! Waiting is done here with fanout's own polling ([`crate::backoff`]), not the SDK
//! waiters, whose fixed minimum delay is tuned for neither a fast nor a slow stack.

use std::collections::{BTreeMap, HashSet};

use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::primitives::DateTimeFormat;
use aws_sdk_cloudformation::types::{self as cfn, ChangeSetStatus, ChangeSetType, TemplateStage};
use serde_json::Value;

use crate::backoff::Backoff;
use crate::client::Aws;
use crate::error::{Error, from_sdk};
use crate::event::{EventKind, ResourceFailure, StackEvent};
use crate::plan::{Action, Plan, Replacement, ResourceChange};
use crate::state;

/// A stack as DescribeStacks shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct StackInfo {
    pub id: String,
    pub status: String,
    pub status_reason: Option<String>,
    /// Parameter values as last resolved: `ResolvedValue` for SSM parameter types on AWS,
    /// `ParameterValue` where there is none (plain parameters, and the emulator).
    pub resolved_parameters: BTreeMap<String, String>,
    pub outputs: BTreeMap<String, String>,
}

fn is_missing_stack<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    err.as_service_error().is_some_and(|e| {
        e.code() == Some("ValidationError") && e.message().is_some_and(|m| m.contains("does not exist"))
    })
}

/// The stack named (or with the ID) `stack`, or `None` when there is none.
pub(crate) async fn describe(aws: &Aws, stack: &str) -> Result<Option<StackInfo>, Error> {
    let output = match aws.cfn.describe_stacks().stack_name(stack).send().await {
        Ok(output) => output,
        Err(err) if is_missing_stack(&err) => return Ok(None),
        Err(err) => return Err(from_sdk("DescribeStacks", &aws.endpoint(), err)),
    };
    let Some(found) = output.stacks().first() else { return Ok(None) };
    let status = found.stack_status().map(|s| s.as_str().to_string()).unwrap_or_default();
    Ok(Some(StackInfo {
        id: found.stack_id().unwrap_or(stack).to_string(),
        status,
        status_reason: found.stack_status_reason().map(str::to_string),
        resolved_parameters: found
            .parameters()
            .iter()
            .filter_map(|p| {
                Some((p.parameter_key()?.to_string(), p.resolved_value().or(p.parameter_value())?.to_string()))
            })
            .collect(),
        outputs: found
            .outputs()
            .iter()
            .filter_map(|o| Some((o.output_key()?.to_string(), o.output_value()?.to_string())))
            .collect(),
    }))
}

/// The template CloudFormation holds for `stack`, parsed; `None` when it is not JSON (a
/// stack deployed by another tool in YAML): the guard then relies on the change set alone,
/// and `destroy` refuses.
pub(crate) async fn deployed_template(aws: &Aws, stack: &str) -> Result<Option<Value>, Error> {
    let output = aws
        .cfn
        .get_template()
        .stack_name(stack)
        .template_stage(TemplateStage::Original)
        .send()
        .await
        .map_err(|err| from_sdk("GetTemplate", &aws.endpoint(), err))?;
    Ok(output.template_body().and_then(|body| serde_json::from_str(body).ok()))
}

/// Where the template of a change set comes from.
pub(crate) enum TemplateSource {
    Body(String),
    Url(String),
}

/// A change set to create.
pub(crate) struct ChangeSetRequest<'a> {
    pub stack: &'a str,
    pub name: &'a str,
    pub create: bool,
    pub template: TemplateSource,
    /// Template parameters, passed explicitly so CloudFormation resolves SSM values afresh.
    pub parameters: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
}

pub(crate) async fn create_change_set(aws: &Aws, request: ChangeSetRequest<'_>) -> Result<(), Error> {
    let kind = if request.create { ChangeSetType::Create } else { ChangeSetType::Update };
    let mut call = aws
        .cfn
        .create_change_set()
        .stack_name(request.stack)
        .change_set_name(request.name)
        .change_set_type(kind)
        .description("fanout deploy")
        // Publish endpoints create execution roles; they are unnamed, so `CAPABILITY_IAM`
        // suffices, and the templates are fanout's own, so acknowledging it is safe.
        .capabilities(cfn::Capability::CapabilityIam);
    call = match request.template {
        TemplateSource::Body(body) => call.template_body(body),
        TemplateSource::Url(url) => call.template_url(url),
    };
    for (key, value) in request.parameters {
        call = call.parameters(
            cfn::Parameter::builder().parameter_key(key).parameter_value(value).use_previous_value(false).build(),
        );
    }
    for (key, value) in request.tags {
        call = call.tags(cfn::Tag::builder().key(key).value(value).build());
    }
    call.send().await.map_err(|err| from_sdk("CreateChangeSet", &aws.endpoint(), err))?;
    Ok(())
}

/// How computing a change set ended.
#[derive(Debug)]
pub(crate) enum ChangeSetResult {
    Ready(Plan),
    /// CloudFormation found nothing to change.
    NoChanges,
}

/// Whether a failed change set's reason means "nothing to change", as AWS and the emulator
/// word it.
pub(crate) fn means_no_changes(reason: &str) -> bool {
    let reason = reason.to_ascii_lowercase();
    reason.contains("didn't contain changes")
        || reason.contains("no updates are to be performed")
        || reason.contains("no changes")
}

/// Polls the change set until CloudFormation has computed it.
pub(crate) async fn wait_for_change_set(
    aws: &Aws,
    stack: &str,
    name: &str,
    backoff: Backoff,
) -> Result<ChangeSetResult, Error> {
    let mut delays = backoff.delays();
    loop {
        let (status, reason, changes) = describe_change_set(aws, stack, name).await?;
        match status {
            ChangeSetStatus::CreateComplete => return Ok(ChangeSetResult::Ready(Plan::new(changes))),
            ChangeSetStatus::Failed => {
                let reason = reason.unwrap_or_else(|| "no reason given".to_string());
                if means_no_changes(&reason) {
                    return Ok(ChangeSetResult::NoChanges);
                }
                return Err(Error::ChangeSetFailed { stack: stack.to_string(), change_set: name.to_string(), reason });
            }
            _ => {}
        }
        let Some(delay) = delays.next() else {
            return Err(Error::Timeout { stack: stack.to_string(), what: "the change set", waited: delays.waited() });
        };
        tokio::time::sleep(delay).await;
    }
}

async fn describe_change_set(
    aws: &Aws,
    stack: &str,
    name: &str,
) -> Result<(ChangeSetStatus, Option<String>, Vec<ResourceChange>), Error> {
    let mut changes = Vec::new();
    let mut token = None;
    loop {
        let output = aws
            .cfn
            .describe_change_set()
            .stack_name(stack)
            .change_set_name(name)
            .set_next_token(token)
            .send()
            .await
            .map_err(|err| from_sdk("DescribeChangeSet", &aws.endpoint(), err))?;
        changes.extend(output.changes().iter().filter_map(|c| c.resource_change()).map(resource_change));
        let status = output.status().cloned().unwrap_or(ChangeSetStatus::CreatePending);
        let reason = output.status_reason().map(str::to_string);
        token = output.next_token().map(str::to_string);
        // Changes are complete only once the change set is; earlier pages are not worth following.
        if token.is_none() || status != ChangeSetStatus::CreateComplete {
            return Ok((status, reason, changes));
        }
    }
}

fn resource_change(change: &cfn::ResourceChange) -> ResourceChange {
    let action = match change.action() {
        Some(cfn::ChangeAction::Add) => Action::Add,
        Some(cfn::ChangeAction::Remove) => Action::Remove,
        Some(cfn::ChangeAction::Import) => Action::Import,
        Some(cfn::ChangeAction::Dynamic) => Action::Dynamic,
        _ => Action::Modify,
    };
    let replacement = change.replacement().map(|r| match r {
        cfn::Replacement::True => Replacement::Always,
        cfn::Replacement::Conditional => Replacement::Conditional,
        _ => Replacement::Never,
    });
    let mut recreated_by: Vec<String> = change
        .details()
        .iter()
        .filter_map(|detail| detail.target())
        .filter(|target| target.requires_recreation() == Some(&cfn::RequiresRecreation::Always))
        .filter_map(|target| target.name().map(str::to_string))
        .collect();
    recreated_by.sort();
    recreated_by.dedup();
    ResourceChange {
        logical_id: change.logical_resource_id().unwrap_or_default().to_string(),
        resource_type: change.resource_type().unwrap_or_default().to_string(),
        action,
        replacement: if action == Action::Modify { replacement } else { None },
        physical_id: change.physical_resource_id().map(str::to_string),
        recreated_by,
    }
}

pub(crate) async fn delete_change_set(aws: &Aws, stack: &str, name: &str) -> Result<(), Error> {
    aws.cfn
        .delete_change_set()
        .stack_name(stack)
        .change_set_name(name)
        .send()
        .await
        .map_err(|err| from_sdk("DeleteChangeSet", &aws.endpoint(), err))?;
    Ok(())
}

pub(crate) async fn execute_change_set(aws: &Aws, stack: &str, name: &str) -> Result<(), Error> {
    aws.cfn
        .execute_change_set()
        .stack_name(stack)
        .change_set_name(name)
        .send()
        .await
        .map_err(|err| from_sdk("ExecuteChangeSet", &aws.endpoint(), err))?;
    Ok(())
}

pub(crate) async fn delete_stack(aws: &Aws, stack: &str) -> Result<(), Error> {
    aws.cfn
        .delete_stack()
        .stack_name(stack)
        .send()
        .await
        .map_err(|err| from_sdk("DeleteStack", &aws.endpoint(), err))?;
    Ok(())
}

/// A resource of a stack with its physical ID.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StackResource {
    /// Its logical ID in the template.
    pub logical_id: String,
    /// Its type, like `AWS::SQS::Queue`.
    pub resource_type: String,
    /// Its name or ARN in the account, once it has one.
    pub physical_id: Option<String>,
}

pub(crate) async fn resources(aws: &Aws, stack: &str) -> Result<Vec<StackResource>, Error> {
    let mut found = Vec::new();
    let mut token = None;
    loop {
        let output = aws
            .cfn
            .list_stack_resources()
            .stack_name(stack)
            .set_next_token(token)
            .send()
            .await
            .map_err(|err| from_sdk("ListStackResources", &aws.endpoint(), err))?;
        found.extend(output.stack_resource_summaries().iter().map(|r| StackResource {
            logical_id: r.logical_resource_id().unwrap_or_default().to_string(),
            resource_type: r.resource_type().unwrap_or_default().to_string(),
            physical_id: r.physical_resource_id().map(str::to_string),
        }));
        token = output.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(found);
        }
    }
}

fn stack_event(event: &cfn::StackEvent) -> StackEvent {
    StackEvent {
        event_id: event.event_id().unwrap_or_default().to_string(),
        timestamp: event.timestamp().and_then(|t| t.fmt(DateTimeFormat::DateTime).ok()).unwrap_or_default(),
        logical_id: event.logical_resource_id().unwrap_or_default().to_string(),
        resource_type: event.resource_type().unwrap_or_default().to_string(),
        status: event.resource_status().map(|s| s.as_str().to_string()).unwrap_or_default(),
        reason: event.resource_status_reason().filter(|r| !r.is_empty()).map(str::to_string),
        physical_id: event.physical_resource_id().map(str::to_string),
    }
}

/// Stack events not seen before, oldest first. Events come newest first, page by page; the
/// first page that holds a seen event is the last one needed.
pub(crate) struct EventFeed {
    seen: HashSet<String>,
}

impl EventFeed {
    /// A feed that reports only events newer than those the stack has now.
    pub(crate) async fn start(aws: &Aws, stack: &str) -> Result<Self, Error> {
        let mut feed = Self { seen: HashSet::new() };
        feed.poll(aws, stack).await?;
        Ok(feed)
    }

    /// A feed that reports every event of the stack.
    #[cfg(test)]
    pub(crate) fn from_beginning() -> Self {
        Self { seen: HashSet::new() }
    }

    pub(crate) async fn poll(&mut self, aws: &Aws, stack: &str) -> Result<Vec<StackEvent>, Error> {
        let mut fresh = Vec::new();
        let mut token = None;
        loop {
            let output = match aws.cfn.describe_stack_events().stack_name(stack).set_next_token(token).send().await {
                Ok(output) => output,
                Err(err) if is_missing_stack(&err) => break,
                Err(err) => return Err(from_sdk("DescribeStackEvents", &aws.endpoint(), err)),
            };
            let mut reached_seen = false;
            for event in output.stack_events() {
                let event = stack_event(event);
                if self.seen.contains(&event.event_id) {
                    reached_seen = true;
                } else {
                    fresh.push(event);
                }
            }
            token = output.next_token().map(str::to_string);
            if reached_seen || token.is_none() {
                break;
            }
        }
        Ok(self.absorb(fresh))
    }

    /// Remembers `fresh` (newest first, as CloudFormation lists them) and returns the
    /// events not seen before, oldest first.
    pub(crate) fn absorb(&mut self, fresh: Vec<StackEvent>) -> Vec<StackEvent> {
        let mut new: Vec<StackEvent> = fresh.into_iter().filter(|e| self.seen.insert(e.event_id.clone())).collect();
        new.reverse();
        new
    }
}

/// How a followed stack operation ended.
#[derive(Clone, Debug)]
pub(crate) struct Followed {
    pub status: String,
    pub status_reason: Option<String>,
    /// The first resource that failed during the operation, if any.
    pub failure: Option<ResourceFailure>,
    /// Whether the stack no longer exists (a completed delete).
    pub gone: bool,
}

/// The first failure among `events` (oldest first): a resource's own failure rather than the
/// cancellations and stack-level summaries it caused.
pub(crate) fn first_failure(events: &[StackEvent]) -> Option<ResourceFailure> {
    let failure = |e: &StackEvent| ResourceFailure {
        logical_id: e.logical_id.clone(),
        resource_type: e.resource_type.clone(),
        status: e.status.clone(),
        reason: e.reason.clone().unwrap_or_else(|| "no reason given".to_string()),
    };
    let failed = |e: &&StackEvent| state::is_failure_cause(&e.status, e.reason.as_deref());
    events
        .iter()
        .filter(failed)
        .find(|e| e.resource_type != "AWS::CloudFormation::Stack")
        .or_else(|| events.iter().find(failed))
        .map(failure)
}

/// Polls `stack` (best by ID, which survives a delete) until its operation settles,
/// handing every new stack event to `report` as it appears.
pub(crate) async fn follow(
    aws: &Aws,
    stack: &str,
    feed: &mut EventFeed,
    backoff: Backoff,
    report: &(dyn Fn(EventKind) + Send + Sync),
) -> Result<Followed, Error> {
    let mut delays = backoff.delays();
    let mut events = Vec::new();
    loop {
        let info = describe(aws, stack).await?;
        let new = feed.poll(aws, stack).await?;
        for event in &new {
            report(EventKind::StackEvent(event.clone()));
        }
        events.extend(new);
        let Some(info) = info else {
            return Ok(Followed {
                status: "DELETE_COMPLETE".to_string(),
                status_reason: None,
                failure: first_failure(&events),
                gone: true,
            });
        };
        if state::settled(&info.status) != state::Settled::Running {
            return Ok(Followed {
                gone: info.status == "DELETE_COMPLETE",
                failure: first_failure(&events),
                status: info.status,
                status_reason: info.status_reason,
            });
        }
        let Some(delay) = delays.next() else {
            return Err(Error::Timeout { stack: stack.to_string(), what: "the operation", waited: delays.waited() });
        };
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, logical_id: &str, kind: &str, status: &str, reason: Option<&str>) -> StackEvent {
        StackEvent {
            event_id: id.into(),
            timestamp: String::new(),
            logical_id: logical_id.into(),
            resource_type: kind.into(),
            status: status.into(),
            reason: reason.map(str::to_string),
            physical_id: None,
        }
    }

    #[test]
    fn feed_deduplicates_and_reports_oldest_first() {
        let mut feed = EventFeed::from_beginning();
        let first = feed.absorb(vec![
            event("2", "Q", "AWS::SQS::Queue", "CREATE_IN_PROGRESS", None),
            event("1", "s", "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS", None),
        ]);
        assert_eq!(first.iter().map(|e| e.event_id.as_str()).collect::<Vec<_>>(), ["1", "2"]);
        let second = feed.absorb(vec![
            event("3", "Q", "AWS::SQS::Queue", "CREATE_COMPLETE", None),
            event("2", "Q", "AWS::SQS::Queue", "CREATE_IN_PROGRESS", None),
        ]);
        assert_eq!(second.iter().map(|e| e.event_id.as_str()).collect::<Vec<_>>(), ["3"]);
    }

    #[test]
    fn first_failure_prefers_the_resource_over_cancellations_and_the_stack() {
        let events = [
            event("1", "dev-x", "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS", None),
            event("2", "Other", "AWS::SNS::Topic", "CREATE_FAILED", Some("Resource creation cancelled")),
            event("3", "BadQueue", "AWS::SQS::Queue", "CREATE_FAILED", Some("Invalid value for FifoQueue")),
            event(
                "4",
                "dev-x",
                "AWS::CloudFormation::Stack",
                "ROLLBACK_IN_PROGRESS",
                Some("The following resource(s) failed to create: [BadQueue]"),
            ),
        ];
        let failure = first_failure(&events).unwrap();
        assert_eq!((failure.logical_id.as_str(), failure.reason.as_str()), ("BadQueue", "Invalid value for FifoQueue"));
    }

    #[test]
    fn no_changes_in_the_words_of_aws_and_the_emulator() {
        assert!(means_no_changes(
            "The submitted information didn't contain changes. Submit different information to create a change set."
        ));
        assert!(means_no_changes("No updates are to be performed."));
        assert!(!means_no_changes("Template format error: unresolved resource dependencies [X]"));
    }
}
