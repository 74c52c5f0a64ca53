//! What a deploy reports while it runs, and how each stack ended.
//!
//! The library never prints: it hands typed [`Event`]s to a [`Reporter`] the CLI provides,
//! which renders them as a live display, plain lines or JSON Lines.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::guard::Finding;
use crate::plan::Plan;

/// Receives progress while stacks are deployed; called from several tasks at once.
pub trait Reporter: Send + Sync {
    fn report(&self, event: Event);
}

impl<F: Fn(Event) + Send + Sync> Reporter for F {
    fn report(&self, event: Event) {
        self(event);
    }
}

/// One thing that happened to one stack.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    pub domain: String,
    pub stack: String,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// A stack event as CloudFormation recorded it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StackEvent {
    pub event_id: String,
    /// RFC 3339.
    pub timestamp: String,
    pub logical_id: String,
    pub resource_type: String,
    pub status: String,
    pub reason: Option<String>,
    pub physical_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// Pre-flight found a subscribed topic in SSM.
    LookupResolved { topic: String, ssm_name: String, arn: String },
    /// The stack was deployed with another ARN for a topic than SSM holds now: the topic was
    /// replaced, and the stack is updated to subscribe to the new one.
    StaleLookup { topic: String, ssm_name: String, deployed: String, current: String },
    /// Another operation is running on the stack; the deploy waits for it.
    WaitingForOperation { status: String },
    /// A failed first create left the stack in `ROLLBACK_COMPLETE`; it is deleted and created again.
    Recreating { status: String },
    /// The template was too large to send inline and was uploaded.
    TemplateUploaded { url: String, bytes: usize },
    /// A change set is being computed.
    ChangeSetCreating { change_set: String, change_set_type: String },
    /// What the change set would do, and what the guard thinks of it.
    Plan { plan: Plan, findings: Vec<Finding> },
    /// The change set is being executed.
    Executing { change_set: String },
    /// A new stack event.
    StackEvent(StackEvent),
    /// The stack is being deleted.
    Deleting,
}

/// A resource that failed, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResourceFailure {
    pub logical_id: String,
    pub resource_type: String,
    pub status: String,
    pub reason: String,
}

/// How one stack's deploy (or diff) ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Nothing to change; no change set was left behind.
    NoChanges { outputs: BTreeMap<String, String> },
    /// The change set was executed and the stack is complete.
    Deployed { plan: Plan, findings: Vec<Finding>, status: String, outputs: BTreeMap<String, String> },
    /// `diff`: what a deploy would do; the change set was deleted.
    Planned { plan: Plan, findings: Vec<Finding>, new_stack: bool },
    /// The guard refused the change set, which was deleted.
    Refused { plan: Plan, findings: Vec<Finding> },
    /// The stack operation failed and CloudFormation rolled it back.
    Failed { status: String, failure: Option<ResourceFailure> },
    /// Not attempted because a domain it subscribes to failed.
    Skipped { because: String },
}

impl Outcome {
    /// Whether the user must act: a failure, a refusal, a skipped stack.
    pub fn needs_action(&self) -> bool {
        matches!(self, Self::Refused { .. } | Self::Failed { .. } | Self::Skipped { .. })
    }

    /// Whether there is (or was) something to change.
    pub fn has_changes(&self) -> bool {
        match self {
            Self::NoChanges { .. } | Self::Skipped { .. } => false,
            Self::Planned { plan, .. } => !plan.is_empty(),
            _ => true,
        }
    }
}
