//! Deploying (or diffing) the stacks of a stage: one stack at a time in [`deploy_stack`],
//! all of them in dependency order in [`deploy_all`].

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use fanout::{Domain, Name, Project, TopicLookup, naming};
use serde_json::Value;
use tokio::task::JoinSet;

use crate::backoff::Backoff;
use crate::client::Aws;
use crate::error::Error;
use crate::event::{Event, EventKind, Reporter, ResourceFailure, StackOutcome};
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

/// How [`deploy_all`] goes about it.
#[derive(Clone, Debug)]
pub struct DeployOptions {
    /// Deploy, or only diff.
    pub mode: Mode,
    /// Deploy even when the guard finds replacements or removals.
    pub allow_replacement: bool,
    /// Where templates too large to send inline are uploaded.
    pub template_bucket: Option<String>,
    /// How many stacks are deployed at once.
    pub concurrency: usize,
    /// How often a change set is looked at while CloudFormation computes it.
    pub change_set_backoff: Backoff,
    /// How often a stack is looked at while an operation runs on it.
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

/// One domain's stack, ready to deploy. Built only by [`StackRequest::new`], so its
/// template is always fanout's own rendering.
#[derive(Clone, Debug)]
pub(crate) struct StackRequest {
    domain: Name,
    stage: Name,
    stack: String,
    /// The template as JSON text, from [`fanout::Template::to_json`].
    template: String,
    lookups: Vec<TopicLookup>,
}

impl StackRequest {
    /// The request for `domain`'s stack in `stage`, with its template synthesized.
    pub(crate) fn new(project: &Project, domain: &Domain, stage: &Name) -> Self {
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
    /// The domain.
    pub domain: Name,
    /// Its stack's name.
    pub stack: String,
    /// How it ended, or what stopped it.
    pub result: Result<StackOutcome, Error>,
}

impl StackReport {
    /// Whether the stack is where the run wanted it: deployed, unchanged or planned.
    pub fn succeeded(&self) -> bool {
        matches!(&self.result, Ok(outcome) if !outcome.needs_action())
    }
}

fn change_set_name() -> String {
    let millis = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or_default();
    format!("fanout-{millis}")
}

/// Deploys (or diffs) one stack: pre-flight, change set, guard, execute, follow.
pub(crate) async fn deploy_stack(
    aws: &Aws,
    request: &StackRequest,
    options: &DeployOptions,
    reporter: &dyn Reporter,
) -> Result<StackOutcome, Error> {
    let report = |kind: EventKind| {
        reporter.report(Event { domain: request.domain.to_string(), stack: request.stack.clone(), kind });
    };
    let stack_name = request.stack.as_str();
    #[expect(clippy::expect_used, reason = "the text is fanout's own rendering, see the message")]
    let template: Value =
        serde_json::from_str(&request.template).expect("a StackRequest's template is Template::to_json's JSON");

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
    preflight::check_api_log_role(aws, stack_name, &template).await?;
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
            Next::Stuck(Stuck::UpdateRollbackFailed) => {
                return Err(Error::UpdateRollbackFailed { stack: stack_name.to_string() });
            }
            Next::Stuck(Stuck::Failed) => {
                return Err(Error::StackFailed {
                    stack: stack_name.to_string(),
                    status: status.unwrap_or_default().to_string(),
                });
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
                return Err(Error::StackFailed {
                    stack: stack_name.to_string(),
                    status: status.unwrap_or_default().to_string(),
                });
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
        return Ok(StackOutcome::Planned { plan, findings: Vec::new(), new_stack: true });
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
            return Ok(StackOutcome::NoChanges { outputs });
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
        return Ok(StackOutcome::Planned { plan, findings, new_stack: false });
    }
    if findings.iter().any(|f| f.blocks(options.allow_replacement)) {
        stack::delete_change_set(aws, stack_name, &change_set).await?;
        return Ok(StackOutcome::Refused { plan, findings });
    }

    let mut feed = EventFeed::start(aws, stack_name).await?;
    stack::execute_change_set(aws, stack_name, &change_set).await?;
    report(EventKind::Executing { change_set });
    let followed = stack::follow(aws, stack_name, &mut feed, options.stack_backoff, &report).await?;
    match state::settled(&followed.status) {
        Settled::Succeeded => {
            let outputs = stack::describe(aws, stack_name).await?.map(|i| i.outputs).unwrap_or_default();
            Ok(StackOutcome::Deployed { plan, findings, status: followed.status, outputs })
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
            Ok(StackOutcome::Failed { status: followed.status, failure })
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
    let aws = aws.clone();
    run_in_order(project, stage, domains, options, move |request, options| {
        let (aws, reporter) = (aws.clone(), Arc::clone(&reporter));
        async move { deploy_stack(&aws, &request, &options, reporter.as_ref()).await }
    })
    .await
}

/// The scheduling of [`deploy_all`], with the per-stack work as a parameter so the order,
/// the concurrency bound and the skipping of dependents are tested without AWS.
pub(crate) async fn run_in_order<F, Fut>(
    project: &Project,
    stage: &Name,
    domains: &[Name],
    options: &DeployOptions,
    deploy: F,
) -> Result<Vec<StackReport>, Error>
where
    F: Fn(StackRequest, DeployOptions) -> Fut,
    Fut: Future<Output = Result<StackOutcome, Error>> + Send + 'static,
{
    let selected: Vec<Name> =
        if domains.is_empty() { project.domains.keys().cloned().collect() } else { domains.to_vec() };
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
            let (domain, stack) = (request.domain.clone(), request.stack.clone());
            let work = deploy(request, options.clone());
            let handle = running.spawn(async move {
                let result = work.await;
                StackReport { domain, stack, result }
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
                    result: Err(Error::Aws {
                        operation: "deploy",
                        code: None,
                        message: "the deploy task stopped unexpectedly".to_string(),
                        source: Some(Box::new(err)),
                    }),
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
                    result: Ok(StackOutcome::Skipped { because: because.to_string() }),
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    use fanout::Settings;
    use fanout::build::{DomainBuilder, QueueBuilder, TopicBuilder};

    use super::*;

    fn name(text: &str) -> Name {
        Name::new(text).unwrap()
    }

    /// Domains `a`, `b`, `c`, `d`: `b` subscribes to `a`'s topic and `c` to `b`'s, `d` stands alone.
    fn project() -> Project {
        let (project, diagnostics) = Project::from_builders(
            Settings::new("/fanout", ["dev"]).unwrap(),
            [
                DomainBuilder::new("a").topic(TopicBuilder::standard("events")),
                DomainBuilder::new("b")
                    .topic(TopicBuilder::standard("events"))
                    .queue(QueueBuilder::standard("inbox").subscribe("a/events")),
                DomainBuilder::new("c").queue(QueueBuilder::standard("inbox").subscribe("b/events")),
                DomainBuilder::new("d").queue(QueueBuilder::standard("inbox")),
            ],
        );
        project.unwrap_or_else(|| panic!("{diagnostics:?}"))
    }

    /// What the fake per-stack deploy saw: when each stack ran, and the most at once.
    #[derive(Default)]
    struct Recorder {
        in_flight: AtomicUsize,
        most_in_flight: AtomicUsize,
        runs: Mutex<Vec<(String, Instant, Instant)>>,
    }

    impl Recorder {
        fn runs(&self) -> Vec<(String, Instant, Instant)> {
            self.runs.lock().unwrap().clone()
        }

        fn overlapping_pairs(&self) -> usize {
            let runs = self.runs();
            let mut pairs = 0;
            for (i, (_, start_a, end_a)) in runs.iter().enumerate() {
                for (_, start_b, end_b) in &runs[i + 1..] {
                    if start_a < end_b && start_b < end_a {
                        pairs += 1;
                    }
                }
            }
            pairs
        }
    }

    /// Runs `domains` with a fake deploy that takes 50 ms per stack and fails the domains in
    /// `failing` (CloudFormation rolled them back).
    async fn run(domains: &[&str], concurrency: usize, failing: &[&str]) -> (Vec<StackReport>, Arc<Recorder>) {
        let recorder = Arc::new(Recorder::default());
        let options = DeployOptions { concurrency, ..DeployOptions::default() };
        let failing: Vec<String> = failing.iter().map(ToString::to_string).collect();
        let domains: Vec<Name> = domains.iter().map(|d| name(d)).collect();
        let fake = |request: StackRequest, _options: DeployOptions| {
            let recorder = Arc::clone(&recorder);
            let fails = failing.contains(&request.domain.to_string());
            async move {
                let start = Instant::now();
                let now = recorder.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                recorder.most_in_flight.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                recorder.in_flight.fetch_sub(1, Ordering::SeqCst);
                recorder.runs.lock().unwrap().push((request.domain.to_string(), start, Instant::now()));
                Ok(if fails {
                    StackOutcome::Failed { status: "ROLLBACK_COMPLETE".into(), failure: None }
                } else {
                    StackOutcome::NoChanges { outputs: BTreeMap::new() }
                })
            }
        };
        let reports = run_in_order(&project(), &name("dev"), &domains, &options, fake).await.unwrap();
        (reports, recorder)
    }

    fn outcomes(reports: &[StackReport]) -> Vec<(String, String)> {
        reports
            .iter()
            .map(|r| {
                let outcome = match &r.result {
                    Ok(StackOutcome::NoChanges { .. }) => "no_changes".to_string(),
                    Ok(StackOutcome::Failed { .. }) => "failed".to_string(),
                    Ok(StackOutcome::Skipped { because }) => format!("skipped because {because}"),
                    other => format!("{other:?}"),
                };
                (r.domain.to_string(), outcome)
            })
            .collect()
    }

    #[tokio::test]
    async fn independent_stacks_overlap_at_concurrency_two() {
        let (reports, recorder) = run(&["a", "d"], 2, &[]).await;
        assert_eq!(outcomes(&reports), [("a".into(), "no_changes".into()), ("d".into(), "no_changes".into())]);
        assert_eq!(recorder.most_in_flight.load(Ordering::SeqCst), 2);
        assert_eq!(recorder.overlapping_pairs(), 1, "a and d ran side by side");
    }

    #[tokio::test]
    async fn independent_stacks_run_one_by_one_at_concurrency_one() {
        let (reports, recorder) = run(&["a", "d"], 1, &[]).await;
        assert_eq!(reports.len(), 2);
        assert_eq!(recorder.most_in_flight.load(Ordering::SeqCst), 1);
        assert_eq!(recorder.overlapping_pairs(), 0);
    }

    #[tokio::test]
    async fn concurrency_bounds_the_stacks_in_flight() {
        // `a` and `d` are ready at once; `b` waits for `a`, `c` for `b`.
        let (reports, recorder) = run(&[], 4, &[]).await;
        assert_eq!(reports.iter().map(|r| r.domain.to_string()).collect::<Vec<_>>(), ["a", "d", "b", "c"]);
        assert_eq!(recorder.most_in_flight.load(Ordering::SeqCst), 2);
        let runs = recorder.runs();
        let of = |domain: &str| runs.iter().find(|(d, ..)| d == domain).map(|(_, start, end)| (*start, *end)).unwrap();
        assert!(of("a").1 <= of("b").0, "a producer finishes before its subscriber starts");
        assert!(of("b").1 <= of("c").0);
    }

    #[tokio::test]
    async fn failed_producer_skips_only_its_dependents() {
        let (reports, recorder) = run(&[], 2, &["a"]).await;
        assert_eq!(
            outcomes(&reports),
            [
                ("a".into(), "failed".into()),
                ("d".into(), "no_changes".into()),
                ("b".into(), "skipped because a".into()),
                ("c".into(), "skipped because a".into()),
            ]
        );
        let mut ran: Vec<String> = recorder.runs().into_iter().map(|(d, ..)| d).collect();
        ran.sort();
        assert_eq!(ran, ["a", "d"], "skipped stacks are never started");
        assert!(reports[2..].iter().all(|r| !r.succeeded()), "a skipped stack counts as needing action");
    }

    #[tokio::test]
    async fn failed_producer_skips_nothing_in_a_diff() {
        let recorder = Arc::new(Recorder::default());
        let options = DeployOptions { mode: Mode::Diff, ..DeployOptions::default() };
        let fake = |request: StackRequest, _options: DeployOptions| {
            let recorder = Arc::clone(&recorder);
            async move {
                let now = Instant::now();
                recorder.runs.lock().unwrap().push((request.domain.to_string(), now, now));
                Err(Error::ParameterNotFound { name: "/x".into() })
            }
        };
        let reports = run_in_order(&project(), &name("dev"), &[], &options, fake).await.unwrap();
        assert_eq!(recorder.runs().len(), 4, "a diff plans every stack");
        assert!(reports.iter().all(|r| r.result.is_err()));
    }
}
