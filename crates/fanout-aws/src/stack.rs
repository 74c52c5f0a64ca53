//! CloudFormation calls, each turned into fanout's own types: stacks, change sets, events.
//!
//! Waiting is done here with fanout's own polling ([`crate::backoff`]), not the SDK
//! waiters, whose fixed minimum delay is tuned for neither a fast nor a slow stack. Every
//! request that is safe to repeat goes through [`retrying`] on top of the SDK's retries;
//! executing a change set is the one that never repeats blindly ([`execute_change_set`]).

use std::collections::{BTreeMap, HashSet};

use aws_config::retry::RetryConfig;
use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::primitives::{DateTime, DateTimeFormat};
use aws_sdk_cloudformation::types::{self as cfn, ChangeSetStatus, ChangeSetType, ExecutionStatus, TemplateStage};
use serde_json::Value;

use crate::backoff::Backoff;
use crate::client::Aws;
use crate::error::{Error, from_sdk};
use crate::event::{EventKind, ResourceFailure, StackEvent};
use crate::plan::{Action, Plan, Replacement, ResourceChange};
use crate::retry::retrying;
use crate::skip::DeployedParameter;
use crate::state;
use crate::stop::Stop;

/// A stack as DescribeStacks shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct StackInfo {
    pub id: String,
    pub status: String,
    pub status_reason: Option<String>,
    /// The template parameters as last passed and resolved.
    pub parameters: BTreeMap<String, DeployedParameter>,
    /// The stack's own tags.
    pub tags: BTreeMap<String, String>,
    pub outputs: BTreeMap<String, String>,
    /// When the stack was last updated, or created if never updated: RFC 3339.
    pub last_updated: Option<String>,
}

/// A time CloudFormation reported, in milliseconds since the epoch.
fn millis(time: &DateTime) -> i64 {
    time.secs().saturating_mul(1000).saturating_add(i64::from(time.subsec_nanos() / 1_000_000))
}

fn is_missing_stack<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    err.as_service_error().is_some_and(|e| {
        e.code() == Some("ValidationError") && e.message().is_some_and(|m| m.contains("does not exist"))
    })
}

/// The stack named (or with the ID) `stack`, or `None` when there is none.
pub(crate) async fn describe(aws: &Aws, stack: &str) -> Result<Option<StackInfo>, Error> {
    let output = retrying(|| async {
        match aws.cfn.describe_stacks().stack_name(stack).send().await {
            Ok(output) => Ok(Some(output)),
            Err(err) if is_missing_stack(&err) => Ok(None),
            Err(err) => Err(from_sdk("DescribeStacks", &aws.endpoint(), err)),
        }
    })
    .await?;
    let Some(found) = output.as_ref().and_then(|o| o.stacks().first()) else { return Ok(None) };
    let status = found.stack_status().map(|s| s.as_str().to_string()).unwrap_or_default();
    Ok(Some(StackInfo {
        id: found.stack_id().unwrap_or(stack).to_string(),
        status,
        status_reason: found.stack_status_reason().map(str::to_string),
        parameters: found
            .parameters()
            .iter()
            .filter_map(|p| {
                let parameter = DeployedParameter {
                    value: p.parameter_value()?.to_string(),
                    resolved: p.resolved_value().map(str::to_string),
                };
                Some((p.parameter_key()?.to_string(), parameter))
            })
            .collect(),
        tags: found.tags().iter().filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string()))).collect(),
        outputs: found
            .outputs()
            .iter()
            .filter_map(|o| Some((o.output_key()?.to_string(), o.output_value()?.to_string())))
            .collect(),
        last_updated: found
            .last_updated_time()
            .or(found.creation_time())
            .and_then(|t| t.fmt(DateTimeFormat::DateTime).ok()),
    }))
}

/// The template CloudFormation holds for `stack`, parsed; `None` when it is not JSON (a
/// stack deployed by another tool in YAML): the guard then relies on the change set alone,
/// and `destroy` refuses.
pub(crate) async fn deployed_template(aws: &Aws, stack: &str) -> Result<Option<Value>, Error> {
    let output = retrying(|| async {
        aws.cfn
            .get_template()
            .stack_name(stack)
            .template_stage(TemplateStage::Original)
            .send()
            .await
            .map_err(|err| from_sdk("GetTemplate", &aws.endpoint(), err))
    })
    .await?;
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

/// Creates the change set. Sent again after a transient failure: a first attempt that did
/// create it (its answer lost) makes the second fail with `AlreadyExistsException`, and the
/// name is this deploy's own, so that means done.
pub(crate) async fn create_change_set(aws: &Aws, request: &ChangeSetRequest<'_>) -> Result<(), Error> {
    let kind = if request.create { ChangeSetType::Create } else { ChangeSetType::Update };
    retrying(|| async {
        let mut call = aws
            .cfn
            .create_change_set()
            .stack_name(request.stack)
            .change_set_name(request.name)
            .change_set_type(kind.clone())
            .description("fanout deploy")
            // Publish endpoints create execution roles; they are unnamed, so `CAPABILITY_IAM`
            // suffices, and the templates are fanout's own, so acknowledging it is safe.
            .capabilities(cfn::Capability::CapabilityIam);
        call = match &request.template {
            TemplateSource::Body(body) => call.template_body(body),
            TemplateSource::Url(url) => call.template_url(url),
        };
        for (key, value) in &request.parameters {
            call = call.parameters(
                cfn::Parameter::builder().parameter_key(key).parameter_value(value).use_previous_value(false).build(),
            );
        }
        for (key, value) in &request.tags {
            call = call.tags(cfn::Tag::builder().key(key).value(value).build());
        }
        match call.send().await {
            Ok(_) => Ok(()),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_already_exists_exception()) => Ok(()),
            Err(err) => Err(from_sdk("CreateChangeSet", &aws.endpoint(), err)),
        }
    })
    .await
}

/// How computing a change set ended.
#[derive(Debug)]
pub(crate) enum ChangeSetResult {
    /// Computed, with the time CloudFormation created it (milliseconds since the epoch):
    /// every event of its execution comes after that.
    Ready { plan: Plan, created_at: Option<i64> },
    /// CloudFormation found nothing to change.
    NoChanges,
    /// The deploy was stopped while CloudFormation computed it.
    Stopped,
}

/// Whether a failed change set's reason means "nothing to change", as AWS and the emulator
/// word it.
pub(crate) fn means_no_changes(reason: &str) -> bool {
    let reason = reason.to_ascii_lowercase();
    reason.contains("didn't contain changes")
        || reason.contains("no updates are to be performed")
        || reason.contains("no changes")
}

/// Polls the change set until CloudFormation has computed it, or the deploy stops.
pub(crate) async fn wait_for_change_set(
    aws: &Aws,
    stack: &str,
    name: &str,
    backoff: Backoff,
    stop: &Stop,
) -> Result<ChangeSetResult, Error> {
    let mut delays = backoff.delays();
    loop {
        let Some(described) = stop.unless_stopped(describe_change_set(aws, stack, name)).await else {
            return Ok(ChangeSetResult::Stopped);
        };
        let DescribedChangeSet { status, reason, changes, created_at } = described?;
        match status {
            ChangeSetStatus::CreateComplete => {
                return Ok(ChangeSetResult::Ready { plan: Plan::new(changes), created_at });
            }
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
        if stop.unless_stopped(tokio::time::sleep(delay)).await.is_none() {
            return Ok(ChangeSetResult::Stopped);
        }
    }
}

/// A change set as DescribeChangeSet shows it, all pages read.
struct DescribedChangeSet {
    status: ChangeSetStatus,
    reason: Option<String>,
    changes: Vec<ResourceChange>,
    created_at: Option<i64>,
}

async fn describe_change_set(aws: &Aws, stack: &str, name: &str) -> Result<DescribedChangeSet, Error> {
    let mut changes = Vec::new();
    let mut token = None;
    loop {
        let output = retrying(|| async {
            aws.cfn
                .describe_change_set()
                .stack_name(stack)
                .change_set_name(name)
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|err| from_sdk("DescribeChangeSet", &aws.endpoint(), err))
        })
        .await?;
        changes.extend(output.changes().iter().filter_map(|c| c.resource_change()).map(resource_change));
        let status = output.status().cloned().unwrap_or(ChangeSetStatus::CreatePending);
        token = output.next_token().map(str::to_string);
        // Changes are complete only once the change set is; earlier pages are not worth following.
        if token.is_none() || status != ChangeSetStatus::CreateComplete {
            return Ok(DescribedChangeSet {
                status,
                reason: output.status_reason().map(str::to_string),
                changes,
                created_at: output.creation_time().map(millis),
            });
        }
    }
}

/// The execution status of a change set, read back: `None` when CloudFormation gave none.
async fn execution_status(aws: &Aws, stack: &str, name: &str) -> Result<Option<ExecutionStatus>, Error> {
    let output = retrying(|| async {
        aws.cfn
            .describe_change_set()
            .stack_name(stack)
            .change_set_name(name)
            .send()
            .await
            .map_err(|err| from_sdk("DescribeChangeSet", &aws.endpoint(), err))
    })
    .await?;
    Ok(output.execution_status().cloned())
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

/// Deletes a change set; one that is already gone counts as deleted.
pub(crate) async fn delete_change_set(aws: &Aws, stack: &str, name: &str) -> Result<(), Error> {
    retrying(|| async {
        match aws.cfn.delete_change_set().stack_name(stack).change_set_name(name).send().await {
            Ok(_) => Ok(()),
            Err(err) if err.as_service_error().is_some_and(|e| e.code() == Some("ChangeSetNotFound")) => Ok(()),
            Err(err) => Err(from_sdk("DeleteChangeSet", &aws.endpoint(), err)),
        }
    })
    .await
}

/// Whether a change set with this execution status was started by CloudFormation.
fn was_executed(status: &ExecutionStatus) -> bool {
    matches!(
        status,
        ExecutionStatus::ExecuteInProgress | ExecutionStatus::ExecuteComplete | ExecutionStatus::ExecuteFailed
    )
}

/// Executes a change set exactly once.
///
/// The SDK does not retry this request: a connection that drops after CloudFormation took it
/// would make a blind retry execute it a second time (AWS refuses that, but the answer would
/// be an error for a change set that is running fine). After a failure that does not say
/// whether the request arrived (a dropped connection, a 5xx, throttling), the change set is
/// read back: running or done means executed; still available means not, and it is sent
/// again after a pause; anything else is [`Error::ExecutionUnknown`], and nothing more is done.
pub(crate) async fn execute_change_set(aws: &Aws, stack: &str, name: &str) -> Result<(), Error> {
    let mut delays = Backoff::RETRY.delays();
    loop {
        let sent = aws
            .cfn
            .execute_change_set()
            .stack_name(stack)
            .change_set_name(name)
            .customize()
            .config_override(aws_sdk_cloudformation::config::Builder::default().retry_config(RetryConfig::disabled()))
            .send()
            .await;
        let err = match sent {
            Ok(_) => return Ok(()),
            Err(err) => from_sdk("ExecuteChangeSet", &aws.endpoint(), err),
        };
        // A refusal (credentials, a change set that cannot run): CloudFormation did not take it.
        if !err.is_transient() {
            return Err(err);
        }
        let unknown =
            |cause: String| Error::ExecutionUnknown { stack: stack.to_string(), change_set: name.to_string(), cause };
        match execution_status(aws, stack, name).await {
            Ok(Some(status)) if was_executed(&status) => return Ok(()),
            Ok(Some(ExecutionStatus::Available)) => match delays.next() {
                Some(delay) => tokio::time::sleep(delay).await,
                None => return Err(err),
            },
            Ok(status) => {
                let status = status.map_or_else(|| "none".to_string(), |s| s.as_str().to_string());
                return Err(unknown(format!("{err}; the change set's execution status is now `{status}`")));
            }
            Err(read) if read.is_environment() => return Err(read),
            Err(read) => return Err(unknown(format!("{err}; reading the change set back failed too: {read}"))),
        }
    }
}

/// A change set of a stack as ListChangeSets shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ChangeSetSummary {
    pub name: String,
    /// Whether CloudFormation ran it (or is running it): history, not a leftover.
    pub executed: bool,
}

/// Every change set of `stack`.
pub(crate) async fn change_sets(aws: &Aws, stack: &str) -> Result<Vec<ChangeSetSummary>, Error> {
    let mut found = Vec::new();
    let mut token = None;
    loop {
        let output = retrying(|| async {
            aws.cfn
                .list_change_sets()
                .stack_name(stack)
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|err| from_sdk("ListChangeSets", &aws.endpoint(), err))
        })
        .await?;
        found.extend(output.summaries().iter().map(|summary| ChangeSetSummary {
            name: summary.change_set_name().unwrap_or_default().to_string(),
            executed: summary.execution_status().is_some_and(was_executed),
        }));
        token = output.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(found);
        }
    }
}

pub(crate) async fn delete_stack(aws: &Aws, stack: &str) -> Result<(), Error> {
    retrying(|| async {
        aws.cfn
            .delete_stack()
            .stack_name(stack)
            .send()
            .await
            .map_err(|err| from_sdk("DeleteStack", &aws.endpoint(), err))
    })
    .await?;
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
        let output = retrying(|| async {
            aws.cfn
                .list_stack_resources()
                .stack_name(stack)
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|err| from_sdk("ListStackResources", &aws.endpoint(), err))
        })
        .await?;
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
        at: event.timestamp().map(millis),
        timestamp: event.timestamp().and_then(|t| t.fmt(DateTimeFormat::DateTime).ok()).unwrap_or_default(),
        logical_id: event.logical_resource_id().unwrap_or_default().to_string(),
        resource_type: event.resource_type().unwrap_or_default().to_string(),
        status: event.resource_status().map(|s| s.as_str().to_string()).unwrap_or_default(),
        reason: event.resource_status_reason().filter(|r| !r.is_empty()).map(str::to_string),
        physical_id: event.physical_resource_id().map(str::to_string),
    }
}

/// Stack events not seen before, oldest first. Events come newest first, page by page; the
/// first page that holds a seen event, or one older than the operation followed, is the last
/// one needed.
pub(crate) struct EventFeed {
    seen: HashSet<String>,
    /// Events before this time (milliseconds since the epoch) belong to earlier operations.
    since: Option<i64>,
}

impl EventFeed {
    /// A feed that reports only events newer than those the stack has now: one request, for
    /// an operation fanout did not start (it has no time to start from).
    pub(crate) async fn start(aws: &Aws, stack: &str) -> Result<Self, Error> {
        let mut feed = Self { seen: HashSet::new(), since: None };
        feed.poll(aws, stack).await?;
        Ok(feed)
    }

    /// A feed of the events from `since` on (CloudFormation's time of the change set being
    /// executed), without a request now: events are read only while the stack changes.
    /// Without a time, every event is reported.
    pub(crate) fn since(since: Option<i64>) -> Self {
        Self { seen: HashSet::new(), since }
    }

    pub(crate) async fn poll(&mut self, aws: &Aws, stack: &str) -> Result<Vec<StackEvent>, Error> {
        let mut fresh = Vec::new();
        let mut token = None;
        loop {
            let page = retrying(|| async {
                match aws.cfn.describe_stack_events().stack_name(stack).set_next_token(token.clone()).send().await {
                    Ok(output) => Ok(Some(output)),
                    Err(err) if is_missing_stack(&err) => Ok(None),
                    Err(err) => Err(from_sdk("DescribeStackEvents", &aws.endpoint(), err)),
                }
            })
            .await?;
            let Some(output) = page else { break };
            let mut reached_known = false;
            for event in output.stack_events() {
                let event = stack_event(event);
                if self.seen.contains(&event.event_id) || self.is_before(&event) {
                    reached_known = true;
                } else {
                    fresh.push(event);
                }
            }
            token = output.next_token().map(str::to_string);
            if reached_known || token.is_none() {
                break;
            }
        }
        Ok(self.absorb(fresh))
    }

    /// Whether `event` happened before the operation followed: earlier in time, or the stack
    /// waiting for its first change set to be executed.
    fn is_before(&self, event: &StackEvent) -> bool {
        let earlier = matches!((self.since, event.at), (Some(since), Some(at)) if at < since);
        earlier || (self.since.is_some() && event.status == "REVIEW_IN_PROGRESS")
    }

    /// Remembers `fresh` (newest first, as CloudFormation lists them) and returns the
    /// events not seen before, oldest first.
    pub(crate) fn absorb(&mut self, fresh: Vec<StackEvent>) -> Vec<StackEvent> {
        let fresh: Vec<StackEvent> = fresh.into_iter().filter(|e| !self.is_before(e)).collect();
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
    /// The stack as the last look saw it, outputs included; `None` once it is gone.
    pub info: Option<StackInfo>,
}

/// Where following a stack ended.
#[derive(Clone, Debug)]
pub(crate) enum FollowEnd {
    /// The operation is over.
    Settled(Box<Followed>),
    /// The deploy was stopped; CloudFormation goes on, last seen in this status (`None`:
    /// stopped before the first look).
    Stopped { status: Option<String> },
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

/// Polls `stack` (best by ID, which survives a delete) until its operation settles, handing
/// every new stack event to `report` as it appears.
pub(crate) async fn follow(
    aws: &Aws,
    stack: &str,
    feed: &mut EventFeed,
    backoff: Backoff,
    report: &(dyn Fn(EventKind) + Send + Sync),
) -> Result<Followed, Error> {
    match follow_until(aws, stack, feed, backoff, &Stop::default(), report).await? {
        FollowEnd::Settled(followed) => Ok(*followed),
        // A switch nobody holds never fires.
        FollowEnd::Stopped { status } => {
            Err(Error::StackFailed { stack: stack.to_string(), status: status.unwrap_or_default() })
        }
    }
}

/// [`follow`], until the operation settles or the deploy stops.
pub(crate) async fn follow_until(
    aws: &Aws,
    stack: &str,
    feed: &mut EventFeed,
    backoff: Backoff,
    stop: &Stop,
    report: &(dyn Fn(EventKind) + Send + Sync),
) -> Result<FollowEnd, Error> {
    let mut delays = backoff.delays();
    let mut events = Vec::new();
    let mut status = None;
    loop {
        let look = async { Ok::<_, Error>((describe(aws, stack).await?, feed.poll(aws, stack).await?)) };
        let Some(look) = stop.unless_stopped(look).await else { return Ok(FollowEnd::Stopped { status }) };
        let (info, new) = look?;
        for event in &new {
            report(EventKind::StackEvent(event.clone()));
        }
        events.extend(new);
        let Some(info) = info else {
            return Ok(FollowEnd::Settled(Box::new(Followed {
                status: "DELETE_COMPLETE".to_string(),
                status_reason: None,
                failure: first_failure(&events),
                gone: true,
                info: None,
            })));
        };
        if state::settled(&info.status) != state::Settled::Running {
            return Ok(FollowEnd::Settled(Box::new(Followed {
                gone: info.status == "DELETE_COMPLETE",
                failure: first_failure(&events),
                status: info.status.clone(),
                status_reason: info.status_reason.clone(),
                info: Some(info),
            })));
        }
        status = Some(info.status.clone());
        let Some(delay) = delays.next() else {
            return Err(Error::Timeout { stack: stack.to_string(), what: "the operation", waited: delays.waited() });
        };
        if stop.unless_stopped(tokio::time::sleep(delay)).await.is_none() {
            return Ok(FollowEnd::Stopped { status });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, logical_id: &str, kind: &str, status: &str, reason: Option<&str>) -> StackEvent {
        StackEvent {
            event_id: id.into(),
            at: None,
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
        let mut feed = EventFeed::since(None);
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
    fn feed_since_the_change_set_leaves_out_earlier_operations_and_the_review() {
        let at = |id: &str, millis: i64, status: &str| StackEvent {
            at: Some(millis),
            ..event(id, "dev-x", "AWS::CloudFormation::Stack", status, None)
        };
        let mut feed = EventFeed::since(Some(1_000));
        let new = feed.absorb(vec![
            at("4", 1_500, "UPDATE_COMPLETE"),
            at("3", 1_200, "UPDATE_IN_PROGRESS"),
            at("2", 1_000, "REVIEW_IN_PROGRESS"),
            at("1", 900, "CREATE_COMPLETE"),
        ]);
        assert_eq!(new.iter().map(|e| e.event_id.as_str()).collect::<Vec<_>>(), ["3", "4"]);
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
