//! The AWS commands when the environment is wrong: nothing listening at the endpoint, no
//! credentials, and an API that throttles. No emulator: a closed loopback port, an empty
//! home folder, and a tiny HTTP server in the test that answers as CloudFormation and SSM
//! do when they throttle. Every case must end in a clear message and exit 1 or 2, never a
//! panic, and throttled calls must be retried by the client's own retry settings.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod scratch;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use scratch::{Repo, Run, fanout_command};

const BILLING: &str = "domain: billing\nencryption: service-managed\nqueues:\n  invoices: {}\n";

/// `fanout` with static credentials against `endpoint`, and nothing from this machine's
/// AWS setup: no profile files, no instance metadata (which would leave the loopback).
fn command(home: &Path, dir: &Path, endpoint: &str, args: &[&str]) -> Command {
    let mut command = fanout_command(dir, args);
    command
        .env("HOME", home)
        .env("AWS_CONFIG_FILE", home.join("no-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("no-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "123456789012")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env_remove("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .env_remove("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .env_remove("AWS_WEB_IDENTITY_TOKEN_FILE")
        .env_remove("AWS_ROLE_ARN");
    command
}

/// A loopback port where nothing listens. Not a free port from the OS: it could be handed
/// to a test server of another test (they bind port 0) while `fanout` still retries it.
/// Port 1 is below the ephemeral range, so nothing here binds it.
fn closed_port() -> u16 {
    const PORT: u16 = 1;
    let refused =
        TcpStream::connect(("127.0.0.1", PORT)).is_err_and(|err| err.kind() == std::io::ErrorKind::ConnectionRefused);
    assert!(refused, "these tests need nothing listening on 127.0.0.1:{PORT}");
    PORT
}

fn assert_no_panic(run: &Run) {
    assert!(!run.stderr.contains("panicked"), "{run}");
}

#[test]
fn unreachable_endpoint_is_an_environment_error_naming_the_endpoint() {
    let home = tempfile::tempdir().unwrap();
    let repo = Repo::new(&[("billing.yaml", BILLING)]);
    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    let commands: [&[&str]; 4] = [
        &["deploy", "--stage", "dev"],
        &["diff", "--stage", "dev"],
        &["destroy", "--stage", "dev", "billing", "--yes"],
        &["lookup", "--stage", "dev", "ingestion/events"],
    ];
    // The client retries a refused connection with backoff before giving up; run the
    // commands side by side.
    let runs: Vec<(String, Run)> = std::thread::scope(|scope| {
        let handles: Vec<_> = commands
            .iter()
            .map(|args| {
                let (home, repo, endpoint) = (home.path(), repo.path(), endpoint.as_str());
                scope.spawn(move || (args[0].to_string(), Run::of(command(home, repo, endpoint, args))))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (name, run) in runs {
        assert_eq!(run.code, 2, "{name}: {run}");
        assert_no_panic(&run);
        assert_eq!(
            run.stderr.matches(&format!("Cannot reach AWS at `{endpoint}`")).count(),
            1,
            "said once: {name}: {run}"
        );
        assert!(run.stderr.contains("hint: check the network, or `AWS_ENDPOINT_URL`"), "{name}: {run}");
        assert!(run.stdout.is_empty(), "{name}: {run}");
    }
}

#[test]
fn missing_credentials_are_an_environment_error_with_a_hint() {
    let home = tempfile::tempdir().unwrap();
    let repo = Repo::new(&[("billing.yaml", BILLING)]);
    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    for args in [&["deploy", "--stage", "dev"][..], &["lookup", "--stage", "dev", "ingestion/events"]] {
        let mut without = command(home.path(), repo.path(), &endpoint, args);
        without.env_remove("AWS_ACCESS_KEY_ID").env_remove("AWS_SECRET_ACCESS_KEY");
        let run = Run::of(without);
        assert_eq!(run.code, 2, "{run}");
        assert_no_panic(&run);
        assert!(run.stderr.starts_with("error: No AWS credentials found\n"), "{run}");
        assert!(
            run.stderr.contains(
                "hint: set `AWS_PROFILE` or pass `--profile`, or set `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`"
            ),
            "{run}"
        );
    }

    let mut unknown_profile =
        command(home.path(), repo.path(), &endpoint, &["deploy", "--stage", "dev", "--profile", "nobody"]);
    unknown_profile.env_remove("AWS_ACCESS_KEY_ID").env_remove("AWS_SECRET_ACCESS_KEY");
    let run = Run::of(unknown_profile);
    assert_eq!(run.code, 2, "{run}");
    assert_no_panic(&run);
    assert!(run.stderr.starts_with("error: No AWS credentials found for profile `nobody`"), "{run}");
    assert!(run.stderr.contains("hint: "), "{run}");
}

/// What the fake AWS endpoint answers to one request.
struct Answer {
    status: u16,
    content_type: &'static str,
    body: String,
}

/// An HTTP server on a loopback port that answers the first `throttle` requests with a
/// throttling error in the protocol of the service asked, and the later ones with `ok`.
/// Records the operation of every request it saw.
struct ThrottlingServer {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// The operation of a request: `X-Amz-Target` and the parameter `Name` for the JSON
/// protocol (SSM), `Action=` in the form body for the query protocol (CloudFormation).
fn operation(headers: &[String], body: &str) -> String {
    let target = headers.iter().find_map(|h| {
        let (name, value) = h.split_once(':')?;
        name.eq_ignore_ascii_case("x-amz-target").then(|| value.trim().to_string())
    });
    let parameter = || serde_json::from_str::<serde_json::Value>(body).ok()?.get("Name")?.as_str().map(str::to_string);
    target.map(|target| format!("{target} {}", parameter().unwrap_or_default())).unwrap_or_else(|| {
        body.split('&')
            .find_map(|pair| pair.strip_prefix("Action="))
            .map_or_else(|| "unknown".to_string(), |a| format!("cloudformation.{a}"))
    })
}

fn throttled(operation: &str) -> Answer {
    if operation.starts_with("AmazonSSM.") {
        Answer {
            status: 400,
            content_type: "application/x-amz-json-1.1",
            body: r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.to_string(),
        }
    } else {
        Answer {
            status: 400,
            content_type: "text/xml",
            body: "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>".to_string(),
        }
    }
}

fn handle(
    mut stream: TcpStream,
    seen: &Mutex<Vec<String>>,
    throttle: usize,
    ok: &dyn Fn(&str) -> Answer,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let line = line.trim_end().to_string();
        if line.is_empty() {
            break;
        }
        headers.push(line);
    }
    let length = headers
        .iter()
        .find_map(|h| {
            h.split_once(':')
                .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                .map(|(_, v)| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let operation = operation(&headers, &String::from_utf8_lossy(&body));
    let count = {
        let mut seen = seen.lock().unwrap();
        seen.push(operation.clone());
        seen.len()
    };
    let answer = if count <= throttle { throttled(&operation) } else { ok(&operation) };
    write!(
        stream,
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nx-amzn-RequestId: test-{count}\r\nConnection: close\r\n\r\n{}",
        answer.status,
        if answer.status == 200 { "OK" } else { "Bad Request" },
        answer.content_type,
        answer.body.len(),
        answer.body
    )?;
    stream.flush()
}

impl ThrottlingServer {
    fn start(throttle: usize, ok: fn(&str) -> Answer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (seen, stop) = (Arc::clone(&seen), Arc::clone(&stop));
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        let _ = handle(stream, &seen, throttle, &ok);
                    }
                }
            })
        };
        Self { port, seen, stop, thread: Some(thread) }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for ThrottlingServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

const TOPIC_ARN: &str = "arn:aws:sns:us-east-1:123456789012:dev-ingestion-events";
const GET_TOPIC_ARN: &str = "AmazonSSM.GetParameter /fanout/dev/ingestion/topics/events/arn";

/// SSM `GetParameter` (the topic's ARN; no other parameter) and CloudFormation
/// `DescribeStacks` (no stacks) as AWS answers them.
fn ok(operation: &str) -> Answer {
    match operation {
        GET_TOPIC_ARN => Answer {
            status: 200,
            content_type: "application/x-amz-json-1.1",
            body: format!(r#"{{"Parameter":{{"Name":"/fanout/dev/ingestion/topics/events/arn","Type":"String","Value":"{TOPIC_ARN}","Version":1}}}}"#),
        },
        _ if operation.starts_with("AmazonSSM.GetParameter ") => Answer {
            status: 400,
            content_type: "application/x-amz-json-1.1",
            body: r#"{"__type":"ParameterNotFound","message":"Parameter not found"}"#.to_string(),
        },
        "cloudformation.DescribeStacks" => Answer {
            status: 200,
            content_type: "text/xml",
            body: r#"<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks/></DescribeStacksResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeStacksResponse>"#.to_string(),
        },
        other => Answer { status: 400, content_type: "text/plain", body: format!("unexpected {other}") },
    }
}

/// `fanout` with `args` against `server`, in a scratch repo with domain `billing`.
fn run_against(server: &ThrottlingServer, args: &[&str]) -> Run {
    let home = tempfile::tempdir().unwrap();
    let repo = Repo::new(&[("billing.yaml", BILLING)]);
    Run::of(command(home.path(), repo.path(), &server.endpoint(), args))
}

#[test]
fn throttled_ssm_calls_are_retried_until_they_succeed() {
    let server = ThrottlingServer::start(3, ok);
    let run = run_against(&server, &["lookup", "--stage", "dev", "ingestion/events"]);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.stdout, format!("{TOPIC_ARN}\n"));
    let seen = server.seen();
    assert_eq!(seen[..4], [GET_TOPIC_ARN; 4], "three throttled tries, then the one that succeeded: {seen:?}");
    assert!(!seen[4..].contains(&GET_TOPIC_ARN.to_string()), "asked once it succeeded: {seen:?}");
}

#[test]
fn throttled_cloudformation_calls_are_retried_until_they_succeed() {
    let server = ThrottlingServer::start(3, ok);
    let run = run_against(&server, &["destroy", "--stage", "dev", "billing", "--yes"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("Stack `dev-billing` does not exist; nothing to delete"), "{run}");
    assert_eq!(
        server.seen(),
        ["cloudformation.DescribeStacks"; 4],
        "three throttled tries, then the one that succeeded"
    );
}

#[test]
fn throttling_that_does_not_end_is_a_clear_error_after_the_retries() {
    let server = ThrottlingServer::start(usize::MAX, ok);
    let run = run_against(&server, &["lookup", "--stage", "dev", "ingestion/events"]);
    assert_eq!(run.code, 1, "{run}");
    assert_no_panic(&run);
    assert!(run.stderr.starts_with("error: AWS GetParameter failed: Rate exceeded\n"), "{run}");
    // The retry configuration of `fanout-aws` (`client.rs`): six attempts in all.
    assert_eq!(server.seen(), [GET_TOPIC_ARN; 6]);
}

/// CloudFormation with one stack, `dev-billing`, that another tool deployed from a YAML
/// template: a queue without `DeletionPolicy: Retain`.
fn yaml_stack(operation: &str) -> Answer {
    const NS: &str = "http://cloudformation.amazonaws.com/doc/2010-05-15/";
    let xml = |body: String| Answer { status: 200, content_type: "text/xml", body };
    match operation {
        "cloudformation.DescribeStacks" => xml(format!(
            r#"<DescribeStacksResponse xmlns="{NS}"><DescribeStacksResult><Stacks><member><StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/dev-billing/1</StackId><StackName>dev-billing</StackName><StackStatus>CREATE_COMPLETE</StackStatus><CreationTime>2025-01-01T00:00:00Z</CreationTime></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeStacksResponse>"#
        )),
        "cloudformation.ListStackResources" => xml(format!(
            r#"<ListStackResourcesResponse xmlns="{NS}"><ListStackResourcesResult><StackResourceSummaries><member><LogicalResourceId>InvoicesQueue</LogicalResourceId><PhysicalResourceId>https://sqs.us-east-1.amazonaws.com/123456789012/dev-billing-invoices</PhysicalResourceId><ResourceType>AWS::SQS::Queue</ResourceType><LastUpdatedTimestamp>2025-01-01T00:00:00Z</LastUpdatedTimestamp><ResourceStatus>CREATE_COMPLETE</ResourceStatus></member></StackResourceSummaries></ListStackResourcesResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></ListStackResourcesResponse>"#
        )),
        "cloudformation.GetTemplate" => xml(format!(
            "<GetTemplateResponse xmlns=\"{NS}\"><GetTemplateResult><TemplateBody>Resources:\n  InvoicesQueue:\n    Type: AWS::SQS::Queue\n</TemplateBody></GetTemplateResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetTemplateResponse>"
        )),
        other => Answer { status: 400, content_type: "text/plain", body: format!("unexpected {other}") },
    }
}

#[test]
fn destroy_refuses_a_stack_whose_template_it_cannot_read() {
    let server = ThrottlingServer::start(0, yaml_stack);
    let run = run_against(&server, &["destroy", "--stage", "dev", "billing", "--yes"]);
    assert_eq!(run.code, 1, "{run}");
    assert_no_panic(&run);
    assert_eq!(
        run.stderr,
        "error: Cannot tell which resources of stack `dev-billing` would be retained: its template is not JSON, as fanout's templates are\n  hint: nothing was deleted; delete the stack with the tool that deployed it, or with `aws cloudformation delete-stack --stack-name dev-billing`\n",
        "{run}"
    );
    assert_eq!(
        server.seen(),
        ["cloudformation.DescribeStacks", "cloudformation.ListStackResources", "cloudformation.GetTemplate"],
        "nothing deleted"
    );
}
