//! The least-privilege policy of `examples/ci/iam-policy.json` allows what fanout does: every
//! AWS action `fanout-aws` calls, and what CloudFormation does with the caller's credentials to
//! create every resource type fanout's templates hold.
//!
//! The calls are found in the source: `fanout-aws` writes each SDK call as
//! `aws.<client>.<operation>()…send()`, and a call in any other form fails this test, so a new
//! call can never slip past it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use fanout_tests::{fixtures_dir, load_case};
use serde_json::Value;

/// The clients of `fanout_aws::Aws` and the IAM service prefix of each.
const CLIENTS: &[(&str, &str)] = &[
    ("cfn", "cloudformation"),
    ("ssm", "ssm"),
    ("s3", "s3"),
    ("apigateway", "apigateway"),
    ("sqs", "sqs"),
    ("sns", "sns"),
    ("cloudwatch", "cloudwatch"),
    ("kms", "kms"),
    ("sts", "sts"),
];

/// What creating each resource type fanout emits takes, as an IAM action the caller needs.
const PROVISIONING: &[(&str, &[&str])] = &[
    ("AWS::SQS::Queue", &["sqs:CreateQueue", "sqs:SetQueueAttributes", "sqs:TagQueue"]),
    ("AWS::SQS::QueuePolicy", &["sqs:SetQueueAttributes"]),
    ("AWS::SNS::Topic", &["sns:CreateTopic", "sns:SetTopicAttributes", "sns:TagResource"]),
    ("AWS::SNS::TopicPolicy", &["sns:SetTopicAttributes"]),
    ("AWS::SNS::Subscription", &["sns:Subscribe", "sns:SetSubscriptionAttributes"]),
    ("AWS::KMS::Key", &["kms:CreateKey", "kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:TagResource"]),
    ("AWS::KMS::Alias", &["kms:CreateAlias"]),
    ("AWS::SSM::Parameter", &["ssm:PutParameter", "ssm:AddTagsToResource"]),
    ("AWS::IAM::Role", &["iam:CreateRole", "iam:PutRolePolicy", "iam:TagRole", "iam:PassRole"]),
    ("AWS::ApiGateway::RestApi", &["apigateway:POST", "apigateway:PUT"]),
    ("AWS::ApiGateway::Resource", &["apigateway:POST"]),
    ("AWS::ApiGateway::Method", &["apigateway:PUT"]),
    ("AWS::ApiGateway::Model", &["apigateway:POST"]),
    ("AWS::ApiGateway::RequestValidator", &["apigateway:POST"]),
    ("AWS::ApiGateway::Deployment", &["apigateway:POST"]),
    ("AWS::ApiGateway::Stage", &["apigateway:POST", "apigateway:PATCH"]),
    ("AWS::Logs::LogGroup", &["logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:TagResource"]),
    ("AWS::CloudWatch::Alarm", &["cloudwatch:PutMetricAlarm", "cloudwatch:TagResource"]),
    ("AWS::WAFv2::WebACLAssociation", &["wafv2:AssociateWebACL", "apigateway:SetWebACL"]),
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is in the repo").to_path_buf()
}

fn policy() -> Value {
    let path = repo_root().join("examples/ci/iam-policy.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{} is not JSON: {err}", path.display()))
}

/// The source of `fanout-aws`, without comments, every file in name order.
fn aws_source() -> String {
    let mut files = Vec::new();
    let mut folders = vec![repo_root().join("crates/fanout-aws/src")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("the source folder is readable") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
        .iter()
        .map(|path| std::fs::read_to_string(path).expect("a source file is readable"))
        .flat_map(|text| text.lines().map(str::to_string).collect::<Vec<_>>())
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `(service, operation)` the source calls, or why the calls cannot all be found.
fn sdk_calls(source: &str) -> Result<BTreeSet<(&'static str, String)>, String> {
    let compact: String = source.chars().filter(|c| !c.is_whitespace()).collect();
    let mut calls = BTreeSet::new();
    let mut sites = 0;
    for (client, service) in CLIENTS {
        let needle = format!(".{client}.");
        for (at, _) in compact.match_indices(&needle) {
            let rest = &compact[at + needle.len()..];
            let operation: String = rest.chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
            if !operation.is_empty() && rest[operation.len()..].starts_with("()") {
                sites += 1;
                calls.insert((*service, operation));
            }
        }
    }
    let sends = compact.matches(".send()").count();
    if sends != sites {
        return Err(format!(
            "{sends} `.send()` calls but {sites} calls of the form `aws.<client>.<operation>()`: \
             write every SDK call in that form (clients: {}), so this test sees it",
            CLIENTS.iter().map(|(client, _)| *client).collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(calls)
}

/// The IAM action an SDK operation needs; `None` for the few that need none.
fn iam_action(service: &str, operation: &str) -> Option<String> {
    match (service, operation) {
        ("sts", "get_caller_identity") => return None,
        ("s3", "head_bucket") => return Some("s3:ListBucket".into()),
        ("apigateway", _) => {
            let verb = match operation.split('_').next() {
                Some("get") => "GET",
                Some("create") => "POST",
                Some("update") => "PATCH",
                Some("put") => "PUT",
                Some("delete") => "DELETE",
                _ => panic!("no API Gateway verb known for `{operation}`"),
            };
            return Some(format!("apigateway:{verb}"));
        }
        _ => {}
    }
    // Batch calls are authorized as the single action.
    let operation = operation.strip_suffix("_batch").unwrap_or(operation);
    let pascal: String = operation
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map(|first| first.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect();
    Some(format!("{service}:{pascal}"))
}

/// Whether IAM action pattern `pattern` (with `*` and `?`, case-insensitive) matches `action`.
fn matches(pattern: &str, action: &str) -> bool {
    fn go(p: &[u8], a: &[u8]) -> bool {
        match (p.first(), a.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], a) || (!a.is_empty() && go(p, &a[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &a[1..]),
            (Some(x), Some(y)) if x.eq_ignore_ascii_case(y) => go(&p[1..], &a[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), action.as_bytes())
}

/// The actions of `required` that no `Allow` statement of `policy` grants.
fn not_allowed(policy: &Value, required: impl IntoIterator<Item = String>) -> Vec<String> {
    let statements = policy["Statement"].as_array().expect("a policy has statements");
    let allowed: Vec<&str> = statements
        .iter()
        .filter(|s| s["Effect"] == "Allow")
        .flat_map(|s| match &s["Action"] {
            Value::String(action) => vec![action.as_str()],
            Value::Array(actions) => actions.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        })
        .collect();
    required.into_iter().filter(|action| !allowed.iter().any(|pattern| matches(pattern, action))).collect()
}

#[test]
fn the_policy_allows_every_action_fanout_calls() {
    let calls = sdk_calls(&aws_source()).unwrap_or_else(|why| panic!("{why}"));
    assert!(calls.len() > 20, "found only {} calls: the search is broken", calls.len());
    let required: BTreeSet<String> = calls.iter().filter_map(|(service, op)| iam_action(service, op)).collect();
    let missing = not_allowed(&policy(), required);
    assert!(missing.is_empty(), "examples/ci/iam-policy.json does not allow what fanout calls: {missing:?}");
}

#[test]
fn the_policy_allows_creating_every_resource_type_fanout_emits() {
    let (project, diagnostics) = load_case(&fixtures_dir().join("good"));
    assert!(!diagnostics.has_errors(), "the good fixtures are valid");
    let project = project.expect("a project");
    let stage = &project.settings.stages[0];
    let mut types = BTreeSet::new();
    for domain in project.domains.values() {
        let template: Value = serde_json::from_str(&fanout::synth(&project, domain, stage).to_json()).unwrap();
        for resource in template["Resources"].as_object().expect("resources").values() {
            types.insert(resource["Type"].as_str().expect("a type").to_string());
        }
    }
    let mut required = BTreeSet::new();
    for resource_type in &types {
        let (_, actions) = PROVISIONING.iter().find(|(t, _)| t == resource_type).unwrap_or_else(|| {
            panic!("{resource_type} is new: add what creating it takes to PROVISIONING and the policy")
        });
        required.extend(actions.iter().map(|a| a.to_string()));
    }
    let missing = not_allowed(&policy(), required);
    assert!(missing.is_empty(), "examples/ci/iam-policy.json does not allow provisioning: {missing:?}");
}

#[test]
fn a_call_the_policy_does_not_allow_fails_the_check() {
    let source = "let url = aws.sqs.purge_queue().queue_url(url).send().await?;\n\
                  let out = aws.cfn\n    .describe_stacks()\n    .send()\n    .await?;";
    let calls = sdk_calls(source).expect("both calls are in the recognised form");
    let required: Vec<String> = calls.iter().filter_map(|(service, op)| iam_action(service, op)).collect();
    assert_eq!(required, ["cloudformation:DescribeStacks", "sqs:PurgeQueue"]);
    assert_eq!(not_allowed(&policy(), required), ["sqs:PurgeQueue"]);
}

#[test]
fn a_call_in_another_form_fails_the_search() {
    let source = "let sqs = &aws.sqs;\nsqs.purge_queue().send().await?;";
    assert!(sdk_calls(source).is_err());
}

#[test]
fn action_patterns_match_as_iam_does() {
    assert!(matches("sqs:*", "sqs:SendMessage"));
    assert!(matches("SQS:sendmessage", "sqs:SendMessage"));
    assert!(matches("cloudformation:Describe*", "cloudformation:DescribeStacks"));
    assert!(!matches("cloudformation:Describe*", "cloudformation:DeleteStack"));
    assert!(matches("s3:?etObject", "s3:GetObject"));
    assert_eq!(iam_action("sqs", "send_message_batch").as_deref(), Some("sqs:SendMessage"));
    assert_eq!(iam_action("apigateway", "get_account").as_deref(), Some("apigateway:GET"));
    assert_eq!(iam_action("sts", "get_caller_identity"), None);
}
