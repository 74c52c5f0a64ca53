//! Deploying (or diffing) the stacks of a stage: one stack at a time in [`deploy_stack`],
//! all of them in dependency order in [`deploy_all`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use fanout::{Domain, Name, Project, TopicLookup, naming};
use serde_json::Value;
use tokio::task::JoinSet;

use crate::backoff::Backoff;
use crate::client::Aws;
use crate::error::Error;
use crate::event::{Event, EventKind, Outcome, Reporter, ResourceFailure};
use crate::guard;
use crate::order::Schedule;
use crate::plan::Plan;
use crate::preflight;
use crate::stack::{self, ChangeSetRequest, ChangeSetResult, EventFeed, TemplateSource};
use crate::state::{self, Next, Settled, Stuck};
use crate::upload;

/// Whether to change anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Create and execute change sets.
    Deploy,
    /// Create change sets to see the plan, then delete them.
    Diff,
}

#[derive(Clone, Debug)]
pub struct DeployOptions {
    pub mode: Mode,
    /// Deploy even when the guard finds replacements or removals.
    pub allow_replacement: bool,
    /// Where templates too large to send inline are uploaded.
    pub template_bucket: Option<String>,
    /// How many stacks are deployed at once.
    pub concurrency: usize,
    pub change_set_backoff: Backoff,
    pub stack_backoff: Backoff,
}

impl Default for DeployOptions {
    fn default() -> Self {
        Self {
            mode: Mode::Deploy,
            allow_replacement: false,
            template_bucket: None,
            concurrency: 4,
            change_set_backoff: Backoff::CHANGE_SET,
            stack_backoff: Backoff::STACK,
        }
    }
}

/// One domain's stack, ready to deploy.
#[derive(Clone, Debug)]
pub struct StackRequest {
    pub domain: Name,
    pub stage: Name,
    pub stack: String,
    /// The template as JSON text.
    pub template: String,
    pub lookups: Vec<TopicLookup>,
}

impl StackRequest {
    pub fn new(project: &Project, domain: &Domain, stage: &Name) -> Self {
        Self {
            domain: domain.name.clone(),
            stage: stage.clone(),
            stack: naming::stack_name(stage, &domain.name),
            template: fanout::synth(project, domain, stage).to_json(),
            lookups: fanout::topic_lookups(project, domain, stage),
        }
    }
}

/// How one stack of a multi-stack run ended.
#[derive(Debug)]
pub struct StackReport {
    pub domain: Name,
    pub stack: String,
    pub result: Result<Outcome, Error>,
}

impl StackReport {
    pub fn succeeded(&self) -> bool {
        matches!(&self.result, Ok(outcome) if !outcome.needs_action())
    }
}

fn change_set_name() -> String {
    let millis = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or_default();
    format!("fanout-{millis}")
}

/// Deploys (or diffs) one stack: pre-flight, change set, guard, execute, follow.
pub async fn deploy_stack(aws: &Aws, request: &StackRequest, options: &DeployOptions, reporter: &dyn Reporter) -> Result<Outcome, Error> {
    let report = |kind: EventKind| {
        reporter.report(Event {
            domain: request.domain.to_string(),
            stack: request.stack.clone(),
            kind,
        });
    };
    let stack_name = request.stack.as_str();
    let template: Value = serde_json::from_str(&request.template).unwrap_or(Value::Null);

    // Pre-flight comes first: nothing may be created or deleted for a stack that cannot
    // subscribe to its topics.
    let mut info = stack::describe(aws, stack_name).await?;
    let resolved = match preflight::resolve(aws, &request.stage, &request.lookups).await {
        Ok(resolved) => resolved,
        // A new stack's diff is planned from the template; a producer deployed in the same
        // run will have published its topic by then.
        Err(Error::MissingTopic { .. }) if options.mode == Mode::Diff && info.is_none() => Vec::new(),
        Err(err) => return Err(err),
    };
    for found in &resolved {
        report(EventKind::LookupResolved {
            topic: found.lookup.topic.to_string(),
            ssm_name: found.lookup.ssm_name.clone(),
            arn: found.arn.clone(),
        });
    }

    // Settle the stack's state.
    let mut waited = false;
    let create = loop {
        let status = info.as_ref().map(|i| i.status.as_str());
        match state::next(status) {
            Next::Create | Next::CreateInReview => break true,
            Next::Update => break false,
            Next::Stuck(Stuck::UpdateRollbackFailed) => return Err(Error::UpdateRollbackFailed { stack: stack_name.to_string() }),
            Next::Stuck(Stuck::Failed) => {
                return Err(Error::StackFailed { stack: stack_name.to_string(), status: status.unwrap_or_default().to_string() });
            }
            Next::DeleteAndRecreate if options.mode == Mode::Diff => break true,
            Next::DeleteAndRecreate => {
                report(EventKind::Recreating { status: status.unwrap_or_default().to_string() });
                let id = info.as_ref().map_or(stack_name.to_string(), |i| i.id.clone());
                let mut feed = EventFeed::start(aws, &id).await?;
                stack::delete_stack(aws, &id).await?;
                let followed = stack::follow(aws, &id, &mut feed, options.stack_backoff, &report).await?;
                if !followed.gone {
                    let reason = followed.failure.map_or(followed.status, |f| f.reason);
                    return Err(Error::DeleteFailed { stack: stack_name.to_string(), reason });
                }
                info = None;
            }
            Next::Wait if waited => {
                return Err(Error::StackFailed { stack: stack_name.to_string(), status: status.unwrap_or_default().to_string() });
            }
            Next::Wait => {
                // Another deploy is running: wait for it to end, never interfere.
                report(EventKind::WaitingForOperation { status: status.unwrap_or_default().to_string() });
                let id = info.as_ref().map_or(stack_name.to_string(), |i| i.id.clone());
                let mut feed = EventFeed::start(aws, &id).await?;
                stack::follow(aws, &id, &mut feed, options.stack_backoff, &report).await?;
                info = stack::describe(aws, stack_name).await?;
                waited = true;
            }
        }
    };

    if create && options.mode == Mode::Diff {
        let plan = Plan::create(&template);
        report(EventKind::Plan { plan: plan.clone(), findings: Vec::new() });
        return Ok(Outcome::Planned { plan, findings: Vec::new(), new_stack: true });
    }

    // A replaced upstream topic: the stack still subscribes to the old ARN. Passing the
    // SSM names explicitly (never `UsePreviousValue`) makes CloudFormation resolve them
    // again, so the change set shows the subscriptions moving.
    if let Some(info) = &info {
        for found in &resolved {
            if let Some(deployed) = info.resolved_parameters.get(&found.lookup.parameter)
                && *deployed != found.arn
                && *deployed != found.lookup.ssm_name
            {
                report(EventKind::StaleLookup {
                    topic: found.lookup.topic.to_string(),
                    ssm_name: found.lookup.ssm_name.clone(),
                    deployed: deployed.clone(),
                    current: found.arn.clone(),
                });
            }
        }
    }

    let change_set = change_set_name();
    let source = if request.template.len() > fanout::limits::TEMPLATE_BODY_INLINE {
        let Some(bucket) = &options.template_bucket else {
            return Err(Error::TemplateTooLarge {
                stack: stack_name.to_string(),
                size: request.template.len(),
                max: fanout::limits::TEMPLATE_BODY_INLINE,
            });
        };
        let key = format!("fanout/{stack_name}/{change_set}.json");
        let url = upload::template(aws, stack_name, bucket, &key, &request.template).await?;
        report(EventKind::TemplateUploaded { url: url.clone(), bytes: request.template.len() });
        TemplateSource::Url(url)
    } else {
        TemplateSource::Body(request.template.clone())
    };
    report(EventKind::ChangeSetCreating {
        change_set: change_set.clone(),
        change_set_type: if create { "CREATE" } else { "UPDATE" }.to_string(),
    });
    stack::create_change_set(
        aws,
        ChangeSetRequest {
            stack: stack_name,
            name: &change_set,
            create,
            template: source,
            parameters: request.lookups.iter().map(|l| (l.parameter.clone(), l.ssm_name.clone())).collect(),
            tags: vec![
                ("fanout:domain".to_string(), request.domain.to_string()),
                ("fanout:stage".to_string(), request.stage.to_string()),
            ],
        },
    )
    .await?;

    let plan = match stack::wait_for_change_set(aws, stack_name, &change_set, options.change_set_backoff).await {
        Ok(ChangeSetResult::Ready(plan)) => plan,
        Ok(ChangeSetResult::NoChanges) => {
            // AWS keeps a failed change set around; leave nothing behind.
            stack::delete_change_set(aws, stack_name, &change_set).await?;
            let outputs = info.map(|i| i.outputs).unwrap_or_default();
            return Ok(Outcome::NoChanges { outputs });
        }
        Err(err) => {
            let _ = stack::delete_change_set(aws, stack_name, &change_set).await;
            return Err(err);
        }
    };

    let findings = if create {
        Vec::new()
    } else {
        let deployed = stack::deployed_template(aws, stack_name).await?;
        guard::check(deployed.as_ref(), &template, &plan)
    };
    report(EventKind::Plan { plan: plan.clone(), findings: findings.clone() });

    if options.mode == Mode::Diff {
        stack::delete_change_set(aws, stack_name, &change_set).await?;
        return Ok(Outcome::Planned { plan, findings, new_stack: false });
    }
    if findings.iter().any(|f| f.blocks(options.allow_replacement)) {
        stack::delete_change_set(aws, stack_name, &change_set).await?;
        return Ok(Outcome::Refused { plan, findings });
    }

    let mut feed = EventFeed::start(aws, stack_name).await?;
    stack::execute_change_set(aws, stack_name, &change_set).await?;
    report(EventKind::Executing { change_set });
    let followed = stack::follow(aws, stack_name, &mut feed, options.stack_backoff, &report).await?;
    match state::settled(&followed.status) {
        Settled::Succeeded => {
            let outputs = stack::describe(aws, stack_name).await?.map(|i| i.outputs).unwrap_or_default();
            Ok(Outcome::Deployed { plan, findings, status: followed.status, outputs })
        }
        _ => {
            let failure = followed.failure.or_else(|| {
                followed.status_reason.map(|reason| ResourceFailure {
                    logical_id: stack_name.to_string(),
                    resource_type: "AWS::CloudFormation::Stack".to_string(),
                    status: followed.status.clone(),
                    reason,
                })
            });
            Ok(Outcome::Failed { status: followed.status, failure })
        }
    }
}

/// Deploys (or diffs) `domains` of `project` (every domain when empty) to `stage`:
/// producers before their subscribers, independent stacks side by side up to
/// `options.concurrency`. A failure stops the stacks that depend on it, not the others.
/// Reports come in deploy order.
pub async fn deploy_all(
    aws: &Aws,
    project: &Project,
    stage: &Name,
    domains: &[Name],
    options: &DeployOptions,
    reporter: Arc<dyn Reporter>,
) -> Result<Vec<StackReport>, Error> {
    let selected: Vec<Name> = if domains.is_empty() { project.domains.keys().cloned().collect() } else { domains.to_vec() };
    let mut schedule = Schedule::new(project, &selected)?;
    let order = schedule.order();
    let mut requests: BTreeMap<Name, StackRequest> = selected
        .iter()
        .filter_map(|name| project.domains.get(name))
        .map(|domain| (domain.name.clone(), StackRequest::new(project, domain, stage)))
        .collect();
    let mut reports: BTreeMap<Name, StackReport> = BTreeMap::new();
    let mut running = JoinSet::new();
    let mut names = BTreeMap::new();
    let concurrency = options.concurrency.max(1);
    loop {
        for name in schedule.ready() {
            if running.len() >= concurrency {
                break;
            }
            schedule.start(&name);
            let Some(request) = requests.remove(&name) else {
                schedule.finish(&name, false);
                continue;
            };
            let (aws, options, reporter) = (aws.clone(), options.clone(), Arc::clone(&reporter));
            let handle = running.spawn(async move {
                let result = deploy_stack(&aws, &request, &options, reporter.as_ref()).await;
                StackReport { domain: request.domain, stack: request.stack, result }
            });
            names.insert(handle.id(), name);
        }
        let Some(joined) = running.join_next_with_id().await else { break };
        let report = match joined {
            Ok((_, report)) => report,
            Err(err) => {
                let domain = names.get(&err.id()).cloned().unwrap_or_else(|| stage.clone());
                StackReport {
                    stack: naming::stack_name(stage, &domain),
                    domain,
                    result: Err(Error::Aws { operation: "deploy", code: None, message: "the deploy task stopped unexpectedly".to_string(), source: Some(Box::new(err)) }),
                }
            }
        };
        // A diff changes nothing, so every stack is planned whatever another's plan says.
        let succeeded = options.mode == Mode::Diff || report.succeeded();
        for (skipped, because) in schedule.finish(&report.domain, succeeded) {
            requests.remove(&skipped);
            reports.insert(
                skipped.clone(),
                StackReport {
                    stack: naming::stack_name(stage, &skipped),
                    domain: skipped,
                    result: Ok(Outcome::Skipped { because: because.to_string() }),
                },
            );
        }
        reports.insert(report.domain.clone(), report);
        if schedule.is_finished() && running.is_empty() {
            break;
        }
    }
    Ok(order.into_iter().filter_map(|name| reports.remove(&name)).collect())
}
