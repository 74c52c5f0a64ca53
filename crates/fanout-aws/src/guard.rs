//! The replacement guard: which differences between the deployed template and the new one
//! would replace or remove a resource that holds messages, keys or the topic contract.
//!
//! The guard does not trust the change set's `Replacement` field alone (emulators and
//! CloudFormation itself report `Conditional` where the answer is known): it knows the
//! create-only properties of the resource types fanout emits, from the CloudFormation
//! registry schemas, and compares the two templates itself. What the change set reports is
//! added on top, which catches replacements the template text cannot show, such as a
//! subscribed topic whose ARN changed in SSM.
//!
//! Pure: templates and plans in, findings out.

use std::fmt;

use fanout::diagnostic::quote_list;
use serde::Serialize;
use serde_json::Value;

use crate::plan::{Action, Plan, Replacement};

/// What the guard knows about one resource type.
struct Rule {
    resource_type: &'static str,
    /// What the resource is, in a message: "queue", "topic".
    noun: &'static str,
    /// Properties whose change makes CloudFormation create a new resource and delete the old.
    create_only: &'static [&'static str],
    /// Properties CloudFormation refuses to change at all: the update fails.
    immutable: &'static [&'static str],
    /// Whether replacing or removing the resource loses something: messages, a key, the SSM
    /// name consumers look a topic up by. Otherwise a finding is a warning.
    guarded: bool,
}

/// Create-only properties from the registry schemas (`createOnlyProperties`); KMS's
/// immutable ones from the `AWS::KMS::Key` reference ("If you change the value of the
/// KeySpec, KeyUsage, Origin, or MultiRegion properties of an existing KMS key, the update
/// request fails, regardless of the value of the UpdateReplacePolicy attribute").
const RULES: &[Rule] = &[
    Rule {
        resource_type: "AWS::SQS::Queue",
        noun: "queue",
        create_only: &["FifoQueue", "QueueName"],
        immutable: &[],
        guarded: true,
    },
    Rule {
        resource_type: "AWS::SNS::Topic",
        noun: "topic",
        create_only: &["FifoTopic", "TopicName"],
        immutable: &[],
        guarded: true,
    },
    Rule {
        resource_type: "AWS::KMS::Key",
        noun: "KMS key",
        create_only: &[],
        immutable: &["KeySpec", "KeyUsage", "Origin", "MultiRegion"],
        guarded: true,
    },
    Rule {
        resource_type: "AWS::SSM::Parameter",
        noun: "SSM parameter",
        create_only: &["Name"],
        immutable: &[],
        guarded: true,
    },
    Rule {
        resource_type: "AWS::SNS::Subscription",
        noun: "subscription",
        create_only: &["Endpoint", "Protocol", "TopicArn"],
        immutable: &[],
        guarded: false,
    },
];

fn rule(resource_type: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.resource_type == resource_type)
}

/// Why a resource is affected.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum FindingKind {
    /// A create-only property differs between the templates.
    Replaced { property: String, before: Option<Value>, after: Option<Value> },
    /// The change set replaces the resource although the template text of its create-only
    /// properties is unchanged: a value resolved at deploy time (an SSM lookup) changed.
    ReplacedByChangeSet { properties: Vec<String> },
    /// The resource is no longer in the template.
    Removed,
    /// The resource type under this logical ID changed.
    TypeChanged { before: String },
    /// A property CloudFormation refuses to change on an existing resource.
    Immutable { property: String, before: Option<Value>, after: Option<Value> },
}

/// One resource the new template would replace or remove.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    pub(crate) logical_id: String,
    pub(crate) resource_type: String,
    #[serde(flatten)]
    pub(crate) kind: FindingKind,
    /// Whether the finding stops a deploy without `--allow-replacement`.
    pub(crate) guarded: bool,
}

impl Finding {
    /// Whether this finding stops the deploy. Immutable properties stop it always: the
    /// update would fail in CloudFormation anyway.
    pub fn blocks(&self, allow_replacement: bool) -> bool {
        match self.kind {
            FindingKind::Immutable { .. } => true,
            _ => self.guarded && !allow_replacement,
        }
    }

    fn noun(&self) -> &'static str {
        rule(&self.resource_type).map_or("resource", |rule| rule.noun)
    }

    /// What to do about it, for a `hint:` line.
    pub fn hint(&self) -> &'static str {
        match (&self.kind, self.guarded) {
            (FindingKind::Immutable { .. }, _) => {
                "CloudFormation cannot change this property of an existing key; add a new key under a new logical ID instead"
            }
            (_, true) => {
                "messages or settings held by the old resource are not moved; pass `--allow-replacement` to deploy anyway"
            }
            (_, false) => "messages published while the subscription is recreated are not delivered to the queue",
        }
    }
}

fn show(value: Option<&Value>) -> String {
    match value {
        None => "(unset)".to_string(),
        Some(Value::String(text)) => format!("`{text}`"),
        Some(other) => format!("`{other}`"),
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (noun, id) = (self.noun(), &self.logical_id);
        match &self.kind {
            FindingKind::Replaced { property, before, after } => write!(
                f,
                "{noun} `{id}` would be replaced: `{property}` changes from {} to {}",
                show(before.as_ref()),
                show(after.as_ref())
            ),
            FindingKind::ReplacedByChangeSet { properties } if properties.is_empty() => {
                write!(f, "{noun} `{id}` would be replaced (CloudFormation says so)")
            }
            FindingKind::ReplacedByChangeSet { properties } => {
                write!(f, "{noun} `{id}` would be replaced: {} changes at deploy time", quote_list(properties))
            }
            FindingKind::Removed => write!(f, "{noun} `{id}` would be removed from the stack"),
            FindingKind::TypeChanged { before } => {
                write!(f, "`{id}` would be replaced: its type changes from `{before}` to `{}`", self.resource_type)
            }
            FindingKind::Immutable { property, before, after } => write!(
                f,
                "{noun} `{id}` cannot be updated: `{property}` changes from {} to {}",
                show(before.as_ref()),
                show(after.as_ref())
            ),
        }
    }
}

/// Equal as CloudFormation sees them: `true` and `"true"`, `5` and `"5"` are the same value.
fn same(a: Option<&Value>, b: Option<&Value>) -> bool {
    fn scalar(value: &Value) -> Option<String> {
        match value {
            Value::Bool(b) => Some(b.to_string()),
            Value::Number(n) => Some(n.to_string()),
            Value::String(s) => Some(s.to_ascii_lowercase()),
            _ => None,
        }
    }
    match (a, b) {
        (None, None) => true,
        // An unset boolean is `false` for the create-only flags (`FifoQueue`, `FifoTopic`).
        (None, Some(v)) | (Some(v), None) => scalar(v).is_some_and(|s| s == "false"),
        (Some(a), Some(b)) => a == b || matches!((scalar(a), scalar(b)), (Some(x), Some(y)) if x == y),
    }
}

fn resources(template: &Value) -> impl Iterator<Item = (&String, &Value)> {
    template.get("Resources").and_then(Value::as_object).into_iter().flatten()
}

fn type_of(resource: &Value) -> &str {
    resource.get("Type").and_then(Value::as_str).unwrap_or_default()
}

fn property<'a>(resource: &'a Value, name: &str) -> Option<&'a Value> {
    resource.get("Properties").and_then(|p| p.get(name))
}

/// The findings for deploying `new` over `deployed` (`None` when the deployed template
/// could not be read: only the change set counts then), with the change set's `plan`.
pub(crate) fn check(deployed: Option<&Value>, new: &Value, plan: &Plan) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some(deployed) = deployed {
        for (logical_id, old) in resources(deployed) {
            let old_type = type_of(old);
            let Some(rule) = rule(old_type) else { continue };
            let finding = |kind| Finding {
                logical_id: logical_id.clone(),
                resource_type: old_type.to_string(),
                kind,
                guarded: rule.guarded,
            };
            let Some(current) = new.get("Resources").and_then(|r| r.get(logical_id)) else {
                findings.push(finding(FindingKind::Removed));
                continue;
            };
            if type_of(current) != old_type {
                findings.push(Finding {
                    resource_type: type_of(current).to_string(),
                    ..finding(FindingKind::TypeChanged { before: old_type.to_string() })
                });
                continue;
            }
            for name in rule.create_only {
                let (before, after) = (property(old, name), property(current, name));
                if !same(before, after) {
                    findings.push(finding(FindingKind::Replaced {
                        property: (*name).to_string(),
                        before: before.cloned(),
                        after: after.cloned(),
                    }));
                }
            }
            for name in rule.immutable {
                let (before, after) = (property(old, name), property(current, name));
                if before.is_some() && after.is_some() && !same(before, after) {
                    findings.push(finding(FindingKind::Immutable {
                        property: (*name).to_string(),
                        before: before.cloned(),
                        after: after.cloned(),
                    }));
                }
            }
        }
    }
    for change in &plan.changes {
        let Some(rule) = rule(&change.resource_type) else { continue };
        if findings.iter().any(|f| f.logical_id == change.logical_id) {
            continue;
        }
        let kind = match change.action {
            Action::Remove => FindingKind::Removed,
            Action::Modify if change.replacement == Some(Replacement::Always) => {
                FindingKind::ReplacedByChangeSet { properties: change.recreated_by.clone() }
            }
            _ => continue,
        };
        findings.push(Finding {
            logical_id: change.logical_id.clone(),
            resource_type: change.resource_type.clone(),
            kind,
            guarded: rule.guarded,
        });
    }
    findings.sort_by(|a, b| a.logical_id.cmp(&b.logical_id));
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ResourceChange;
    use serde_json::json;

    fn queue(name: &str, fifo: Option<bool>) -> Value {
        let mut properties = json!({ "QueueName": name, "VisibilityTimeout": 30 });
        if let Some(fifo) = fifo {
            properties["FifoQueue"] = json!(fifo);
        }
        json!({ "Type": "AWS::SQS::Queue", "Properties": properties })
    }

    fn template(resources: Value) -> Value {
        json!({ "Resources": resources })
    }

    fn messages(findings: &[Finding]) -> Vec<String> {
        findings.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn standard_to_fifo_queue_is_a_guarded_replacement() {
        let old = template(json!({ "RunsQueue": queue("dev-scoring-runs", None) }));
        let new = template(json!({ "RunsQueue": queue("dev-scoring-runs.fifo", Some(true)) }));
        let findings = check(Some(&old), &new, &Plan::default());
        assert_eq!(
            messages(&findings),
            [
                "queue `RunsQueue` would be replaced: `FifoQueue` changes from (unset) to `true`",
                "queue `RunsQueue` would be replaced: `QueueName` changes from `dev-scoring-runs` to `dev-scoring-runs.fifo`",
            ]
        );
        assert!(findings.iter().all(|f| f.blocks(false) && !f.blocks(true)));
    }

    #[test]
    fn in_place_queue_changes_pass() {
        let old = template(json!({ "RunsQueue": queue("runs", Some(false)) }));
        let mut changed = queue("runs", None);
        changed["Properties"]["VisibilityTimeout"] = json!(900);
        let new = template(json!({ "RunsQueue": changed }));
        assert_eq!(check(Some(&old), &new, &Plan::default()), []);
    }

    #[test]
    fn string_and_boolean_flags_compare_equal() {
        let old = template(
            json!({ "T": { "Type": "AWS::SNS::Topic", "Properties": { "TopicName": "t.fifo", "FifoTopic": "true" } } }),
        );
        let new = template(
            json!({ "T": { "Type": "AWS::SNS::Topic", "Properties": { "TopicName": "t.fifo", "FifoTopic": true } } }),
        );
        assert_eq!(check(Some(&old), &new, &Plan::default()), []);
    }

    #[test]
    fn removed_topic_and_parameter_are_guarded() {
        let old = template(json!({
            "ReadyTopic": { "Type": "AWS::SNS::Topic", "Properties": { "TopicName": "ready" } },
            "ReadyTopicArnParameter": { "Type": "AWS::SSM::Parameter", "Properties": { "Name": "/fanout/dev/a/topics/ready/arn" } },
            "ReadyTopicPolicy": { "Type": "AWS::SNS::TopicPolicy", "Properties": {} },
        }));
        let findings = check(Some(&old), &template(json!({})), &Plan::default());
        assert_eq!(
            messages(&findings),
            [
                "topic `ReadyTopic` would be removed from the stack",
                "SSM parameter `ReadyTopicArnParameter` would be removed from the stack",
            ]
        );
        assert!(findings.iter().all(|f| f.blocks(false)));
    }

    #[test]
    fn renamed_ssm_parameter_is_guarded() {
        let param = |name: &str| json!({ "Type": "AWS::SSM::Parameter", "Properties": { "Name": name, "Value": "x" } });
        let old = template(json!({ "P": param("/fanout/dev/a/topics/t/arn") }));
        let new = template(json!({ "P": param("/other/dev/a/topics/t/arn") }));
        let findings = check(Some(&old), &new, &Plan::default());
        assert_eq!(
            messages(&findings),
            [
                "SSM parameter `P` would be replaced: `Name` changes from `/fanout/dev/a/topics/t/arn` to `/other/dev/a/topics/t/arn`"
            ]
        );
    }

    #[test]
    fn kms_key_spec_change_is_refused_even_when_replacement_is_allowed() {
        let key = |spec: &str| json!({ "Type": "AWS::KMS::Key", "Properties": { "KeySpec": spec, "KeyUsage": "ENCRYPT_DECRYPT" } });
        let old = template(json!({ "Key": key("SYMMETRIC_DEFAULT") }));
        let new = template(json!({ "Key": key("RSA_2048") }));
        let findings = check(Some(&old), &new, &Plan::default());
        assert_eq!(
            messages(&findings),
            ["KMS key `Key` cannot be updated: `KeySpec` changes from `SYMMETRIC_DEFAULT` to `RSA_2048`"]
        );
        assert!(findings[0].blocks(true));
    }

    #[test]
    fn subscription_topic_change_is_a_warning() {
        let sub = |topic: Value| json!({ "Type": "AWS::SNS::Subscription", "Properties": { "TopicArn": topic, "Protocol": "sqs", "Endpoint": "q" } });
        let old = template(json!({ "S": sub(json!({ "Ref": "ATopic" })) }));
        let new = template(json!({ "S": sub(json!({ "Ref": "BTopic" })) }));
        let findings = check(Some(&old), &new, &Plan::default());
        assert_eq!(
            messages(&findings),
            [
                "subscription `S` would be replaced: `TopicArn` changes from `{\"Ref\":\"ATopic\"}` to `{\"Ref\":\"BTopic\"}`"
            ]
        );
        assert!(!findings[0].blocks(false));
    }

    #[test]
    fn change_set_replacement_counts_when_templates_agree() {
        // A subscribed topic was replaced upstream: same template, new resolved ARN.
        let sub = json!({ "Type": "AWS::SNS::Subscription", "Properties": { "TopicArn": { "Ref": "IngestionReadyTopicArn" } } });
        let same_template = template(json!({ "S": sub, "Q": queue("q", None) }));
        let plan = Plan::new(vec![
            ResourceChange {
                logical_id: "S".into(),
                resource_type: "AWS::SNS::Subscription".into(),
                action: Action::Modify,
                replacement: Some(Replacement::Always),
                physical_id: Some("arn:sub".into()),
                recreated_by: vec!["TopicArn".into()],
            },
            ResourceChange {
                logical_id: "Q".into(),
                resource_type: "AWS::SQS::Queue".into(),
                action: Action::Modify,
                replacement: Some(Replacement::Conditional),
                physical_id: None,
                recreated_by: vec![],
            },
        ]);
        let findings = check(Some(&same_template), &same_template, &plan);
        assert_eq!(messages(&findings), ["subscription `S` would be replaced: `TopicArn` changes at deploy time"]);
    }

    #[test]
    fn unreadable_deployed_template_falls_back_to_the_change_set() {
        let plan = Plan::new(vec![ResourceChange {
            logical_id: "RunsQueue".into(),
            resource_type: "AWS::SQS::Queue".into(),
            action: Action::Remove,
            replacement: None,
            physical_id: Some("https://queue".into()),
            recreated_by: vec![],
        }]);
        let findings = check(None, &template(json!({})), &plan);
        assert_eq!(messages(&findings), ["queue `RunsQueue` would be removed from the stack"]);
    }

    #[test]
    fn type_change_under_same_logical_id_is_guarded() {
        let old = template(json!({ "X": queue("x", None) }));
        let new = template(json!({ "X": { "Type": "AWS::SNS::Topic", "Properties": {} } }));
        let findings = check(Some(&old), &new, &Plan::default());
        assert_eq!(
            messages(&findings),
            ["`X` would be replaced: its type changes from `AWS::SQS::Queue` to `AWS::SNS::Topic`"]
        );
        assert!(findings[0].blocks(false));
    }
}
