//! fanout-aws: everything fanout does against AWS — pre-flight SSM lookups, CloudFormation
//! change sets and the replacement guard, following stacks, destroy and lookup.
//!
//! Architecture invariant: this is the only crate that talks to AWS, and it never prints.
//! Progress goes to a [`Reporter`] as typed [`Event`]s and results come back as
//! [`StackOutcome`]s and [`Error`]s; the CLI decides how they look. The decisions that need
//! no AWS — the plan, the guard, the deploy order, the polling schedule, what a stack status
//! means — live in modules without SDK types (`plan`, `guard`, `order`, `backoff`, `state`)
//! and are tested without an emulator.
//!
//! API boundary: what the CLI uses, re-exported here, and nothing else; every module is
//! private.

#![warn(missing_docs, unreachable_pub)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod backoff;
mod client;
mod deploy;
mod destroy;
mod error;
mod event;
mod guard;
mod order;
mod plan;
mod preflight;
mod stack;
mod state;
mod upload;

pub use backoff::Backoff;
pub use client::{Aws, ConnectOptions};
pub use deploy::{DeployOptions, Mode, StackReport, deploy_all};
pub use destroy::{Destroyed, destroy, lookup, lookup_schema};
pub use error::Error;
pub use event::{Event, EventKind, Reporter, ResourceFailure, StackEvent, StackOutcome};
pub use guard::Finding;
pub use order::CycleError;
pub use plan::{Action, Plan, Replacement, ResourceChange};
pub use stack::StackResource;
