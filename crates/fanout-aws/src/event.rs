//! What a deploy reports while it runs, and how each stack ended.
//!
//! The library never prints: it hands typed [`Event`]s to a [`Reporter`] the CLI provides,
//! which renders them as a live display, plain lines or JSON Lines.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::breaking::ContractChange;
use crate::guard::Finding;
use crate::plan::Plan;

/// Receives progress while stacks are deployed; called from several tasks at once.
pub trait Reporter: Send + Sync {
    /// Takes one event, as it happens.
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
    /// The domain whose stack it is.
    pub domain: String,
    /// The stack's name.
    pub stack: String,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// A stack event as CloudFormation recorded it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StackEvent {
    /// CloudFormation's ID of the event, unique within the stack.
    pub(crate) event_id: String,
    /// When it happened, in milliseconds since the epoch, to tell this operation's events
    /// from earlier ones.
    #[serde(skip)]
    pub(crate) at: Option<i64>,
    /// When it happened, RFC 3339.
    pub timestamp: String,
    /// The resource's logical ID (the stack's name for the stack itself).
    pub logical_id: String,
    /// The resource type, like `AWS::SQS::Queue`.
    pub resource_type: String,
    /// The resource status, like `CREATE_COMPLETE`.
    pub status: String,
    /// CloudFormation's reason for the status, if it gave one.
    pub reason: Option<String>,
    /// The resource's physical ID, once it has one.
    pub(crate) physical_id: Option<String>,
}

/// What happened to a stack, in the order a deploy goes.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// Pre-flight found a subscribed topic in SSM.
    LookupResolved {
        /// The topic, `domain/topic`.
        topic: String,
        /// The SSM parameter it was found in.
        ssm_name: String,
        /// The topic's ARN.
        arn: String,
    },
    /// The stack was deployed with another ARN for a topic than SSM holds now: the topic was
    /// replaced, and the stack is updated to subscribe to the new one.
    StaleLookup {
        /// The topic, `domain/topic`.
        topic: String,
        /// The SSM parameter it is found in.
        ssm_name: String,
        /// The ARN the stack subscribes to now.
        deployed: String,
        /// The ARN SSM holds now.
        current: String,
    },
    /// The template, parameters and tags are what the stack already has: no change set.
    Unchanged,
    /// A change set an earlier deploy created and never executed (it was interrupted) was
    /// deleted before the new one.
    LeftoverDeleted {
        /// The change set's name.
        change_set: String,
    },
    /// The deploy stopped before executing this change set, and deleted it.
    ChangeSetDeleted {
        /// The change set's name.
        change_set: String,
    },
    /// Another operation is running on the stack; the deploy waits for it.
    WaitingForOperation {
        /// The stack status, like `UPDATE_IN_PROGRESS`.
        status: String,
    },
    /// A failed first create left the stack in `ROLLBACK_COMPLETE`; it is deleted and created again.
    Recreating {
        /// The stack status.
        status: String,
    },
    /// The template was too large to send inline and was uploaded.
    TemplateUploaded {
        /// Where CloudFormation reads it from.
        url: String,
        /// Its size.
        bytes: usize,
    },
    /// A change set is being computed.
    ChangeSetCreating {
        /// The change set's name.
        change_set: String,
        /// `CREATE` or `UPDATE`.
        change_set_type: String,
    },
    /// What the change set would do, and what the guard thinks of it.
    Plan {
        /// The resource changes.
        plan: Plan,
        /// The replacements and removals the guard found.
        findings: Vec<Finding>,
    },
    /// The change set is being executed.
    Executing {
        /// The change set's name.
        change_set: String,
    },
    /// A new stack event.
    StackEvent(StackEvent),
    /// The stack is being deleted.
    Deleting,
    /// The template would change the contracts of the stack's topics: each change, breaking
    /// or compatible, with the consumers it affects.
    ContractChanged {
        /// The changes.
        changes: Vec<ContractChange>,
        /// Whether `--allow-breaking` lets breaking changes through.
        allow_breaking: bool,
    },
}

/// A resource that failed, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResourceFailure {
    /// The resource's logical ID (the stack's name when the stack itself failed).
    pub logical_id: String,
    /// The resource type.
    pub resource_type: String,
    /// The failed status, like `CREATE_FAILED`.
    pub status: String,
    /// CloudFormation's reason.
    pub reason: String,
}

/// How one stack's deploy (or diff) ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum StackOutcome {
    /// Nothing to change; no change set was left behind.
    NoChanges {
        /// The stack's outputs, by key; empty for a stack that does not exist.
        outputs: BTreeMap<String, String>,
    },
    /// The change set was executed and the stack is complete.
    Deployed {
        /// What the change set did.
        plan: Plan,
        /// What the guard found and `--allow-replacement` let through.
        findings: Vec<Finding>,
        /// The stack status, like `UPDATE_COMPLETE`.
        status: String,
        /// The stack's outputs, by key.
        outputs: BTreeMap<String, String>,
    },
    /// `diff`: what a deploy would do; the change set was deleted.
    Planned {
        /// What the change set would do.
        plan: Plan,
        /// What the guard found.
        findings: Vec<Finding>,
        /// Whether the stack does not exist yet (the plan then comes from the template).
        new_stack: bool,
    },
    /// The guard refused the change set, which was deleted.
    Refused {
        /// What the change set would have done.
        plan: Plan,
        /// What the guard found; those that [`Finding::blocks`] stopped the deploy.
        findings: Vec<Finding>,
    },
    /// The stack operation failed and CloudFormation rolled it back.
    Failed {
        /// The stack status after the rollback.
        status: String,
        /// The first resource that failed, if the events show one.
        failure: Option<ResourceFailure>,
    },
    /// A topic's contract would change in a way that breaks its consumers, and
    /// `--allow-breaking` was not given: nothing was created.
    BreakingRefused {
        /// Every change of the stack's topics' contracts, breaking ones among them.
        changes: Vec<ContractChange>,
    },
    /// Not attempted because a domain it subscribes to failed.
    Skipped {
        /// That domain.
        because: String,
    },
    /// The deploy was stopped while working on this stack: the change set it had created and
    /// not executed was deleted, or CloudFormation goes on with the one it had executed
    /// ([`crate::StackReport::in_progress`]).
    Interrupted,
    /// The deploy was stopped before this stack's turn.
    NotStarted,
}

impl StackOutcome {
    /// Whether the user must act: a failure, a refusal, a stack skipped or not finished.
    pub(crate) fn needs_action(&self) -> bool {
        matches!(
            self,
            Self::Refused { .. }
                | Self::BreakingRefused { .. }
                | Self::Failed { .. }
                | Self::Skipped { .. }
                | Self::Interrupted
                | Self::NotStarted
        )
    }

    /// Whether there is (or was) something to change.
    pub fn has_changes(&self) -> bool {
        match self {
            Self::NoChanges { .. } | Self::Skipped { .. } | Self::Interrupted | Self::NotStarted => false,
            Self::Planned { plan, .. } => !plan.is_empty(),
            _ => true,
        }
    }
}
