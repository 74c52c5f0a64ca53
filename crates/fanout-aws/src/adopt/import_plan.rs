//! What a new stack takes back from a destroyed one: which of its resources may have been
//! retained, which of those found may be imported, the template of the `IMPORT` change set,
//! and the plan that shows it.
//!
//! `destroy` keeps queues, topics and keys (`DeletionPolicy: Retain`). On AWS a new stack
//! that creates them again under the same names fails ("already exists"); CloudFormation can
//! import them instead. fanout imports only what its own stacks of the same domain and stage
//! left behind: every resource those stacks create carries the stack tags `fanout:domain` and
//! `fanout:stage`, which CloudFormation propagates and which stay on a retained resource.
//!
//! Pure: templates, tags and what the lookups found in, decisions out.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::guard;
use crate::plan::{Action, Plan, ResourceChange};

/// The stack tag naming the domain of a fanout stack (set in `phases.rs`).
pub(crate) const DOMAIN_TAG: &str = "fanout:domain";
/// The stack tag naming the stage of a fanout stack (set in `phases.rs`).
pub(crate) const STAGE_TAG: &str = "fanout:stage";

/// The domain and stage a stack deploys, which a resource must be tagged for to be imported.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Owner<'a> {
    pub domain: &'a str,
    pub stage: &'a str,
}

impl Owner<'_> {
    fn owns(&self, tags: &BTreeMap<String, String>) -> bool {
        tags.get(DOMAIN_TAG).map(String::as_str) == Some(self.domain)
            && tags.get(STAGE_TAG).map(String::as_str) == Some(self.stage)
    }
}

/// How a retained resource of the template is found in the account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// An `AWS::SQS::Queue`, by its `QueueName`.
    Queue { name: String },
    /// An `AWS::SNS::Topic`, by its `TopicName`.
    Topic { name: String },
    /// An `AWS::KMS::Key`: it has no name, so it is the key the imported queues and topics
    /// that use it are encrypted with.
    Key,
}

/// A resource of the new stack that a destroyed stack may have left behind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub logical_id: String,
    pub lookup: Lookup,
    /// The logical ID of the template's key the resource is encrypted with, if any.
    pub key: Option<String>,
}

/// The resource types fanout retains and can import, with the identifier CloudFormation
/// imports each by (the type's `primaryIdentifier` in the registry schema).
const IDENTIFIERS: &[(&str, &str)] =
    &[("AWS::SQS::Queue", "QueueUrl"), ("AWS::SNS::Topic", "TopicArn"), ("AWS::KMS::Key", "KeyId")];

fn identifier_of(resource_type: &str) -> Option<&'static str> {
    IDENTIFIERS.iter().find(|(kind, _)| *kind == resource_type).map(|(_, identifier)| *identifier)
}

fn is_retained(resource: &Value) -> bool {
    matches!(resource.get("DeletionPolicy").and_then(Value::as_str), Some("Retain" | "RetainExceptOnCreate"))
}

fn literal<'a>(resource: &'a Value, property: &str) -> Option<&'a str> {
    resource.get("Properties")?.get(property)?.as_str().filter(|s| !s.is_empty())
}

/// The logical ID a `KmsMasterKeyId` refers to: `Fn::GetAtt [Key, Arn]` or `Ref Key`.
fn key_reference(resource: &Value) -> Option<String> {
    let key = resource.get("Properties")?.get("KmsMasterKeyId")?;
    let target = match (key.get("Fn::GetAtt"), key.get("Ref")) {
        (Some(Value::Array(parts)), _) => parts.first()?.as_str()?,
        (Some(Value::String(dotted)), _) => dotted.split('.').next()?,
        (None, Some(Value::String(id))) => id,
        _ => return None,
    };
    Some(target.to_string())
}

/// The resources of `template` that its stack's deletion keeps and that fanout can find
/// again: retained queues and topics with a literal name, and retained keys. In template
/// order (by logical ID).
pub(crate) fn candidates(template: &Value) -> Vec<Candidate> {
    let resources = template.get("Resources").and_then(Value::as_object).into_iter().flatten();
    resources
        .filter(|(_, resource)| is_retained(resource))
        .filter_map(|(logical_id, resource)| {
            let lookup = match resource.get("Type").and_then(Value::as_str)? {
                "AWS::SQS::Queue" => Lookup::Queue { name: literal(resource, "QueueName")?.to_string() },
                "AWS::SNS::Topic" => Lookup::Topic { name: literal(resource, "TopicName")?.to_string() },
                "AWS::KMS::Key" => Lookup::Key,
                _ => return None,
            };
            Some(Candidate { logical_id: logical_id.clone(), lookup, key: key_reference(resource) })
        })
        .collect()
}

/// A resource found in the account under the physical name of one of the template's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Found {
    pub logical_id: String,
    pub resource_type: String,
    /// The value of its import identifier: the queue's URL, the topic's ARN, the key's ID.
    pub identifier: String,
    /// Its name in messages: the queue's or topic's name, the key's ARN.
    pub name: String,
    pub tags: BTreeMap<String, String>,
    /// The key it is encrypted with, as the service reports it (`KmsMasterKeyId`).
    pub encrypted_with: Option<String>,
}

/// A resource with one of a new stack's physical names that is not the stack's own to take
/// back: it is tagged for another domain or stage, or not by fanout at all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ForeignResource {
    /// The logical ID of the template's resource with that name.
    pub logical_id: String,
    /// Its type, like `AWS::SQS::Queue`.
    pub resource_type: String,
    /// Its name in the account.
    pub name: String,
    /// Its `fanout:domain` tag, if it has one.
    pub domain: Option<String>,
    /// Its `fanout:stage` tag, if it has one.
    pub stage: Option<String>,
}

impl fmt::Display for ForeignResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let noun = match self.resource_type.as_str() {
            "AWS::SQS::Queue" => "queue",
            "AWS::SNS::Topic" => "topic",
            "AWS::KMS::Key" => "KMS key",
            other => other,
        };
        write!(f, "{noun} `{}` ({}) ", self.name, self.logical_id)?;
        let tags: Vec<String> = [(DOMAIN_TAG, &self.domain), (STAGE_TAG, &self.stage)]
            .into_iter()
            .filter_map(|(key, value)| value.as_ref().map(|value| format!("`{key}={value}`")))
            .collect();
        if tags.is_empty() {
            write!(f, "has no `{DOMAIN_TAG}` or `{STAGE_TAG}` tag")
        } else {
            write!(f, "is tagged {}", tags.join(", "))
        }
    }
}

/// What to do with the resources found under the stack's physical names: import them all
/// when each is tagged for `owner`, or refuse them all (the ones that are not) when any is
/// not, so a stack never starts with part of another domain's resources.
pub(crate) fn decide(found: Vec<Found>, owner: Owner<'_>) -> Result<Vec<Found>, Vec<ForeignResource>> {
    let foreign: Vec<ForeignResource> = found
        .iter()
        .filter(|f| !owner.owns(&f.tags))
        .map(|f| ForeignResource {
            logical_id: f.logical_id.clone(),
            resource_type: f.resource_type.clone(),
            name: f.name.clone(),
            domain: f.tags.get(DOMAIN_TAG).cloned(),
            stage: f.tags.get(STAGE_TAG).cloned(),
        })
        .collect();
    if foreign.is_empty() { Ok(found) } else { Err(foreign) }
}

/// The key to look for: the template's retained key (by logical ID) and the one key every
/// imported queue and topic that uses it is encrypted with, as they report it. `None` when
/// none of them uses it or they disagree: the stack then creates its key anew, and the update
/// after the import encrypts them with it.
pub(crate) fn key_to_find(candidates: &[Candidate], imports: &[Found]) -> Option<(String, String)> {
    let key = candidates.iter().find(|c| c.lookup == Lookup::Key)?;
    let users = candidates.iter().filter(|c| c.key.as_deref() == Some(key.logical_id.as_str()));
    let mut used: Vec<&str> = users
        .filter_map(|c| imports.iter().find(|f| f.logical_id == c.logical_id))
        .map(|f| f.encrypted_with.as_deref().unwrap_or_default())
        .collect();
    used.sort_unstable();
    used.dedup();
    match used.as_slice() {
        [one] if !one.is_empty() => Some((key.logical_id.clone(), (*one).to_string())),
        _ => None,
    }
}

/// Whether a found key may be imported: a customer-managed key that is enabled (not pending
/// deletion or disabled) and tagged for `owner`. Any other key is left alone.
pub(crate) fn key_is_adoptable(key: &Found, customer_managed: bool, enabled: bool, owner: Owner<'_>) -> bool {
    customer_managed && enabled && owner.owns(&key.tags)
}

fn has_intrinsic(value: &Value) -> bool {
    match value {
        Value::Object(map) => {
            map.keys().any(|k| k == "Ref" || k.starts_with("Fn::")) || map.values().any(has_intrinsic)
        }
        Value::Array(items) => items.iter().any(has_intrinsic),
        _ => false,
    }
}

/// The template of the `IMPORT` change set: the imported resources alone, each with its
/// `DeletionPolicy` and `UpdateReplacePolicy` and only the properties that make it what it
/// is (names, FIFO flags, a key's immutable settings), as literals.
///
/// An import may add nothing else (no other resource, no output) and applies no property;
/// everything else comes in the update that follows, which thereby also sets every other
/// property of the imported resources to what the template says, whatever the retained
/// resource had.
pub(crate) fn import_template(template: &Value, imports: &[Found]) -> Value {
    let mut resources = Map::new();
    for import in imports {
        let Some(resource) = template.get("Resources").and_then(|r| r.get(&import.logical_id)) else { continue };
        let mut properties = Map::new();
        for name in guard::identity_properties(&import.resource_type) {
            if let Some(value) = resource.get("Properties").and_then(|p| p.get(name)).filter(|v| !has_intrinsic(v)) {
                properties.insert(name.to_string(), value.clone());
            }
        }
        let mut imported = Map::new();
        imported.insert("Type".into(), json!(import.resource_type));
        for policy in ["DeletionPolicy", "UpdateReplacePolicy"] {
            if let Some(value) = resource.get(policy) {
                imported.insert(policy.into(), value.clone());
            }
        }
        imported.insert("Properties".into(), Value::Object(properties));
        resources.insert(import.logical_id.clone(), Value::Object(imported));
    }
    let version = template.get("AWSTemplateFormatVersion").cloned().unwrap_or_else(|| json!("2010-09-09"));
    json!({ "AWSTemplateFormatVersion": version, "Resources": resources })
}

/// The identifier CloudFormation imports `found` by: (`QueueUrl`, its URL) and so on.
pub(crate) fn identifier(found: &Found) -> Option<(&'static str, &str)> {
    identifier_of(&found.resource_type).map(|key| (key, found.identifier.as_str()))
}

fn import_change(found: &Found) -> ResourceChange {
    ResourceChange {
        logical_id: found.logical_id.clone(),
        resource_type: found.resource_type.clone(),
        action: Action::Import,
        replacement: None,
        physical_id: Some(found.identifier.clone()),
        recreated_by: Vec::new(),
    }
}

/// The plan of a new stack that imports `imports`: those imported, the rest of `template`
/// added.
pub(crate) fn planned(template: &Value, imports: &[Found]) -> Plan {
    let created = Plan::create(template);
    let changes = created
        .changes
        .into_iter()
        .map(|change| match imports.iter().find(|f| f.logical_id == change.logical_id) {
            Some(found) => import_change(found),
            None => change,
        })
        .collect();
    Plan::new(changes)
}

/// What a deploy did in all: the `imported` resources, if any, and the `update` that
/// followed, whose changes to an imported resource (setting the properties the import left
/// out) are part of its import.
pub(crate) fn merged(imported: Option<&Plan>, update: Plan) -> Plan {
    let Some(imported) = imported else { return update };
    let is_imported = |id: &str| imported.changes.iter().any(|c| c.logical_id == id);
    let mut changes: Vec<ResourceChange> =
        update.changes.into_iter().filter(|c| !(c.action == Action::Modify && is_imported(&c.logical_id))).collect();
    changes.extend(imported.changes.iter().cloned());
    Plan::new(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNER: Owner<'static> = Owner { domain: "billing", stage: "dev" };

    /// A template like fanout's: a retained key, a FIFO queue and its DLQ encrypted with it,
    /// a standard topic, a non-retained alert topic, a queue policy, and an output.
    fn template() -> Value {
        let key = json!({ "Fn::GetAtt": ["Key", "Arn"] });
        json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Parameters": { "UpstreamTopicArn": { "Type": "AWS::SSM::Parameter::Value<String>" } },
            "Resources": {
                "Key": {
                    "Type": "AWS::KMS::Key", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                    "Properties": { "EnableKeyRotation": true, "KeyPolicy": { "Statement": [] }, "Tags": [] },
                },
                "InvoicesQueue": {
                    "Type": "AWS::SQS::Queue", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                    "Properties": {
                        "QueueName": "dev-billing-invoices.fifo", "FifoQueue": true, "KmsMasterKeyId": key.clone(),
                        "VisibilityTimeout": 60,
                        "RedrivePolicy": { "deadLetterTargetArn": { "Fn::GetAtt": ["InvoicesDeadLetterQueue", "Arn"] } },
                    },
                },
                "InvoicesDeadLetterQueue": {
                    "Type": "AWS::SQS::Queue", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                    "Properties": { "QueueName": "dev-billing-invoices-dlq.fifo", "FifoQueue": true, "KmsMasterKeyId": key },
                },
                "IssuedTopic": {
                    "Type": "AWS::SNS::Topic", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                    "Properties": { "TopicName": "dev-billing-issued", "KmsMasterKeyId": "alias/aws/sns" },
                },
                "AlertTopic": { "Type": "AWS::SNS::Topic", "Properties": { "TopicName": "dev-billing-alerts" } },
                "InvoicesQueuePolicy": { "Type": "AWS::SQS::QueuePolicy", "Properties": {} },
            },
            "Outputs": { "InvoicesQueueUrl": { "Value": { "Ref": "InvoicesQueue" } } },
        })
    }

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
    }

    fn found(logical_id: &str, resource_type: &str, tagged: &[(&str, &str)]) -> Found {
        Found {
            logical_id: logical_id.into(),
            resource_type: resource_type.into(),
            identifier: format!("id-of-{logical_id}"),
            name: format!("name-of-{logical_id}"),
            tags: tags(tagged),
            encrypted_with: None,
        }
    }

    const OURS: &[(&str, &str)] = &[("fanout:domain", "billing"), ("fanout:stage", "dev"), ("owner", "team")];

    #[test]
    fn candidates_are_the_retained_queues_topics_and_keys() {
        let found: Vec<(String, Lookup, Option<String>)> =
            candidates(&template()).into_iter().map(|c| (c.logical_id, c.lookup, c.key)).collect();
        assert_eq!(
            found,
            [
                (
                    "InvoicesDeadLetterQueue".to_string(),
                    Lookup::Queue { name: "dev-billing-invoices-dlq.fifo".into() },
                    Some("Key".to_string())
                ),
                (
                    "InvoicesQueue".to_string(),
                    Lookup::Queue { name: "dev-billing-invoices.fifo".into() },
                    Some("Key".to_string())
                ),
                ("IssuedTopic".to_string(), Lookup::Topic { name: "dev-billing-issued".into() }, None),
                ("Key".to_string(), Lookup::Key, None),
            ],
            "the alert topic and the policy are not retained: deleting the stack deleted them"
        );
    }

    #[test]
    fn a_retained_resource_without_a_literal_name_or_of_another_type_is_no_candidate() {
        let template = json!({ "Resources": {
            "Unnamed": { "Type": "AWS::SQS::Queue", "DeletionPolicy": "Retain", "Properties": {} },
            "Computed": {
                "Type": "AWS::SNS::Topic", "DeletionPolicy": "Retain",
                "Properties": { "TopicName": { "Fn::Sub": "${AWS::StackName}-t" } },
            },
            "Bucket": { "Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "Properties": { "BucketName": "b" } },
            "Kept": {
                "Type": "AWS::SQS::Queue", "DeletionPolicy": "RetainExceptOnCreate",
                "Properties": { "QueueName": "kept" },
            },
        }});
        let ids: Vec<String> = candidates(&template).into_iter().map(|c| c.logical_id).collect();
        assert_eq!(ids, ["Kept"]);
    }

    #[test]
    fn resources_tagged_for_the_domain_and_stage_are_imported() {
        let all = vec![found("InvoicesQueue", "AWS::SQS::Queue", OURS), found("IssuedTopic", "AWS::SNS::Topic", OURS)];
        assert_eq!(decide(all.clone(), OWNER), Ok(all));
        assert_eq!(decide(Vec::new(), OWNER), Ok(Vec::new()));
    }

    #[test]
    fn a_resource_of_another_domain_or_stage_or_untagged_refuses_them_all() {
        let all = vec![
            found("InvoicesQueue", "AWS::SQS::Queue", OURS),
            found("IssuedTopic", "AWS::SNS::Topic", &[("fanout:domain", "audit"), ("fanout:stage", "dev")]),
            found(
                "InvoicesDeadLetterQueue",
                "AWS::SQS::Queue",
                &[("fanout:domain", "billing"), ("fanout:stage", "prod")],
            ),
            found("Other", "AWS::SQS::Queue", &[("domain", "billing"), ("stage", "dev")]),
            found("Half", "AWS::SQS::Queue", &[("fanout:domain", "billing")]),
        ];
        let refused = decide(all, OWNER).unwrap_err();
        let messages: Vec<String> = refused.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "topic `name-of-IssuedTopic` (IssuedTopic) is tagged `fanout:domain=audit`, `fanout:stage=dev`",
                "queue `name-of-InvoicesDeadLetterQueue` (InvoicesDeadLetterQueue) is tagged `fanout:domain=billing`, `fanout:stage=prod`",
                "queue `name-of-Other` (Other) has no `fanout:domain` or `fanout:stage` tag",
                "queue `name-of-Half` (Half) is tagged `fanout:domain=billing`",
            ]
        );
    }

    fn encrypted(mut found: Found, key: &str) -> Found {
        found.encrypted_with = Some(key.to_string());
        found
    }

    #[test]
    fn the_key_to_find_is_the_one_the_imported_resources_that_use_it_agree_on() {
        let candidates = candidates(&template());
        let arn = "arn:aws:kms:us-east-1:111111111111:key/k-1";
        let queue = encrypted(found("InvoicesQueue", "AWS::SQS::Queue", OURS), arn);
        let dlq = encrypted(found("InvoicesDeadLetterQueue", "AWS::SQS::Queue", OURS), arn);
        // The topic uses an AWS-managed key, not the template's: it has no say.
        let topic = encrypted(found("IssuedTopic", "AWS::SNS::Topic", OURS), "alias/aws/sns");
        let want = Some(("Key".to_string(), arn.to_string()));
        assert_eq!(key_to_find(&candidates, &[queue.clone(), dlq.clone(), topic.clone()]), want);
        assert_eq!(key_to_find(&candidates, std::slice::from_ref(&queue)), want, "one imported user is enough");

        let other = encrypted(dlq.clone(), "arn:aws:kms:us-east-1:111111111111:key/k-2");
        assert_eq!(key_to_find(&candidates, &[queue.clone(), other]), None, "users disagree");
        let unencrypted = Found { encrypted_with: None, ..dlq };
        assert_eq!(key_to_find(&candidates, &[queue, unencrypted]), None);
        assert_eq!(key_to_find(&candidates, &[topic]), None, "no imported resource uses the key");
    }

    #[test]
    fn only_an_enabled_customer_managed_key_tagged_for_the_owner_is_adopted() {
        let key = found("Key", "AWS::KMS::Key", OURS);
        assert!(key_is_adoptable(&key, true, true, OWNER));
        assert!(!key_is_adoptable(&key, true, false, OWNER), "pending deletion or disabled");
        assert!(!key_is_adoptable(&key, false, true, OWNER), "AWS-managed");
        let foreign = found("Key", "AWS::KMS::Key", &[("fanout:domain", "audit"), ("fanout:stage", "dev")]);
        assert!(!key_is_adoptable(&foreign, true, true, OWNER));
    }

    #[test]
    fn the_import_template_holds_the_imports_alone_with_their_policies_and_identity() {
        let imports = [
            found("InvoicesQueue", "AWS::SQS::Queue", OURS),
            found("IssuedTopic", "AWS::SNS::Topic", OURS),
            found("Key", "AWS::KMS::Key", OURS),
        ];
        let retain = || json!("Retain");
        assert_eq!(
            import_template(&template(), &imports),
            json!({
                "AWSTemplateFormatVersion": "2010-09-09",
                "Resources": {
                    "InvoicesQueue": {
                        "Type": "AWS::SQS::Queue", "DeletionPolicy": retain(), "UpdateReplacePolicy": retain(),
                        "Properties": { "FifoQueue": true, "QueueName": "dev-billing-invoices.fifo" },
                    },
                    "IssuedTopic": {
                        "Type": "AWS::SNS::Topic", "DeletionPolicy": retain(), "UpdateReplacePolicy": retain(),
                        "Properties": { "TopicName": "dev-billing-issued" },
                    },
                    "Key": {
                        "Type": "AWS::KMS::Key", "DeletionPolicy": retain(), "UpdateReplacePolicy": retain(),
                        "Properties": {},
                    },
                },
            }),
            "no other resource, no parameter, no output, no reference"
        );
    }

    #[test]
    fn a_key_setting_that_cannot_change_is_part_of_the_import() {
        let template = json!({ "Resources": { "Key": {
            "Type": "AWS::KMS::Key", "DeletionPolicy": "Retain",
            "Properties": { "KeySpec": "SYMMETRIC_DEFAULT", "MultiRegion": false, "Description": "d" },
        }}});
        let imported = import_template(&template, &[found("Key", "AWS::KMS::Key", OURS)]);
        assert_eq!(
            imported["Resources"]["Key"]["Properties"],
            json!({ "KeySpec": "SYMMETRIC_DEFAULT", "MultiRegion": false })
        );
        assert_eq!(imported["Resources"]["Key"].get("UpdateReplacePolicy"), None);
    }

    #[test]
    fn identifiers_follow_the_primary_identifier_of_each_type() {
        let of = |kind: &str| identifier(&found("X", kind, OURS)).map(|(key, _)| key);
        assert_eq!(
            [of("AWS::SQS::Queue"), of("AWS::SNS::Topic"), of("AWS::KMS::Key"), of("AWS::S3::Bucket")],
            [Some("QueueUrl"), Some("TopicArn"), Some("KeyId"), None]
        );
    }

    #[test]
    fn a_new_stack_plan_imports_what_was_found_and_adds_the_rest() {
        let plan = planned(&template(), &[found("InvoicesQueue", "AWS::SQS::Queue", OURS)]);
        let actions: Vec<(&str, Action, Option<&str>)> =
            plan.changes.iter().map(|c| (c.logical_id.as_str(), c.action, c.physical_id.as_deref())).collect();
        assert_eq!(
            actions,
            [
                ("AlertTopic", Action::Add, None),
                ("InvoicesDeadLetterQueue", Action::Add, None),
                ("InvoicesQueue", Action::Import, Some("id-of-InvoicesQueue")),
                ("InvoicesQueuePolicy", Action::Add, None),
                ("IssuedTopic", Action::Add, None),
                ("Key", Action::Add, None),
            ]
        );
        assert_eq!((plan.imports(), plan.counts()), (1, (5, 0, 0)));
    }

    #[test]
    fn the_deployed_plan_shows_each_imported_resource_once_as_imported() {
        let imported = Plan::new(vec![import_change(&found("InvoicesQueue", "AWS::SQS::Queue", OURS))]);
        let change = |id: &str, action| ResourceChange {
            logical_id: id.into(),
            resource_type: "AWS::SQS::Queue".into(),
            action,
            replacement: None,
            physical_id: None,
            recreated_by: Vec::new(),
        };
        let update = Plan::new(vec![
            change("InvoicesQueue", Action::Modify),
            change("InvoicesQueuePolicy", Action::Add),
            change("Other", Action::Modify),
        ]);
        let all = merged(Some(&imported), update.clone());
        assert_eq!(merged(None, update.clone()), update);
        let actions: Vec<(&str, Action)> = all.changes.iter().map(|c| (c.logical_id.as_str(), c.action)).collect();
        assert_eq!(
            actions,
            [("InvoicesQueue", Action::Import), ("InvoicesQueuePolicy", Action::Add), ("Other", Action::Modify)]
        );
    }
}
