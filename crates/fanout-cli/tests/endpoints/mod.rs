//! API Gateway endpoints in the end-to-end tests: the account's CloudWatch Logs role, signed
//! calls to a stack's publish and poll endpoints, stack outputs, and boto3 for what the tests
//! have no Rust client of their own for.

// Each test target uses its own part of this module.
#![allow(dead_code)]
#![allow(clippy::panic, clippy::unwrap_used, reason = "a failed call stops the test at the step that failed")]

use crate::emulator::{Account, Emulator};

/// Gives API Gateway its CloudWatch Logs role in the account, as an administrator does once
/// per account and region.
pub fn set_api_log_role(emulator: &Emulator, account: &Account) {
    const SCRIPT: &str = r#"
role = f"arn:aws:iam::{ACCOUNT}:role/apigateway-cloudwatch-logs"
client("apigateway").update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}])
print(json.dumps(role))
"#;
    boto3(emulator, account, SCRIPT, &[]);
}

/// Runs `script` with the emulator's own Python and boto3 (the tests have no API Gateway,
/// CloudWatch or SigV4 client of their own) and parses what it prints as JSON. The script
/// sees `ARGS` (`args`), `ENDPOINT`, `CA`, `ACCOUNT` and `client(service)`, a boto3 client
/// for this account.
pub fn boto3(emulator: &Emulator, account: &Account, script: &str, args: &[&str]) -> serde_json::Value {
    const PREAMBLE: &str = r#"
import json, sys, boto3
ENDPOINT, CA, ACCOUNT = sys.argv[1:4]
ARGS = sys.argv[4:]
def client(service):
    return boto3.client(service, endpoint_url=ENDPOINT, verify=CA, region_name="us-east-1",
                        aws_access_key_id=ACCOUNT, aws_secret_access_key="test")
"#;
    let output = std::process::Command::new(&emulator.python)
        .args([
            "-c",
            &format!("{PREAMBLE}{script}"),
            &account.endpoint,
            &emulator.ca.display().to_string(),
            &account.id,
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|err| panic!("{err}: {}", String::from_utf8_lossy(&output.stdout)))
}

/// An HTTPS call to an API Gateway endpoint URL as a stack output gives it
/// (`https://{api}.execute-api.{region}.{suffix}/{stage}/{path}`), sent to the emulator's
/// route for that API, with `query` and a SigV4 signature for `execute-api` as the
/// account's root. Returns the status and the body.
pub fn call_endpoint(
    emulator: &Emulator,
    account: &Account,
    method: &str,
    url: &str,
    query: &[(&str, &str)],
) -> (u16, String) {
    const SCRIPT: &str = r#"
import ssl, urllib.parse, urllib.request, urllib.error
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
method, url, query = ARGS
parts = urllib.parse.urlsplit(url)
api = parts.hostname.split(".execute-api.")[0]
url = f"{ENDPOINT}/_aws/execute-api/{api}{parts.path}?{urllib.parse.urlencode(json.loads(query))}"
request = AWSRequest(method=method, url=url, data=b"")
SigV4Auth(Credentials(ACCOUNT, "test"), "execute-api", "us-east-1").add_auth(request)
prepared = request.prepare()
sent = urllib.request.Request(prepared.url, method=method, headers=dict(prepared.headers))
try:
    with urllib.request.urlopen(sent, context=ssl.create_default_context(cafile=CA), timeout=30) as response:
        print(json.dumps({"status": response.status, "body": response.read().decode()}))
except urllib.error.HTTPError as err:
    print(json.dumps({"status": err.code, "body": err.read().decode()}))
"#;
    let query: serde_json::Map<String, serde_json::Value> =
        query.iter().map(|(k, v)| ((*k).to_string(), serde_json::json!(v))).collect();
    let answer = boto3(emulator, account, SCRIPT, &[method, url, &serde_json::Value::Object(query).to_string()]);
    (answer["status"].as_u64().unwrap_or_default() as u16, answer["body"].as_str().unwrap_or_default().to_string())
}

/// The value of output `key` of stack `stack`.
pub async fn stack_output(config: &aws_config::SdkConfig, stack: &str, key: &str) -> String {
    let stacks = aws_sdk_cloudformation::Client::new(config).describe_stacks().stack_name(stack).send().await.unwrap();
    let outputs = stacks.stacks()[0].outputs();
    outputs
        .iter()
        .find(|output| output.output_key() == Some(key))
        .and_then(|output| output.output_value())
        .unwrap_or_else(|| panic!("stack `{stack}` has no output `{key}`: {outputs:?}"))
        .to_string()
}

/// The text of the first `<tag>` element of an XML document, entities decoded.
pub fn xml_text<'a>(xml: &'a str, tag: &str) -> Option<String> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = start + xml[start..].find(&format!("</{tag}>"))?;
    let text: &'a str = &xml[start..end];
    Some(
        text.replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}
