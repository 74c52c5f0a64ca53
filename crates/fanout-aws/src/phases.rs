//! One stack's deploy (or diff), phase by phase:
//!
//! 1. **look**: the stack as CloudFormation has it (DescribeStacks);
//! 2. **pre-flight**: the topics it subscribes to, from SSM (GetParameters, ten names a
//!    request), with the contracts of those `fanout.lock` holds (a change since the lock stops
//!    the stack) and of the topics it publishes (a breaking change stops a deploy unless
//!    `--allow-breaking`; the consumers it affects come from GetParametersByPath), and API
//!    Gateway's logging role once per deploy; nothing is created for a stack that cannot
//!    subscribe;
//! 3. **settle**: wait for an operation someone else runs, delete a failed first create,
//!    refuse a stack that needs a person (`state.rs`);
//! 4. **decide**: skip an unchanged stack without a change set (`skip.rs`); a stack to be
//!    created first imports what a destroyed stack of its domain and stage retained
//!    (`adopt.rs`: an `IMPORT` change set, computed, executed and followed as below), and
//!    the rest of its template comes as an update;
//! 5. **plan**: delete change sets an interrupted deploy left, create the change set and wait
//!    for CloudFormation to compute it;
//! 6. **guard**: refuse replacements and removals (`guard.rs`);
//! 7. **execute**: exactly once (`stack::execute_change_set`);
//! 8. **follow**: poll the stack and its events until the operation ends.
//!
//! Between phases, and during every wait, a stopped deploy ([`Stop`]) ends the stack's part:
//! a change set created and not executed is deleted; an operation CloudFormation runs is left
//! to it, and reported as in progress.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::adopt::{self, Found};
use crate::breaking::{self, ContractChange};
use crate::client::Aws;
use crate::contracts;
use crate::deploy::{DeployOptions, Mode, StackRequest};
use crate::error::Error;
use crate::event::{Event, EventKind, Reporter, ResourceFailure, StackOutcome};
use crate::guard::{self, Finding};
use crate::lock;
use crate::plan::Plan;
use crate::preflight::{self, ApiLogRole, Resolved};
use crate::skip::{self, Decision, Reason, WantedParameter};
use crate::stack::{
    self, ChangeSetRequest, ChangeSetResult, EventFeed, FollowEnd, Followed, StackInfo, TemplateSource,
};
use crate::state::{self, Next, Settled, Stuck};
use crate::stop::Stop;
use crate::upload;

/// The prefix of every change set fanout creates; a change set with it that was never
/// executed is fanout's own leftover.
pub(crate) const CHANGE_SET_PREFIX: &str = "fanout-";

pub(crate) fn change_set_name() -> String {
    let millis = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or_default();
    format!("{CHANGE_SET_PREFIX}{millis}")
}

/// What the stacks of one deploy share.
pub(crate) struct Shared {
    pub aws: Aws,
    pub options: DeployOptions,
    pub reporter: std::sync::Arc<dyn Reporter>,
    /// API Gateway's logging role, asked once per deploy.
    pub api_log_role: ApiLogRole,
}

/// How one stack's part of a deploy ended.
#[derive(Debug)]
pub(crate) struct Finished {
    pub result: Result<StackOutcome, Error>,
    /// The status of an operation CloudFormation still runs on the stack, when fanout stopped
    /// following it (a stop, or an error after the change set was executed).
    pub in_progress: Option<String>,
    /// The changes of the stack's topics' contracts found in pre-flight.
    pub contract_changes: Vec<ContractChange>,
}

impl Finished {
    fn outcome(outcome: StackOutcome) -> Self {
        Self { result: Ok(outcome), in_progress: None, contract_changes: Vec::new() }
    }

    /// Stopped; `in_progress` when CloudFormation goes on with an operation.
    fn interrupted(in_progress: Option<String>) -> Self {
        Self { result: Ok(StackOutcome::Interrupted), in_progress, contract_changes: Vec::new() }
    }
}

impl From<Error> for Finished {
    fn from(err: Error) -> Self {
        Self { result: Err(err), in_progress: None, contract_changes: Vec::new() }
    }
}

/// How a phase ends the stack's part early: the outcome or the error, boxed as it is large.
type Halt = Box<Finished>;

/// Ends the stack's part with `outcome`.
fn halt(outcome: StackOutcome) -> Halt {
    Box::new(Finished::outcome(outcome))
}

/// Ends the stack's part on a stop; `in_progress` when CloudFormation goes on.
fn halt_interrupted(in_progress: Option<String>) -> Halt {
    Box::new(Finished::interrupted(in_progress))
}

impl From<Error> for Halt {
    fn from(err: Error) -> Self {
        Box::new(err.into())
    }
}

/// The stack once settled: what it is now, and whether it is to be created.
struct Standing {
    info: Option<StackInfo>,
    create: bool,
}

/// What the decide phase chose.
enum Step {
    /// A new stack (or one in review): a `CREATE` change set.
    Create,
    /// An existing stack that differs: an `UPDATE` change set, guarded against its template.
    Update { deployed: Option<Value> },
    /// A new stack that now holds the retained resources it imported (the plan of the
    /// import): the rest comes as an `UPDATE` change set, guarded against what was imported.
    Imported { deployed: Option<Value>, import: Plan },
}

impl Step {
    /// The status CloudFormation shows while the step's change set runs.
    fn in_progress(&self) -> &'static str {
        match self {
            Step::Create => "CREATE_IN_PROGRESS",
            Step::Update { .. } | Step::Imported { .. } => "UPDATE_IN_PROGRESS",
        }
    }
}

/// A change set computed and ready to execute.
struct Planned {
    change_set: String,
    plan: Plan,
    /// CloudFormation's time of its creation: the execution's events come after it.
    created_at: Option<i64>,
}

/// One stack's deploy, with what every phase needs.
struct StackDeploy<'a> {
    shared: &'a Shared,
    request: &'a StackRequest,
    template: Value,
    /// What pre-flight found of the stack's topics' contracts changing.
    contract_changes: OnceLock<Vec<ContractChange>>,
}

/// Deploys (or diffs) one stack, phase by phase.
pub(crate) async fn deploy_stack(shared: &Shared, request: &StackRequest) -> Finished {
    #[expect(clippy::expect_used, reason = "the text is fanout's own rendering, see the message")]
    let template: Value =
        serde_json::from_str(&request.template).expect("a StackRequest's template is Template::to_json's JSON");
    let mut deploy = StackDeploy { shared, request, template, contract_changes: OnceLock::new() };
    let mut finished = match deploy.run().await {
        Ok(finished) => finished,
        Err(halted) => *halted,
    };
    finished.contract_changes = deploy.contract_changes.take().unwrap_or_default();
    finished
}

impl StackDeploy<'_> {
    fn aws(&self) -> &Aws {
        &self.shared.aws
    }

    fn options(&self) -> &DeployOptions {
        &self.shared.options
    }

    fn stop(&self) -> &Stop {
        &self.shared.options.stop
    }

    fn name(&self) -> &str {
        &self.request.stack
    }

    fn report(&self, kind: EventKind) {
        self.shared.reporter.report(Event {
            domain: self.request.domain.to_string(),
            stack: self.request.stack.clone(),
            kind,
        });
    }

    /// Ends the stack's part when the deploy was stopped, changing nothing.
    fn check_stop(&self) -> Result<(), Halt> {
        if self.stop().is_stopped() { Err(halt_interrupted(None)) } else { Ok(()) }
    }

    async fn run(&self) -> Result<Finished, Halt> {
        self.check_stop()?;
        let info = stack::describe(self.aws(), self.name()).await?;
        let resolved = self.preflight(info.as_ref()).await?;
        self.check_stop()?;
        let settled = self.settle(info).await?;
        let step = self.decide(&settled, &resolved).await?;
        let planned = self.plan(&settled, &step).await?;
        let findings = self.guard(&step, &planned).await?;
        self.execute(&planned).await?;
        Ok(self.follow(step, planned, findings).await)
    }

    /// Phase 2: the topics the stack subscribes to, each locked one against `fanout.lock`,
    /// the contracts of the topics it publishes against SSM's (all read in one batch), and API
    /// Gateway's logging role. A breaking contract change stops a deploy here, before anything
    /// is created, unless `--allow-breaking`.
    async fn preflight(&self, info: Option<&StackInfo>) -> Result<Vec<Resolved>, Halt> {
        let aws = self.aws();
        let request = self.request;
        let mut names: BTreeSet<&str> = request.lookups.iter().map(|lookup| lookup.ssm_name.as_str()).collect();
        let contracts = request.locked.iter().map(|(parameters, _)| parameters);
        for parameters in contracts.chain(request.published.iter().map(|topic| &topic.parameters)) {
            names.extend([parameters.contract.as_str(), parameters.schema.as_str()]);
        }
        let found = if names.is_empty() { BTreeMap::new() } else { preflight::parameters(aws, &names).await? };
        // A new stack's diff is planned from the template; a producer deployed in the same
        // run will have published its topic (and contract) by then.
        let planning_new = self.options().mode == Mode::Diff && info.is_none();
        let resolved = match preflight::resolve(&request.stage, &request.lookups, &found) {
            Ok(resolved) => resolved,
            Err(Error::MissingTopic { .. }) if planning_new => Vec::new(),
            Err(err) => return Err(err.into()),
        };
        self.check_lock(&found, planning_new)?;
        let changes = self.contract_changes(&found).await?;
        preflight::check_api_log_role(aws, self.name(), &self.template, &self.shared.api_log_role).await?;
        for found in &resolved {
            self.report(EventKind::LookupResolved {
                topic: found.lookup.topic.to_string(),
                ssm_name: found.lookup.ssm_name.clone(),
                arn: found.arn.clone(),
            });
        }
        if !changes.is_empty() {
            let allow_breaking = self.options().allow_breaking;
            self.report(EventKind::ContractChanged { changes: changes.clone(), allow_breaking });
            let refuse = self.options().mode == Mode::Deploy && !allow_breaking && changes.iter().any(|c| c.breaking);
            let _ = self.contract_changes.set(changes.clone());
            if refuse {
                return Err(halt(StackOutcome::BreakingRefused { changes }));
            }
        }
        Ok(resolved)
    }

    /// Each topic of another repo that `fanout.lock` holds must have the locked contract in
    /// SSM: a difference stops the stack, saying what changed.
    fn check_lock(&self, found: &BTreeMap<String, String>, planning_new: bool) -> Result<(), Error> {
        let stage = &self.request.stage;
        for (parameters, locked) in &self.request.locked {
            let current = match lock::read_published(parameters, found)? {
                Some(current) => current,
                None if planning_new => continue,
                None => return lock::lock_topic(parameters, stage, found).map(|_| ()),
            };
            let drift = lock::drift(locked, &current);
            if !drift.is_empty() {
                return Err(Error::LockStale {
                    topic: parameters.topic.to_string(),
                    stage: stage.to_string(),
                    changes: drift.iter().map(lock::describe).collect(),
                });
            }
        }
        Ok(())
    }

    /// How the contracts the template publishes differ from SSM's, with the consumers each
    /// change affects: registered in SSM (read only for a topic that changes) or in the repo.
    async fn contract_changes(&self, found: &BTreeMap<String, String>) -> Result<Vec<ContractChange>, Error> {
        let mut all = Vec::new();
        for topic in &self.request.published {
            let current = lock::read_published(&topic.parameters, found)?;
            let changes = breaking::changes(topic, current.as_ref());
            if changes.is_empty() {
                continue;
            }
            let registered = contracts::registrations(self.aws(), &topic.subscribers_path).await?;
            all.extend(breaking::with_consumers(topic, changes, &registered));
        }
        Ok(all)
    }

    /// Phase 3: a stack another operation holds is waited for, a failed first create is
    /// deleted, and a stack that needs a person is refused.
    async fn settle(&self, mut info: Option<StackInfo>) -> Result<Standing, Halt> {
        let aws = self.aws();
        let stack_name = self.name();
        let mut waited = false;
        loop {
            let status = info.as_ref().map(|i| i.status.clone());
            let status_text = status.clone().unwrap_or_default();
            match state::next(status.as_deref()) {
                Next::Create | Next::CreateInReview => return Ok(Standing { info, create: true }),
                Next::Update => return Ok(Standing { info, create: false }),
                Next::Stuck(Stuck::UpdateRollbackFailed) => {
                    return Err(Error::UpdateRollbackFailed { stack: stack_name.to_string() }.into());
                }
                Next::Stuck(Stuck::Failed) => {
                    return Err(Error::StackFailed { stack: stack_name.to_string(), status: status_text }.into());
                }
                Next::DeleteAndRecreate if self.options().mode == Mode::Diff => {
                    return Ok(Standing { info, create: true });
                }
                Next::DeleteAndRecreate => {
                    self.check_stop()?;
                    self.report(EventKind::Recreating { status: status_text });
                    let id = info.as_ref().map_or(stack_name.to_string(), |i| i.id.clone());
                    let mut feed = EventFeed::start(aws, &id).await?;
                    stack::delete_stack(aws, &id).await?;
                    let report = |kind| self.report(kind);
                    let followed = match stack::follow_until(
                        aws,
                        &id,
                        &mut feed,
                        self.options().stack_backoff,
                        self.stop(),
                        &report,
                    )
                    .await
                    {
                        Ok(FollowEnd::Settled(followed)) => followed,
                        Ok(FollowEnd::Stopped { status }) => {
                            let status = status.unwrap_or_else(|| "DELETE_IN_PROGRESS".to_string());
                            return Err(halt_interrupted(Some(status)));
                        }
                        Err(err) => return Err(Box::new(lost_track(stack_name, err, "DELETE_IN_PROGRESS"))),
                    };
                    if !followed.gone {
                        let reason = followed.failure.map_or(followed.status, |f| f.reason);
                        return Err(Error::DeleteFailed { stack: stack_name.to_string(), reason }.into());
                    }
                    info = None;
                }
                Next::Wait if waited => {
                    return Err(Error::StackFailed { stack: stack_name.to_string(), status: status_text }.into());
                }
                Next::Wait => {
                    // Another deploy, or one this deploy's predecessor was stopped in: wait for
                    // it to end, never interfere.
                    self.report(EventKind::WaitingForOperation { status: status_text.clone() });
                    let id = info.as_ref().map_or(stack_name.to_string(), |i| i.id.clone());
                    let mut feed = EventFeed::start(aws, &id).await?;
                    let report = |kind| self.report(kind);
                    match stack::follow_until(aws, &id, &mut feed, self.options().stack_backoff, self.stop(), &report)
                        .await
                    {
                        Ok(FollowEnd::Settled(_)) => {}
                        Ok(FollowEnd::Stopped { status }) => {
                            return Err(halt_interrupted(Some(status.unwrap_or(status_text))));
                        }
                        Err(err) => return Err(Box::new(lost_track(stack_name, err, &status_text))),
                    }
                    info = stack::describe(aws, stack_name).await?;
                    waited = true;
                }
            }
        }
    }

    /// Phase 4: skip an unchanged stack; for a stack to be created, import what a destroyed
    /// stack of its domain and stage retained.
    async fn decide(&self, settled: &Standing, resolved: &[Resolved]) -> Result<Step, Halt> {
        let Some(info) = settled.info.as_ref().filter(|_| !settled.create) else { return self.adopt().await };
        let deployed = stack::deployed_template(self.aws(), self.name()).await?;
        let wanted_parameters: Vec<WantedParameter> = resolved
            .iter()
            .map(|found| WantedParameter {
                key: found.lookup.parameter.clone(),
                value: found.lookup.ssm_name.clone(),
                resolved: found.arn.clone(),
            })
            .collect();
        let tags = self.request.tags();
        let decision = skip::decide(
            skip::Deployed {
                status: &info.status,
                template: deployed.as_ref(),
                parameters: &info.parameters,
                tags: &info.tags,
            },
            skip::Wanted { template: &self.template, parameters: &wanted_parameters, tags: &tags },
            self.options().force,
        );
        let reasons = match decision {
            Decision::Unchanged => {
                self.report(EventKind::Unchanged);
                return Err(halt(StackOutcome::NoChanges { outputs: info.outputs.clone() }));
            }
            Decision::Changed(reasons) => reasons,
        };
        // A replaced upstream topic: the stack still subscribes to the old ARN. Passing the
        // SSM names explicitly (never `UsePreviousValue`) makes CloudFormation resolve them
        // again, so the change set shows the subscriptions moving.
        for reason in &reasons {
            if let Reason::Parameter { key, deployed: Some(deployed), current: Some(current) } = reason
                && let Some(found) = resolved.iter().find(|found| found.lookup.parameter == *key)
                && *deployed != found.lookup.ssm_name
            {
                self.report(EventKind::StaleLookup {
                    topic: found.lookup.topic.to_string(),
                    ssm_name: found.lookup.ssm_name.clone(),
                    deployed: deployed.clone(),
                    current: current.clone(),
                });
            }
        }
        Ok(Step::Update { deployed })
    }

    /// Phase 4 for a stack to be created: the retained resources with its names and its own
    /// `fanout:domain` and `fanout:stage` tags are imported by an `IMPORT` change set, which
    /// a stop withdraws like any other; then the stack exists, and the rest of the template
    /// comes as an update. A diff only shows the import.
    async fn adopt(&self) -> Result<Step, Halt> {
        let aws = self.aws();
        let stack_name = self.name();
        self.check_stop()?;
        let request = self.request;
        let imports = adopt::retained(aws, stack_name, &request.domain, &request.stage, &self.template).await?;
        if self.options().mode == Mode::Diff {
            let plan = if imports.is_empty() {
                Plan::create(&self.template)
            } else {
                adopt::planned(&self.template, &imports)
            };
            self.report(EventKind::Plan { plan: plan.clone(), findings: Vec::new() });
            return Err(halt(StackOutcome::Planned { plan, findings: Vec::new(), new_stack: true }));
        }
        if imports.is_empty() {
            return Ok(Step::Create);
        }
        let Some(import) = self.import(&imports).await? else { return Ok(Step::Create) };
        let deployed = stack::deployed_template(aws, stack_name).await?;
        Ok(Step::Imported { deployed, import })
    }

    /// The `IMPORT` change set of `imports`: created, computed, executed exactly once and
    /// followed; its plan once the stack holds them, `None` when CloudFormation finds nothing
    /// to import after all (the stack is then created as usual).
    async fn import(&self, imports: &[Found]) -> Result<Option<Plan>, Halt> {
        let aws = self.aws();
        let stack_name = self.name();
        let change_set = change_set_name();
        self.report(EventKind::ChangeSetCreating {
            change_set: change_set.clone(),
            change_set_type: "IMPORT".to_string(),
        });
        adopt::create_import_change_set(aws, stack_name, &change_set, &self.template, imports).await?;
        let waited =
            stack::wait_for_change_set(aws, stack_name, &change_set, self.options().change_set_backoff, self.stop())
                .await;
        let planned = match waited {
            Ok(ChangeSetResult::Ready { plan, created_at }) => Planned { change_set, plan, created_at },
            Ok(ChangeSetResult::NoChanges) => {
                stack::delete_change_set(aws, stack_name, &change_set).await?;
                return Ok(None);
            }
            Ok(ChangeSetResult::Stopped) => return Err(Box::new(self.withdraw(&change_set).await)),
            Err(err) => {
                let _ = stack::delete_change_set(aws, stack_name, &change_set).await;
                return Err(err.into());
            }
        };
        self.report(EventKind::Plan { plan: planned.plan.clone(), findings: Vec::new() });
        if self.stop().is_stopped() {
            return Err(Box::new(self.withdraw(&planned.change_set).await));
        }
        self.execute(&planned).await?;
        let import = planned.plan.clone();
        let followed = self.follow_operation("IMPORT_IN_PROGRESS", planned.created_at).await?;
        if followed.status == "IMPORT_COMPLETE" {
            Ok(Some(import))
        } else {
            // Rolled back: the resources are released again, as they were.
            Err(halt(self.failed(followed)))
        }
    }

    /// Phase 5: the change set, computed. A deploy first deletes the change sets an
    /// interrupted deploy left on the stack; a diff leaves them (it changes nothing, and may
    /// run beside a deploy whose change set is about to be executed).
    async fn plan(&self, settled: &Standing, step: &Step) -> Result<Planned, Halt> {
        let aws = self.aws();
        let stack_name = self.name();
        self.check_stop()?;
        if settled.info.is_some() && self.options().mode == Mode::Deploy {
            for leftover in stack::change_sets(aws, stack_name).await? {
                if leftover.name.starts_with(CHANGE_SET_PREFIX) && !leftover.executed {
                    stack::delete_change_set(aws, stack_name, &leftover.name).await?;
                    self.report(EventKind::LeftoverDeleted { change_set: leftover.name });
                }
            }
        }
        let change_set = change_set_name();
        let source = self.template_source(&change_set).await?;
        let create = matches!(step, Step::Create);
        self.report(EventKind::ChangeSetCreating {
            change_set: change_set.clone(),
            change_set_type: if create { "CREATE" } else { "UPDATE" }.to_string(),
        });
        let request = ChangeSetRequest {
            stack: stack_name,
            name: &change_set,
            create,
            template: source,
            parameters: self.request.lookups.iter().map(|l| (l.parameter.clone(), l.ssm_name.clone())).collect(),
            tags: self.request.tags().into_iter().collect(),
        };
        stack::create_change_set(aws, &request).await?;
        let waited =
            stack::wait_for_change_set(aws, stack_name, &change_set, self.options().change_set_backoff, self.stop())
                .await;
        match waited {
            Ok(ChangeSetResult::Ready { plan, created_at }) => Ok(Planned { change_set, plan, created_at }),
            Ok(ChangeSetResult::NoChanges) => {
                // AWS keeps a failed change set around; leave nothing behind.
                stack::delete_change_set(aws, stack_name, &change_set).await?;
                if let Step::Imported { import, .. } = step {
                    // The import brought the whole template.
                    let outputs = stack::describe(aws, stack_name).await?.map(|i| i.outputs).unwrap_or_default();
                    let plan = import.clone();
                    let status = "IMPORT_COMPLETE".to_string();
                    return Err(halt(StackOutcome::Deployed { plan, findings: Vec::new(), status, outputs }));
                }
                let outputs = settled.info.as_ref().map(|i| i.outputs.clone()).unwrap_or_default();
                Err(halt(StackOutcome::NoChanges { outputs }))
            }
            Ok(ChangeSetResult::Stopped) => Err(Box::new(self.withdraw(&change_set).await)),
            Err(err) => {
                let _ = stack::delete_change_set(aws, stack_name, &change_set).await;
                Err(err.into())
            }
        }
    }

    /// Where the change set's template comes from: inline, or S3 for a large one.
    async fn template_source(&self, change_set: &str) -> Result<TemplateSource, Error> {
        let body = &self.request.template;
        if body.len() <= fanout::limits::TEMPLATE_BODY_INLINE {
            return Ok(TemplateSource::Body(body.clone()));
        }
        let stack_name = self.name();
        let Some(bucket) = &self.options().template_bucket else {
            return Err(Error::TemplateTooLarge {
                stack: stack_name.to_string(),
                size: body.len(),
                max: fanout::limits::TEMPLATE_BODY_INLINE,
            });
        };
        let key = format!("fanout/{stack_name}/{change_set}.json");
        let url = upload::template(self.aws(), stack_name, bucket, &key, body).await?;
        self.report(EventKind::TemplateUploaded { url: url.clone(), bytes: body.len() });
        Ok(TemplateSource::Url(url))
    }

    /// Deletes a change set that will not be executed because the deploy stopped.
    async fn withdraw(&self, change_set: &str) -> Finished {
        match stack::delete_change_set(self.aws(), self.name(), change_set).await {
            Ok(()) => {
                self.report(EventKind::ChangeSetDeleted { change_set: change_set.to_string() });
                Finished::interrupted(None)
            }
            Err(err) => err.into(),
        }
    }

    /// Phase 6: the guard's findings. A diff, a refusal or a stop ends here, with the change
    /// set deleted.
    async fn guard(&self, step: &Step, planned: &Planned) -> Result<Vec<Finding>, Halt> {
        let aws = self.aws();
        let findings = match step {
            Step::Create => Vec::new(),
            Step::Update { deployed } | Step::Imported { deployed, .. } => {
                guard::check(deployed.as_ref(), &self.template, &planned.plan)
            }
        };
        self.report(EventKind::Plan { plan: planned.plan.clone(), findings: findings.clone() });
        let plan = planned.plan.clone();
        if self.options().mode == Mode::Diff {
            stack::delete_change_set(aws, self.name(), &planned.change_set).await?;
            return Err(halt(StackOutcome::Planned { plan, findings, new_stack: false }));
        }
        if findings.iter().any(|f| f.blocks(self.options().allow_replacement)) {
            stack::delete_change_set(aws, self.name(), &planned.change_set).await?;
            return Err(halt(StackOutcome::Refused { plan, findings }));
        }
        if self.stop().is_stopped() {
            return Err(Box::new(self.withdraw(&planned.change_set).await));
        }
        Ok(findings)
    }

    /// Phase 7: execute the change set, exactly once.
    async fn execute(&self, planned: &Planned) -> Result<(), Halt> {
        stack::execute_change_set(self.aws(), self.name(), &planned.change_set).await?;
        self.report(EventKind::Executing { change_set: planned.change_set.clone() });
        Ok(())
    }

    /// Phase 8: follow the operation to its end, or until the deploy stops.
    async fn follow(&self, step: Step, planned: Planned, findings: Vec<Finding>) -> Finished {
        let followed = match self.follow_operation(step.in_progress(), planned.created_at).await {
            Ok(followed) => followed,
            Err(halted) => return *halted,
        };
        match state::settled(&followed.status) {
            Settled::Succeeded => {
                let outputs = followed.info.map(|i| i.outputs).unwrap_or_default();
                let plan = match &step {
                    Step::Imported { import, .. } => adopt::merged(Some(import), planned.plan),
                    Step::Create | Step::Update { .. } => planned.plan,
                };
                Finished::outcome(StackOutcome::Deployed { plan, findings, status: followed.status, outputs })
            }
            _ => Finished::outcome(self.failed(followed)),
        }
    }

    /// Follows the operation of a change set created at `created_at` (`started`: the status
    /// it runs in) until it settles; a stop, or losing track of it, ends the stack's part with
    /// the operation reported in progress.
    async fn follow_operation(&self, started: &str, created_at: Option<i64>) -> Result<Followed, Halt> {
        let stack_name = self.name();
        let mut feed = EventFeed::since(created_at);
        let report = |kind| self.report(kind);
        let end =
            stack::follow_until(self.aws(), stack_name, &mut feed, self.options().stack_backoff, self.stop(), &report)
                .await;
        match end {
            Ok(FollowEnd::Settled(followed)) => Ok(*followed),
            Ok(FollowEnd::Stopped { status }) => {
                Err(halt_interrupted(Some(status.unwrap_or_else(|| started.to_string()))))
            }
            Err(err) => Err(Box::new(lost_track(stack_name, err, started))),
        }
    }

    /// The outcome of an operation that did not succeed, with the first failure it caused.
    fn failed(&self, followed: Followed) -> StackOutcome {
        let failure = followed.failure.or_else(|| {
            followed.status_reason.map(|reason| ResourceFailure {
                logical_id: self.name().to_string(),
                resource_type: "AWS::CloudFormation::Stack".to_string(),
                status: followed.status.clone(),
                reason,
            })
        });
        StackOutcome::Failed { status: followed.status, failure }
    }
}

/// Following a stack whose operation runs failed: the operation goes on in CloudFormation.
/// Environment errors (credentials refused, AWS unreachable) stay what they are, for the exit
/// code; a lasting throttling or server failure becomes [`Error::LostTrack`]; both report the
/// stack as in progress.
fn lost_track(stack: &str, err: Error, status: &str) -> Finished {
    let err = if err.is_worth_retrying() {
        Error::LostTrack { stack: stack.to_string(), source: Box::new(err) }
    } else {
        err
    };
    Finished { result: Err(err), in_progress: Some(status.to_string()), contract_changes: Vec::new() }
}

impl StackRequest {
    /// The stack tags fanout sets.
    pub(crate) fn tags(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            (adopt::DOMAIN_TAG.to_string(), self.domain.to_string()),
            (adopt::STAGE_TAG.to_string(), self.stage.to_string()),
        ])
    }
}
