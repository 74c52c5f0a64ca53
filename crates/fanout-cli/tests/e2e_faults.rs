//! End-to-end: `fanout deploy` when AWS throttles, fails inside, drops connections, refuses
//! credentials part-way, or the deploy is interrupted by a signal (also while it imports what
//! `destroy` retained); and what an unchanged redeploy costs. Each test starts its own emulator, and the fault-injecting proxy
//! (`tests/emulator/fault_proxy.py`) between `fanout` and it, with the test's rules.
//!
//! After every scenario: nothing was deleted or replaced, and no change set fanout created is
//! left behind unexecuted. Random faults come from a seed that every failure message names;
//! `FANOUT_FAULT_SEED=N` replays it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod emulator;
mod endpoints;
mod proxy;
mod scratch;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use emulator::{Account, Emulator};
use endpoints::set_api_log_role;
use proxy::{FaultProxy, send_signal};
use scratch::{Repo, Run};
use serde_json::json;

/// A domain that publishes topic `events`.
fn producer(domain: &str) -> (String, String) {
    (format!("{domain}.yaml"), format!("domain: {domain}\nencryption: service-managed\ntopics:\n  events: {{}}\n"))
}

/// A domain whose queue subscribes to `topic`; with `publishes`, it has its own topic too.
fn consumer(domain: &str, topic: &str, publishes: bool) -> (String, String) {
    let topics = if publishes { "topics:\n  events: {}\n" } else { "" };
    (
        format!("{domain}.yaml"),
        format!(
            "domain: {domain}\nencryption: service-managed\n{topics}queues:\n  inbox:\n    subscriptions:\n      - topic: {topic}\n"
        ),
    )
}

/// A domain with one queue and no subscription: it depends on nothing.
fn standalone(domain: &str) -> (String, String) {
    (format!("{domain}.yaml"), format!("domain: {domain}\nencryption: service-managed\nqueues:\n  inbox: {{}}\n"))
}

fn repo(manifests: &[(String, String)]) -> Repo {
    let borrowed: Vec<(&str, &str)> = manifests.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    Repo::new(&borrowed)
}

/// `a` publishes and `b` subscribes to it; `c` and `d` stand alone. `a`, `c` and `d` are
/// ready at once, `b` once `a` is deployed.
fn four_domains() -> Repo {
    repo(&[producer("a"), consumer("b", "a/events", false), standalone("c"), standalone("d")])
}

fn stacks(domains: &[&str]) -> Vec<String> {
    domains.iter().map(|d| format!("dev-{d}")).collect()
}

/// `fanout` with `args` against `account` through `proxy`.
fn through(account: &Account, proxy: &FaultProxy, dir: &Path, args: &[&str]) -> Command {
    let mut command = account.command(dir, args);
    command.env("AWS_ENDPOINT_URL", proxy.endpoint());
    command
}

/// A started `fanout`, with its output going to files (a pipe nobody reads could fill up and
/// block it).
struct Running {
    child: Child,
    stdout: tempfile::NamedTempFile,
    stderr: tempfile::NamedTempFile,
}

impl Running {
    fn spawn(mut command: Command) -> Self {
        let stdout = tempfile::NamedTempFile::new().unwrap();
        let stderr = tempfile::NamedTempFile::new().unwrap();
        command.stdout(Stdio::from(stdout.reopen().unwrap())).stderr(Stdio::from(stderr.reopen().unwrap()));
        Self { child: command.spawn().unwrap(), stdout, stderr }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for it to exit; kills it and fails the test after `timeout`.
    fn finish(mut self, timeout: Duration, context: &dyn Fn() -> String) -> Run {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "fanout did not exit within {timeout:?}\n--- stderr\n{}\n{}",
                    std::fs::read_to_string(self.stderr.path()).unwrap_or_default(),
                    context()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        Run {
            code: status.code().unwrap_or(-1),
            stdout: std::fs::read_to_string(self.stdout.path()).unwrap(),
            stderr: std::fs::read_to_string(self.stderr.path()).unwrap(),
        }
    }
}

/// Checks what must hold after any fault: every stack complete, none of its resources ever
/// deleted (a replacement deletes the old resource) or rolled back, and no change set named
/// by fanout left unexecuted.
async fn assert_clean(account: &Account, stacks: &[String], context: &str) {
    let config = account.config().await;
    let cfn = aws_sdk_cloudformation::Client::new(&config);
    for stack in stacks {
        let described = cfn.describe_stacks().stack_name(stack).send().await.unwrap();
        let status = described.stacks()[0].stack_status().unwrap().as_str().to_string();
        assert!(status == "CREATE_COMPLETE" || status == "UPDATE_COMPLETE", "{stack} is {status}\n{context}");

        let mut token = None;
        loop {
            let page = cfn.describe_stack_events().stack_name(stack).set_next_token(token).send().await.unwrap();
            for event in page.stack_events() {
                let status = event.resource_status().map(|s| s.as_str()).unwrap_or_default();
                assert!(
                    !status.starts_with("DELETE") && !status.contains("ROLLBACK"),
                    "{stack}: {} {status}\n{context}",
                    event.logical_resource_id().unwrap_or_default()
                );
            }
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }

        let change_sets = cfn.list_change_sets().stack_name(stack).send().await.unwrap();
        let left: Vec<String> = change_sets
            .summaries()
            .iter()
            .filter(|c| c.change_set_name().is_some_and(|n| n.starts_with("fanout-")))
            .filter(|c| c.execution_status().map(|s| s.as_str()) != Some("EXECUTE_COMPLETE"))
            .map(|c| format!("{} {:?}", c.change_set_name().unwrap_or_default(), c.execution_status()))
            .collect();
        assert!(left.is_empty(), "{stack}: change sets left behind: {left:?}\n{context}");
    }
}

async fn stack_status(account: &Account, stack: &str) -> String {
    let cfn = aws_sdk_cloudformation::Client::new(&account.config().await);
    let described = cfn.describe_stacks().stack_name(stack).send().await.unwrap();
    described.stacks()[0].stack_status().unwrap().as_str().to_string()
}

#[tokio::test]
async fn twenty_domains_deploy_under_throttling_and_server_errors_on_every_action() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "110000000001");
    // Five producers and fifteen subscribers: pre-flight lookups, ordering and every call of
    // a deploy, each throttled or failed at random.
    let mut manifests: Vec<(String, String)> = (0..5).map(|i| producer(&format!("p{i}"))).collect();
    manifests.extend((0..15).map(|i| consumer(&format!("c{i}"), &format!("p{}/events", i % 5), false)));
    let repo = repo(&manifests);
    let rules = json!([
        { "action": "*", "fault": "throttle", "share": 0.10 },
        { "action": "*", "fault": "throttle-429", "share": 0.10 },
        { "action": "*", "fault": "error-500", "share": 0.025 },
        { "action": "*", "fault": "error-503", "share": 0.025 },
    ]);
    let proxy = FaultProxy::start(&emulator, &rules, proxy::seed());

    let run = Run::of(through(&account, &proxy, repo.path(), &["deploy", "--stage", "dev"]));
    let context = proxy.context();
    assert_eq!(run.code, 0, "{run}\n{context}");
    let all: Vec<String> =
        manifests.iter().map(|(file, _)| format!("dev-{}", file.trim_end_matches(".yaml"))).collect();
    for stack in &all {
        assert!(run.stderr.contains(&format!("ok: stack `{stack}`: CREATE_COMPLETE")), "{stack}: {run}\n{context}");
    }
    let counts = proxy.counts();
    let faults: u64 = counts["faults"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|f| f.as_object().unwrap().values())
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert!(faults > 0, "{context}");
    // The SDK classified the proxy's answers as throttling, and fanout's limit saw it.
    assert!(run.stderr.contains("AWS throttled "), "{run}\n{context}");
    let executed = counts["executed"].as_array().unwrap();
    assert_eq!(executed.len(), 20, "each change set executed once: {context}");
    assert_clean(&account, &all, &context).await;
}

#[tokio::test]
async fn connection_resets_while_executing_and_following_are_recovered_without_executing_twice() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "110000000002");
    let repo = repo(&[standalone("w"), standalone("x"), standalone("y"), standalone("z")]);
    let rules = json!([
        // Forwarded, then the connection reset: executed, and fanout cannot know it.
        { "action": "ExecuteChangeSet", "fault": "reset-after", "nth": [1] },
        // Reset before it reaches CloudFormation: not executed.
        { "action": "ExecuteChangeSet", "fault": "reset", "nth": [2] },
        { "action": "DescribeStacks", "fault": "reset", "nth": [5, 7] },
        { "action": "DescribeStackEvents", "fault": "reset-after", "nth": [1, 3] },
    ]);
    let proxy = FaultProxy::start(&emulator, &rules, proxy::seed());

    let run = Run::of(through(&account, &proxy, repo.path(), &["deploy", "--stage", "dev"]));
    let context = proxy.context();
    assert_eq!(run.code, 0, "{run}\n{context}");
    let all = stacks(&["w", "x", "y", "z"]);
    for stack in &all {
        assert!(run.stderr.contains(&format!("ok: stack `{stack}`: CREATE_COMPLETE")), "{stack}: {run}\n{context}");
    }
    let counts = proxy.counts();
    let mut executed: Vec<&str> = counts["executed"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    executed.sort_unstable();
    executed.dedup();
    assert_eq!(executed.len(), 4, "every change set reached CloudFormation exactly once: {context}");
    assert_eq!(counts["forwarded"]["ExecuteChangeSet"], 4, "{context}");
    // The one reset before it was forwarded was sent again, after reading it back unexecuted;
    // the one reset after was read back executed and not sent again.
    assert_eq!(counts["received"]["ExecuteChangeSet"], 5, "{context}");
    assert_clean(&account, &all, &context).await;
}

#[tokio::test]
async fn sigint_while_change_sets_are_computed_deletes_them_and_the_next_deploy_converges() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "110000000003");
    let repo = four_domains();
    // CloudFormation takes its time computing change sets: the deploy waits on them.
    let rules = json!([{ "action": "DescribeChangeSet", "fault": "delay", "seconds": 60, "nth": [1, 2, 3, 4, 5, 6] }]);
    let proxy = FaultProxy::start(&emulator, &rules, proxy::seed());

    let running = Running::spawn(through(&account, &proxy, repo.path(), &["deploy", "--stage", "dev"]));
    // `a`, `c` and `d` are ready at once (`b` waits for `a`); all three are being computed.
    proxy.wait_for("three change sets being computed", Duration::from_secs(60), |c| {
        c["received"]["CreateChangeSet"] == 3 && c["received"]["DescribeChangeSet"].as_u64().unwrap_or(0) >= 3
    });
    send_signal(running.pid(), "INT");
    let run = running.finish(Duration::from_secs(60), &|| proxy.context());
    let context = proxy.context();
    assert_eq!(run.code, 130, "{run}\n{context}");
    assert!(run.stderr.contains("interrupted by SIGINT: no new stack was started\n"), "{run}");
    for stack in stacks(&["a", "c", "d"]) {
        assert!(run.stderr.contains(&format!("{stack} stopped: deleted change set `fanout-")), "{run}");
    }
    assert!(run.stderr.contains("  stopped before changing anything: `dev-a`, `dev-c`, `dev-d`\n"), "{run}");
    assert!(run.stderr.contains("  not started: `dev-b`\n"), "{run}");
    assert!(run.stderr.contains("  hint: run the same command again"), "{run}");
    let counts = proxy.counts();
    assert_eq!(counts["received"]["DeleteChangeSet"], 3, "{context}");
    assert!(counts["received"].get("ExecuteChangeSet").is_none(), "nothing executed: {context}");
    let cfn = aws_sdk_cloudformation::Client::new(&account.config().await);
    for stack in stacks(&["a", "c", "d"]) {
        let left = cfn.list_change_sets().stack_name(&stack).send().await.unwrap();
        assert!(left.summaries().is_empty(), "{stack}: {:?}", left.summaries());
    }

    proxy.set_rules(&json!([]));
    let again = Run::of(through(&account, &proxy, repo.path(), &["deploy", "--stage", "dev"]));
    assert_eq!(again.code, 0, "{again}\n{}", proxy.context());
    let all = stacks(&["a", "b", "c", "d"]);
    for stack in &all {
        assert!(again.stderr.contains(&format!("ok: stack `{stack}`: CREATE_COMPLETE")), "{stack}: {again}");
    }
    assert_clean(&account, &all, &proxy.context()).await;
}

#[tokio::test]
async fn sigterm_while_stacks_are_in_progress_leaves_them_running_and_the_next_deploy_converges() {
    // Each stack operation stays in progress for 6 s, as CloudFormation's take their time.
    let emulator = Emulator::start_with(&["--stack-operation-delay", "6"]);
    let account = Account::new(&emulator, "110000000004");
    let repo = four_domains();
    let proxy = FaultProxy::start(&emulator, &json!([]), proxy::seed());

    let running = Running::spawn(through(&account, &proxy, repo.path(), &["deploy", "--stage", "dev"]));
    proxy.wait_for("three change sets executed", Duration::from_secs(60), |c| {
        c["executed"].as_array().is_some_and(|e| e.len() == 3)
    });
    send_signal(running.pid(), "TERM");
    let run = running.finish(Duration::from_secs(60), &|| proxy.context());
    let context = proxy.context();
    assert_eq!(run.code, 130, "{run}\n{context}");
    assert!(run.stderr.contains("received SIGTERM: stopping"), "{run}");
    assert!(run.stderr.contains("interrupted by SIGTERM: no new stack was started\n"), "{run}");
    assert!(
        run.stderr.contains(
            "  in progress in CloudFormation, not cancelled: `dev-a` (CREATE_IN_PROGRESS), `dev-c` (CREATE_IN_PROGRESS), `dev-d` (CREATE_IN_PROGRESS)\n"
        ),
        "{run}"
    );
    assert!(run.stderr.contains("  not started: `dev-b`\n"), "{run}");
    for stack in stacks(&["a", "c", "d"]) {
        // Not cancelled: still creating, or created since.
        let status = stack_status(&account, &stack).await;
        assert!(status == "CREATE_IN_PROGRESS" || status == "CREATE_COMPLETE", "{stack}: {status}");
    }

    let again = Run::of(through(&account, &proxy, repo.path(), &["deploy", "--stage", "dev"]));
    assert_eq!(again.code, 0, "{again}\n{}", proxy.context());
    for stack in stacks(&["a", "c", "d"]) {
        // Waited for if still running, then found unchanged: no second change set.
        assert!(again.stderr.contains(&format!("ok: stack `{stack}`: no changes")), "{stack}: {again}");
    }
    assert!(again.stderr.contains("ok: stack `dev-b`: CREATE_COMPLETE"), "{again}");
    assert_eq!(proxy.counts()["received"]["CreateChangeSet"], 4, "one change set per stack in both runs");
    assert_clean(&account, &stacks(&["a", "b", "c", "d"]), &proxy.context()).await;
}

#[tokio::test]
async fn expired_credentials_part_way_are_an_environment_error_naming_where_each_stack_stands() {
    let emulator = Emulator::start_with(&["--stack-operation-delay", "2"]);
    let account = Account::new(&emulator, "110000000005");
    // `a` first; then `b` and `c`, which subscribe to it; `e` subscribes to `b`.
    let repo = repo(&[
        producer("a"),
        consumer("b", "a/events", true),
        consumer("c", "a/events", false),
        consumer("e", "b/events", false),
    ]);
    // Once `b` and `c` are executing, every request is refused for the rest of the run.
    let rules = json!([{ "action": "*", "fault": "expired", "after": { "action": "ExecuteChangeSet", "count": 3 } }]);
    let proxy = FaultProxy::start(&emulator, &rules, proxy::seed());

    let run = Run::of(through(&account, &proxy, repo.path(), &["deploy", "--stage", "dev"]));
    let context = proxy.context();
    assert_eq!(run.code, 2, "{run}\n{context}");
    assert!(run.stderr.contains("error: AWS rejected the credentials ("), "{run}");
    assert!(run.stderr.contains("The security token included in the request is expired\n"), "{run}");
    assert!(run.stderr.contains("  hint: check the credentials"), "{run}");
    assert!(run.stderr.contains("  done: `dev-a`\n"), "{run}");
    assert!(
        run.stderr.contains(
            "  in progress in CloudFormation, not cancelled: `dev-b` (CREATE_IN_PROGRESS), `dev-c` (CREATE_IN_PROGRESS)\n"
        ),
        "{run}"
    );
    assert!(run.stderr.contains("  not started: `dev-e`\n"), "{run}");
    assert!(!run.stderr.contains("panicked"), "{run}");

    proxy.set_rules(&json!([]));
    let again = Run::of(through(&account, &proxy, repo.path(), &["deploy", "--stage", "dev"]));
    assert_eq!(again.code, 0, "{again}\n{}", proxy.context());
    assert!(again.stderr.contains("ok: stack `dev-e`: CREATE_COMPLETE"), "{again}");
    assert_clean(&account, &stacks(&["a", "b", "c", "e"]), &proxy.context()).await;
}

#[tokio::test]
async fn revoked_credentials_at_the_first_execution_leave_one_stack_in_progress_and_start_no_other() {
    let emulator = Emulator::start_with(&["--stack-operation-delay", "2"]);
    let account = Account::new(&emulator, "110000000006");
    let repo = repo(&[producer("a"), consumer("b", "a/events", false), consumer("c", "a/events", false)]);
    let rules = json!([{ "action": "*", "fault": "revoked", "after": { "action": "ExecuteChangeSet", "count": 1 } }]);
    let proxy = FaultProxy::start(&emulator, &rules, proxy::seed());

    let run = Run::of(through(&account, &proxy, repo.path(), &["deploy", "--stage", "dev"]));
    let context = proxy.context();
    assert_eq!(run.code, 2, "{run}\n{context}");
    assert!(run.stderr.contains("The security token included in the request is invalid."), "{run}");
    assert!(!run.stderr.contains("  done:"), "{run}");
    assert!(
        run.stderr.contains("  in progress in CloudFormation, not cancelled: `dev-a` (CREATE_IN_PROGRESS)\n"),
        "{run}"
    );
    assert!(run.stderr.contains("  not started: `dev-b`, `dev-c`\n"), "{run}");

    proxy.set_rules(&json!([]));
    let again = Run::of(through(&account, &proxy, repo.path(), &["deploy", "--stage", "dev"]));
    assert_eq!(again.code, 0, "{again}\n{}", proxy.context());
    assert_clean(&account, &stacks(&["a", "b", "c"]), &proxy.context()).await;
}

#[tokio::test]
async fn unchanged_redeploy_creates_no_change_set_and_makes_at_most_three_calls_per_stack() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "110000000007");
    let repo = Repo::seed();
    // The seed's REST APIs need API Gateway's CloudWatch Logs role in the account.
    set_api_log_role(&emulator, &account);
    assert_eq!(account.fanout(repo.path(), &["deploy", "--stage", "dev"]).code, 0);
    let proxy = FaultProxy::start(&emulator, &json!([]), proxy::seed());

    let run = Run::of(through(&account, &proxy, repo.path(), &["deploy", "--stage", "dev"]));
    let counts = proxy.counts();
    assert_eq!(run.code, 0, "{run}\n{counts}");
    for stack in ["dev-ingestion", "dev-scoring", "dev-reporting"] {
        assert!(run.stderr.contains(&format!("ok: stack `{stack}`: no changes")), "{run}");
    }
    let received = counts["received"].as_object().unwrap();
    assert!(!received.contains_key("CreateChangeSet"), "no change set: {counts}");
    let calls: u64 = received.values().map(|n| n.as_u64().unwrap()).sum();
    // DescribeStacks and GetTemplate for each, and one GetParameters for each: the topics the
    // stack subscribes to and the contracts of those it publishes, read together; and once per
    // deploy, as the seed has REST APIs, API Gateway's logging role (GetAccount).
    assert!(calls <= 3 * 3 + 1, "{calls} calls for 3 stacks: {counts}");
    assert_eq!(counts["received"]["GetAccount"], 1, "{counts}");
    assert_eq!(counts["received"]["DescribeStacks"], 3, "{counts}");
    assert_eq!(counts["received"]["GetTemplate"], 3, "{counts}");
    assert_eq!(counts["received"]["GetParameters"], 3, "{counts}");

    // `--force` asks CloudFormation anyway; it finds nothing, and the change sets are deleted.
    let forced = Run::of(through(&account, &proxy, repo.path(), &["deploy", "--stage", "dev", "--force"]));
    assert_eq!(forced.code, 0, "{forced}");
    assert_eq!(proxy.counts()["received"]["CreateChangeSet"], 3, "{}", proxy.counts());
    for stack in ["dev-ingestion", "dev-scoring", "dev-reporting"] {
        assert!(forced.stderr.contains(&format!("ok: stack `{stack}`: no changes")), "{forced}");
    }
    assert_clean(&account, &stacks(&["ingestion", "scoring", "reporting"]), &proxy.context()).await;
}

#[tokio::test]
async fn sigterm_while_importing_after_destroy_leaves_it_running_and_a_throttled_next_deploy_finishes() {
    // Each stack operation, the import included, stays in progress for 3 s.
    let emulator = Emulator::start_with(&["--stack-operation-delay", "3"]);
    let account = Account::new(&emulator, "110000000008");
    let repo = repo(&[standalone("c")]);
    assert_eq!(account.fanout(repo.path(), &["deploy", "--stage", "dev"]).code, 0);
    assert_eq!(account.fanout(repo.path(), &["destroy", "--stage", "dev", "c", "--yes"]).code, 0);
    let proxy = FaultProxy::start(&emulator, &json!([]), proxy::seed());

    // The deploy finds the retained queues and imports them; stopped once the import runs.
    let running = Running::spawn(through(&account, &proxy, repo.path(), &["deploy", "--stage", "dev"]));
    proxy.wait_for("the import executed", Duration::from_secs(60), |c| {
        c["executed"].as_array().is_some_and(|e| e.len() == 1)
    });
    send_signal(running.pid(), "TERM");
    let run = running.finish(Duration::from_secs(60), &|| proxy.context());
    let context = proxy.context();
    assert_eq!(run.code, 130, "{run}\n{context}");
    assert!(run.stderr.contains("creating change set `fanout-"), "{run}");
    assert!(run.stderr.contains("(IMPORT)"), "{run}");
    assert!(
        run.stderr.contains("  in progress in CloudFormation, not cancelled: `dev-c` (IMPORT_IN_PROGRESS)\n"),
        "{run}\n{context}"
    );
    let status = stack_status(&account, "dev-c").await;
    assert!(status == "IMPORT_IN_PROGRESS" || status == "IMPORT_COMPLETE", "not cancelled: {status}");

    // The next deploy, throttled at random on every action, waits for the import and brings
    // the rest of the template as an update: the import is not run again.
    proxy.set_rules(&json!([{ "action": "*", "fault": "throttle", "share": 0.2 }]));
    let again = Run::of(through(&account, &proxy, repo.path(), &["deploy", "--stage", "dev"]));
    let context = proxy.context();
    assert_eq!(again.code, 0, "{again}\n{context}");
    assert!(again.stderr.contains("ok: stack `dev-c`: UPDATE_COMPLETE"), "{again}\n{context}");
    assert!(!again.stderr.contains("(IMPORT)"), "{again}");
    let executed = proxy.counts()["executed"].as_array().unwrap().len();
    assert_eq!(executed, 2, "the import once, then the update: {context}");
    assert_clean(&account, &stacks(&["c"]), &context).await;
}
