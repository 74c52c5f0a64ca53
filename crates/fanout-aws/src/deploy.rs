//! Deploying (or diffing) the stacks of a stage: all of them in dependency order in
//! [`deploy_all`], each one in `phases.rs`.
//!
//! A stack starts as soon as the producers it subscribes to are done, not when a whole level
//! of the graph is, up to the adaptive limit of stacks in flight (`limit.rs`): `--concurrency`
//! at first, fewer while AWS throttles, more again as requests succeed. A failure skips only
//! the stacks that depend on it. A stop (a signal, or credentials AWS refuses) starts nothing
//! more and lets the running stacks wind down (`stop.rs`).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use fanout::contract::published::{Lock, LockedTopic};
use fanout::{Domain, Name, Project, TopicLookup, naming};
use tokio::task::JoinSet;

use crate::backoff::Backoff;
use crate::breaking::{self, ContractChange, PublishedTopic};
use crate::client::Aws;
use crate::error::Error;
use crate::event::{Reporter, StackOutcome};
use crate::lock::ContractParameters;
use crate::order::Schedule;
use crate::phases::{self, Finished, Shared};
use crate::stop::{Stop, StopReason};

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
    /// Deploy even when a topic's contract would change in a way that breaks its consumers.
    pub allow_breaking: bool,
    /// `fanout.lock`: the contracts of other repos' topics as reviewed; pre-flight stops a
    /// stack whose locked topics changed in SSM since.
    pub lock: Lock,
    /// Create change sets even for stacks that are unchanged.
    pub force: bool,
    /// Where templates too large to send inline are uploaded.
    pub template_bucket: Option<String>,
    /// The most stacks deployed at once; fewer while AWS throttles.
    pub concurrency: usize,
    /// How often a change set is looked at while CloudFormation computes it.
    pub change_set_backoff: Backoff,
    /// How often a stack is looked at while an operation runs on it.
    pub stack_backoff: Backoff,
    /// Stops the deploy part-way; see [`Stop`].
    pub stop: Stop,
}

impl DeployOptions {
    /// The most stacks in flight by default: enough to overlap the slow part of a deploy (the
    /// provisioning time of each stack) for most organizations at once, while the adaptive
    /// limit backs off when AWS throttles.
    pub const DEFAULT_CONCURRENCY: usize = 32;
}

impl Default for DeployOptions {
    fn default() -> Self {
        Self {
            mode: Mode::Deploy,
            allow_replacement: false,
            allow_breaking: false,
            lock: Lock::default(),
            force: false,
            template_bucket: None,
            concurrency: Self::DEFAULT_CONCURRENCY,
            change_set_backoff: Backoff::CHANGE_SET,
            stack_backoff: Backoff::STACK,
            stop: Stop::default(),
        }
    }
}

/// One domain's stack, ready to deploy. Built only by [`StackRequest::new`], so its
/// template is always fanout's own rendering.
#[derive(Clone, Debug)]
pub(crate) struct StackRequest {
    pub(crate) domain: Name,
    pub(crate) stage: Name,
    pub(crate) stack: String,
    /// The template as JSON text, from [`fanout::Template::to_json`].
    pub(crate) template: String,
    pub(crate) lookups: Vec<TopicLookup>,
    /// The topics of other repos it subscribes to that `fanout.lock` holds for the stage,
    /// with their locked contracts.
    pub(crate) locked: Vec<(ContractParameters, LockedTopic)>,
    /// The topics it publishes, with the contracts its template publishes.
    pub(crate) published: Vec<PublishedTopic>,
}

impl StackRequest {
    /// The request for `domain`'s stack in `stage`, with its template synthesized and what
    /// `lock` holds of the topics it subscribes to.
    pub(crate) fn new(project: &Project, domain: &Domain, stage: &Name, lock: &Lock) -> Self {
        let locked_topics = lock.stages.get(stage.as_str());
        let locked = fanout::topic_lookups(project, domain, stage)
            .into_iter()
            .filter(|lookup| !project.domains.contains_key(&lookup.topic.domain))
            .filter_map(|lookup| {
                let topic = locked_topics?.get(&lookup.topic.to_string())?;
                Some((ContractParameters::new(&project.settings.ssm_prefix, stage, &lookup.topic), topic.clone()))
            })
            .collect();
        Self {
            locked,
            published: breaking::published_topics(project, domain, stage),
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
    /// The status of an operation CloudFormation still runs on the stack, like
    /// `UPDATE_IN_PROGRESS`, when fanout stopped following it: the deploy was stopped, or
    /// following failed after the change set was executed. It is not cancelled; the next
    /// deploy waits for it.
    pub in_progress: Option<String>,
    /// The changes of the contracts of its topics that the deploy makes (or the diff would
    /// make), with the consumers each affects; empty when no contract changes.
    pub contract_changes: Vec<ContractChange>,
}

impl StackReport {
    /// Whether the stack is where the run wanted it: deployed, unchanged or planned.
    pub fn succeeded(&self) -> bool {
        self.in_progress.is_none() && matches!(&self.result, Ok(outcome) if !outcome.needs_action())
    }
}

/// How a deploy (or diff) went.
#[derive(Debug)]
pub struct DeployRun {
    /// Each stack, in deploy order.
    pub stacks: Vec<StackReport>,
    /// Why the deploy stopped before the end, if it did.
    pub stopped: Option<StopReason>,
    /// How many requests AWS throttled (each attempt counts, the SDK's retries included).
    pub throttled: usize,
    /// The fewest stacks the deploy allowed in flight because of throttling.
    pub lowest_concurrency: usize,
}

/// Deploys (or diffs) `domains` of `project` (every domain when empty) to `stage`:
/// producers before their subscribers, independent stacks side by side up to
/// `options.concurrency` and fewer while AWS throttles. A failure stops the stacks that depend
/// on it, not the others. Reports come in deploy order.
pub async fn deploy_all(
    aws: &Aws,
    project: &Project,
    stage: &Name,
    domains: &[Name],
    options: &DeployOptions,
    reporter: Arc<dyn Reporter>,
) -> Result<DeployRun, Error> {
    aws.pressure.reset(options.concurrency);
    let shared =
        Arc::new(Shared { aws: aws.clone(), options: options.clone(), reporter, api_log_role: Default::default() });
    let pressure = Arc::clone(&aws.pressure);
    let stacks = run_in_order(
        project,
        stage,
        domains,
        options,
        || pressure.limit(),
        move |request| {
            let shared = Arc::clone(&shared);
            async move { phases::deploy_stack(&shared, &request).await }
        },
    )
    .await?;
    let (throttled, lowest_concurrency) = aws.pressure.throttling();
    Ok(DeployRun { stacks, stopped: options.stop.reason(), throttled, lowest_concurrency })
}

/// The scheduling of [`deploy_all`], with the per-stack work and the limit as parameters so
/// the order, the limit, the skipping of dependents and stopping are tested without AWS.
pub(crate) async fn run_in_order<L, F, Fut>(
    project: &Project,
    stage: &Name,
    domains: &[Name],
    options: &DeployOptions,
    limit: L,
    deploy: F,
) -> Result<Vec<StackReport>, Error>
where
    L: Fn() -> usize,
    F: Fn(StackRequest) -> Fut,
    Fut: Future<Output = Finished> + Send + 'static,
{
    let selected: Vec<Name> =
        if domains.is_empty() { project.domains.keys().cloned().collect() } else { domains.to_vec() };
    let mut schedule = Schedule::new(project, &selected)?;
    let order = schedule.order();
    let mut requests: BTreeMap<Name, StackRequest> = selected
        .iter()
        .filter_map(|name| project.domains.get(name))
        .map(|domain| (domain.name.clone(), StackRequest::new(project, domain, stage, &options.lock)))
        .collect();
    let mut reports: BTreeMap<Name, StackReport> = BTreeMap::new();
    let mut running = JoinSet::new();
    let mut names = BTreeMap::new();
    let stop = &options.stop;
    loop {
        if !stop.is_stopped() {
            for name in schedule.ready() {
                if running.len() >= limit().max(1) {
                    break;
                }
                schedule.start(&name);
                let Some(request) = requests.remove(&name) else {
                    schedule.finish(&name, false);
                    continue;
                };
                let (domain, stack) = (request.domain.clone(), request.stack.clone());
                let work = deploy(request);
                let handle = running.spawn(async move {
                    let finished = work.await;
                    StackReport {
                        domain,
                        stack,
                        result: finished.result,
                        in_progress: finished.in_progress,
                        contract_changes: finished.contract_changes,
                    }
                });
                names.insert(handle.id(), name);
            }
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
                        transient: false,
                        source: Some(Box::new(err)),
                    }),
                    in_progress: None,
                    contract_changes: Vec::new(),
                }
            }
        };
        // Credentials AWS refuses fail every request that follows: start nothing more.
        if report.result.as_ref().is_err_and(Error::is_environment) {
            stop.stop(StopReason::Environment);
        }
        // A diff changes nothing, so every stack is planned whatever another's plan says.
        let succeeded = options.mode == Mode::Diff || report.succeeded();
        let blocked = schedule.finish(&report.domain, succeeded);
        // Once stopped, what was not started is reported as such, not as skipped.
        for (skipped, because) in blocked.into_iter().filter(|_| !stop.is_stopped()) {
            requests.remove(&skipped);
            reports.insert(
                skipped.clone(),
                StackReport {
                    stack: naming::stack_name(stage, &skipped),
                    domain: skipped,
                    result: Ok(StackOutcome::Skipped { because: because.to_string() }),
                    in_progress: None,
                    contract_changes: Vec::new(),
                },
            );
        }
        reports.insert(report.domain.clone(), report);
        if schedule.is_finished() && running.is_empty() {
            break;
        }
    }
    // Stopped: what never started.
    for (name, request) in requests {
        reports.insert(
            name,
            StackReport {
                domain: request.domain,
                stack: request.stack,
                result: Ok(StackOutcome::NotStarted),
                in_progress: None,
                contract_changes: Vec::new(),
            },
        );
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

    /// Domains `a`, `b`, `c`, `d`, `e`: `b` subscribes to `a`'s topic and `c` to `b`'s, `e` to
    /// `d`'s; `x1` to `x4` stand alone.
    fn project() -> Project {
        let (project, diagnostics) = Project::from_builders(
            Settings::new("/fanout", ["dev"]).unwrap(),
            [
                DomainBuilder::new("a").topic(TopicBuilder::standard("events")),
                DomainBuilder::new("b")
                    .topic(TopicBuilder::standard("events"))
                    .queue(QueueBuilder::standard("inbox").subscribe("a/events")),
                DomainBuilder::new("c").queue(QueueBuilder::standard("inbox").subscribe("b/events")),
                DomainBuilder::new("d").topic(TopicBuilder::standard("events")),
                DomainBuilder::new("e").queue(QueueBuilder::standard("inbox").subscribe("d/events")),
                DomainBuilder::new("x1").queue(QueueBuilder::standard("inbox")),
                DomainBuilder::new("x2").queue(QueueBuilder::standard("inbox")),
                DomainBuilder::new("x3").queue(QueueBuilder::standard("inbox")),
                DomainBuilder::new("x4").queue(QueueBuilder::standard("inbox")),
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

        fn of(&self, domain: &str) -> (Instant, Instant) {
            let runs = self.runs();
            runs.iter().find(|(d, ..)| d == domain).map(|(_, start, end)| (*start, *end)).unwrap()
        }

        fn ran(&self) -> Vec<String> {
            let mut ran: Vec<String> = self.runs().into_iter().map(|(d, ..)| d).collect();
            ran.sort();
            ran
        }

        /// How many pairs of `domains` (all, when empty) ran at the same time.
        fn overlapping_pairs(&self, domains: &[&str]) -> usize {
            let runs: Vec<_> =
                self.runs().into_iter().filter(|(d, ..)| domains.is_empty() || domains.contains(&d.as_str())).collect();
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

    /// A fake per-stack deploy: each domain takes 50 ms (or what `slow` says) and ends as
    /// `end` says; `started` runs as it starts.
    struct Fake {
        slow: Vec<(&'static str, u64)>,
        end: fn(&str) -> Finished,
        started: Box<dyn Fn(&str) + Send + Sync>,
    }

    fn unchanged(_: &str) -> Finished {
        Finished {
            result: Ok(StackOutcome::NoChanges { outputs: BTreeMap::new() }),
            in_progress: None,
            contract_changes: Vec::new(),
        }
    }

    impl Default for Fake {
        fn default() -> Self {
            Self { slow: Vec::new(), end: unchanged, started: Box::new(|_| {}) }
        }
    }

    async fn run_with(
        domains: &[&str],
        options: &DeployOptions,
        limit: impl Fn() -> usize,
        fake: Fake,
    ) -> (Vec<StackReport>, Arc<Recorder>) {
        let recorder = Arc::new(Recorder::default());
        let fake = Arc::new(fake);
        let domains: Vec<Name> = domains.iter().map(|d| name(d)).collect();
        let deploy = |request: StackRequest| {
            let (recorder, fake) = (Arc::clone(&recorder), Arc::clone(&fake));
            async move {
                let domain = request.domain.to_string();
                (fake.started)(&domain);
                let start = Instant::now();
                let now = recorder.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                recorder.most_in_flight.fetch_max(now, Ordering::SeqCst);
                let ms = fake.slow.iter().find(|(d, _)| *d == domain).map_or(50, |(_, ms)| *ms);
                tokio::time::sleep(Duration::from_millis(ms)).await;
                recorder.in_flight.fetch_sub(1, Ordering::SeqCst);
                recorder.runs.lock().unwrap().push((domain.clone(), start, Instant::now()));
                (fake.end)(&domain)
            }
        };
        let reports = run_in_order(&project(), &name("dev"), &domains, options, limit, deploy).await.unwrap();
        (reports, recorder)
    }

    async fn run(domains: &[&str], limit: usize, end: fn(&str) -> Finished) -> (Vec<StackReport>, Arc<Recorder>) {
        run_with(domains, &DeployOptions::default(), move || limit, Fake { end, ..Fake::default() }).await
    }

    fn outcomes(reports: &[StackReport]) -> Vec<(String, String)> {
        reports
            .iter()
            .map(|r| {
                let outcome = match &r.result {
                    Ok(StackOutcome::NoChanges { .. }) => "no_changes".to_string(),
                    Ok(StackOutcome::Failed { .. }) => "failed".to_string(),
                    Ok(StackOutcome::Skipped { because }) => format!("skipped because {because}"),
                    Ok(StackOutcome::NotStarted) => "not_started".to_string(),
                    Ok(StackOutcome::Interrupted) => format!("interrupted, in progress {:?}", r.in_progress),
                    Err(err) => format!("error: {err}"),
                    other => format!("{other:?}"),
                };
                (r.domain.to_string(), outcome)
            })
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[tokio::test]
    async fn independent_stacks_overlap_up_to_the_limit() {
        let (reports, recorder) = run(&["a", "d"], 2, unchanged).await;
        assert_eq!(outcomes(&reports), pairs(&[("a", "no_changes"), ("d", "no_changes")]));
        assert_eq!(recorder.most_in_flight.load(Ordering::SeqCst), 2);
        assert_eq!(recorder.overlapping_pairs(&[]), 1, "a and d ran side by side");
    }

    #[tokio::test]
    async fn independent_stacks_run_one_by_one_at_a_limit_of_one() {
        let (reports, recorder) = run(&["a", "d"], 1, unchanged).await;
        assert_eq!(reports.len(), 2);
        assert_eq!(recorder.most_in_flight.load(Ordering::SeqCst), 1);
        assert_eq!(recorder.overlapping_pairs(&[]), 0);
    }

    #[tokio::test]
    async fn producers_finish_before_their_subscribers_start() {
        let (reports, recorder) = run(&["a", "b", "c", "d"], 4, unchanged).await;
        assert_eq!(reports.iter().map(|r| r.domain.to_string()).collect::<Vec<_>>(), ["a", "d", "b", "c"]);
        assert_eq!(recorder.most_in_flight.load(Ordering::SeqCst), 2, "a and d at first, then b, then c");
        assert!(recorder.of("a").1 <= recorder.of("b").0, "a producer finishes before its subscriber starts");
        assert!(recorder.of("b").1 <= recorder.of("c").0);
    }

    #[tokio::test]
    async fn a_stack_starts_when_its_own_producers_are_done_not_a_whole_level() {
        // `a` is slow; `e` waits only for `d`, which is fast, so `e` runs while `a` still does.
        let fake = Fake { slow: vec![("a", 400)], ..Fake::default() };
        let (_, recorder) = run_with(&["a", "b", "d", "e"], &DeployOptions::default(), || 32, fake).await;
        let (a, d, e) = (recorder.of("a"), recorder.of("d"), recorder.of("e"));
        assert!(d.1 <= e.0 && e.1 < a.1, "e ran between d's end and a's: {:?}", recorder.runs());
        assert!(a.1 <= recorder.of("b").0);
    }

    #[tokio::test]
    async fn the_limit_is_read_before_every_start() {
        // Three start at a limit of 3; the first one to run lowers it to 1 (as throttling
        // would), so the last three run one at a time once the first three are done.
        let limit = Arc::new(AtomicUsize::new(3));
        let lowered = Arc::clone(&limit);
        let fake = Fake { started: Box::new(move |_| lowered.store(1, Ordering::SeqCst)), ..Fake::default() };
        let options = DeployOptions::default();
        let all = ["a", "d", "x1", "x2", "x3", "x4"];
        let (reports, recorder) = run_with(&all, &options, || limit.load(Ordering::SeqCst), fake).await;
        assert!(reports.iter().all(StackReport::succeeded));
        assert_eq!(recorder.overlapping_pairs(&["a", "d", "x1"]), 3, "the first three ran together");
        assert_eq!(recorder.overlapping_pairs(&["x2", "x3", "x4"]), 0, "then one at a time");
        let first_three_end = ["a", "d", "x1"].iter().map(|d| recorder.of(d).1).max().unwrap();
        assert!(recorder.of("x2").0 >= first_three_end, "nothing started above the lower limit");
    }

    #[tokio::test]
    async fn failed_producer_skips_only_its_dependents() {
        fn end(domain: &str) -> Finished {
            if domain == "a" {
                Finished {
                    result: Ok(StackOutcome::Failed { status: "ROLLBACK_COMPLETE".into(), failure: None }),
                    in_progress: None,
                    contract_changes: Vec::new(),
                }
            } else {
                unchanged(domain)
            }
        }
        let (reports, recorder) = run(&["a", "b", "c", "d"], 2, end).await;
        assert_eq!(
            outcomes(&reports),
            pairs(&[("a", "failed"), ("d", "no_changes"), ("b", "skipped because a"), ("c", "skipped because a")])
        );
        assert_eq!(recorder.ran(), ["a", "d"], "skipped stacks are never started");
        assert!(reports[2..].iter().all(|r| !r.succeeded()), "a skipped stack counts as needing action");
    }

    #[tokio::test]
    async fn failed_producer_skips_nothing_in_a_diff() {
        fn end(_: &str) -> Finished {
            Error::ParameterNotFound { name: "/x".into() }.into()
        }
        let options = DeployOptions { mode: Mode::Diff, ..DeployOptions::default() };
        let fake = Fake { end, ..Fake::default() };
        let (reports, recorder) = run_with(&["a", "b", "c", "d"], &options, || 4, fake).await;
        assert_eq!(recorder.ran().len(), 4, "a diff plans every stack");
        assert!(reports.iter().all(|r| r.result.is_err()));
    }

    #[tokio::test]
    async fn a_stop_starts_nothing_more_and_keeps_what_the_running_stacks_report() {
        let options = DeployOptions::default();
        let stop = options.stop.clone();
        fn end(domain: &str) -> Finished {
            match domain {
                "a" => Finished {
                    result: Ok(StackOutcome::Interrupted),
                    in_progress: Some("CREATE_IN_PROGRESS".into()),
                    contract_changes: Vec::new(),
                },
                _ => unchanged(domain),
            }
        }
        let fake = Fake {
            slow: vec![("a", 100)],
            end,
            started: Box::new(move |domain| {
                if domain == "a" {
                    stop.stop(StopReason::Signal("SIGINT"));
                }
            }),
        };
        let (reports, recorder) = run_with(&["a", "b", "c", "d", "x1"], &options, || 2, fake).await;
        assert_eq!(
            outcomes(&reports),
            pairs(&[
                ("a", "interrupted, in progress Some(\"CREATE_IN_PROGRESS\")"),
                ("d", "no_changes"),
                ("x1", "not_started"),
                ("b", "not_started"),
                ("c", "not_started"),
            ])
        );
        assert_eq!(recorder.ran(), ["a", "d"]);
        assert!(!reports[0].succeeded(), "a stack left in progress needs the next deploy");
    }

    #[tokio::test]
    async fn refused_credentials_stop_the_deploy() {
        fn end(domain: &str) -> Finished {
            match domain {
                "x1" => Error::AccessDenied { operation: "DescribeStacks", message: "expired".into() }.into(),
                _ => unchanged(domain),
            }
        }
        let options = DeployOptions::default();
        let (reports, recorder) = run_with(&["x1", "x2", "x3"], &options, || 1, Fake { end, ..Fake::default() }).await;
        assert_eq!(
            outcomes(&reports),
            pairs(&[
                ("x1", "error: AWS rejected the credentials (DescribeStacks): expired"),
                ("x2", "not_started"),
                ("x3", "not_started"),
            ])
        );
        assert_eq!(recorder.ran(), ["x1"]);
        assert_eq!(options.stop.reason(), Some(StopReason::Environment));
    }
}
