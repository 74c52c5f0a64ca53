//! fanout-aws: everything fanout does against AWS — pre-flight SSM lookups, CloudFormation
//! change sets and the replacement guard, following stacks, destroy and lookup.
//!
//! Architecture invariant: this is the only crate that talks to AWS, and it never prints.
//! Progress goes to a [`Reporter`] as typed [`Event`]s and results come back as
//! [`Outcome`]s and [`Error`]s; the CLI decides how they look. The decisions that need no
//! AWS — the plan, the guard, the deploy order, the polling schedule, what a stack status
//! means — live in modules without SDK types ([`plan`], [`guard`], [`order`], [`backoff`],
//! [`state`]) and are tested without an emulator.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod backoff;
mod client;
mod deploy;
mod destroy;
mod error;
mod event;
pub mod guard;
pub mod order;
pub mod plan;
pub mod preflight;
pub mod stack;
pub mod state;
mod upload;

pub use backoff::Backoff;
pub use client::{Aws, ConnectOptions, retry_config};
pub use deploy::{DeployOptions, Mode, StackReport, StackRequest, deploy_all, deploy_stack};
pub use destroy::{Destroyed, destroy, lookup, lookup_schema, retained};
pub use error::Error;
pub use event::{Event, EventKind, Outcome, Reporter, ResourceFailure, StackEvent};
pub use guard::Finding;
pub use plan::Plan;
