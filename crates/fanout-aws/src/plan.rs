//! A plan: what a change set would do to a stack, resource by resource.
//!
//! Built from the change set CloudFormation computed (see `stack.rs`), or from the template
//! alone for a stack that does not exist yet. Holds no SDK types, so it can be built from
//! recorded data in tests and serialized as it is for `--format json`.

use serde::Serialize;
use serde_json::Value;

/// What happens to one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// A new resource.
    Add,
    /// A changed resource, replaced or not.
    Modify,
    /// A resource no longer in the template.
    Remove,
    /// An existing resource brought into the stack.
    Import,
    /// Decided only during execution (CloudFormation's `Dynamic`).
    Dynamic,
}

/// Whether a modified resource is replaced (CloudFormation's `Replacement`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Replacement {
    /// Updated in place.
    Never,
    /// Depends on a value known only during execution.
    Conditional,
    /// A new resource is created and the old one deleted.
    Always,
}

/// One resource the change set touches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResourceChange {
    /// The resource's logical ID.
    pub logical_id: String,
    /// The resource type, like `AWS::SQS::Queue`.
    pub resource_type: String,
    /// What happens to it.
    pub action: Action,
    /// `None` for additions and removals.
    pub replacement: Option<Replacement>,
    /// Its name or ARN in the account, for an existing resource.
    pub(crate) physical_id: Option<String>,
    /// Properties whose change makes CloudFormation recreate the resource, as the change set
    /// reports them.
    pub recreated_by: Vec<String>,
}

/// Every resource change of one stack, ordered by logical ID.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The changes, by logical ID.
    pub changes: Vec<ResourceChange>,
}

impl Plan {
    /// The plan of `changes`, in logical-ID order.
    pub(crate) fn new(mut changes: Vec<ResourceChange>) -> Self {
        changes.sort_by(|a, b| a.logical_id.cmp(&b.logical_id));
        Self { changes }
    }

    /// The plan of a stack that does not exist yet: every resource of `template` is added.
    pub(crate) fn create(template: &Value) -> Self {
        let resources = template.get("Resources").and_then(Value::as_object);
        let changes = resources
            .into_iter()
            .flatten()
            .map(|(logical_id, resource)| ResourceChange {
                logical_id: logical_id.clone(),
                resource_type: resource.get("Type").and_then(Value::as_str).unwrap_or_default().to_string(),
                action: Action::Add,
                replacement: None,
                physical_id: None,
                recreated_by: Vec::new(),
            })
            .collect();
        Self::new(changes)
    }

    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// How many resources are added, modified (replaced ones included) and removed.
    pub fn counts(&self) -> (usize, usize, usize) {
        let count = |action| self.changes.iter().filter(|c| c.action == action).count();
        (
            count(Action::Add),
            count(Action::Modify) + count(Action::Dynamic) + count(Action::Import),
            count(Action::Remove),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn create_plan_adds_every_resource_in_logical_id_order() {
        let template = json!({ "Resources": {
            "RunsQueue": { "Type": "AWS::SQS::Queue" },
            "Key": { "Type": "AWS::KMS::Key" },
        }});
        let plan = Plan::create(&template);
        let ids: Vec<_> =
            plan.changes.iter().map(|c| (c.logical_id.as_str(), c.resource_type.as_str(), c.action)).collect();
        assert_eq!(ids, [("Key", "AWS::KMS::Key", Action::Add), ("RunsQueue", "AWS::SQS::Queue", Action::Add)]);
        assert_eq!(plan.counts(), (2, 0, 0));
    }
}
