//! fanout-aws: everything fanout does against AWS — pre-flight SSM lookups, CloudFormation
//! change sets and the replacement guard, following stacks, destroy and lookup; and on day
//! two a stage's health, peeking into queues, putting dead letters back and publishing.
//!
//! Architecture invariant: this is the only crate that talks to AWS, and it never prints.
//! Progress goes to a [`Reporter`] as typed [`Event`]s and results come back as
//! [`StackOutcome`]s and [`Error`]s; the CLI decides how they look. The decisions that need
//! no AWS — the plan, the guard, the deploy order, the polling schedule, what a stack status
//! means, whether a stack is unchanged, how many stacks run at once, what a new stack takes
//! back from a deleted one; a stage's health, batching, deduplication IDs, the SNS envelope,
//! the redrive loop, checking events before they are published — live in modules without
//! SDK types (`plan`, `guard`, `order`, `backoff`, `state`, `skip`, `limit`,
//! `adopt::import_plan`, `health`, `message`, `envelope`, `redrive`, `publish`, `lock`,
//! `breaking`) and are
//! tested without an emulator.
//!
//! API boundary: what the CLI uses, re-exported here, and nothing else; every module is
//! private.

#![warn(missing_docs, unreachable_pub)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod adopt;
mod backoff;
mod breaking;
mod client;
mod contracts;
mod deploy;
mod destroy;
mod envelope;
mod error;
mod event;
mod guard;
mod health;
mod limit;
mod locate;
mod lock;
mod message;
mod messages;
mod order;
mod organization;
mod phases;
mod plan;
mod preflight;
mod pressure;
mod publish;
mod redrive;
mod retry;
mod skip;
mod sqs;
mod stack;
mod state;
mod status;
mod stop;
mod topics;
mod upload;

pub use adopt::ForeignResource;
pub use backoff::Backoff;
pub use breaking::{AffectedConsumer, ContractChange, RemainingConsumer};
pub use client::{Aws, ConnectOptions};
pub use contracts::{read_lock, registered_consumers, remaining_consumers};
pub use deploy::{DeployOptions, DeployRun, Mode, StackReport, deploy_all};
pub use destroy::{Destroyed, destroy, lookup, lookup_schema};
pub use error::Error;
pub use event::{Event, EventKind, Reporter, ResourceFailure, StackEvent, StackOutcome};
pub use guard::Finding;
pub use health::{
    Alarm, DeadLetterQueueHealth, DeadLetterRole, Drift, DriftedResource, Problem, PropertyDifference, QueueHealth,
    StackHealth, StatusReport,
};
pub use lock::{merge as merge_lock, render as render_lock};
pub use message::{Attribute, AttributeValue, Counts, Received};
pub use messages::{Peeked, Redriven, peek, redrive};
pub use order::CycleError;
pub use organization::organization;
pub use plan::{Action, Plan, Replacement, ResourceChange};
pub use publish::{
    EventProblem, Publication, PublishOptions, PublishTopic, missing_filter_attributes, parse_attribute, prepare,
};
pub use redrive::{RedriveFrom, RedriveProgress, RedriveSummary, SkipReason, Unmoved};
pub use stack::StackResource;
pub use status::status;
pub use stop::{Stop, StopReason};
pub use topics::{PublishFailure, PublishProgress, Published, publish};
