//! fanout: model SNS→SQS event fan-out between domains and synthesize one CloudFormation
//! template per domain and stage.
//!
//! A domain is described by a YAML manifest ([`manifest`]) or built in Rust ([`build`]);
//! both doors lead through the same checks into one checked model ([`model`]). A
//! [`Project`] holds every domain of a repo and checks them together
//! ([`Project::validate`]); [`synth()`] (or [`Project::template`]) turns one domain into a
//! [`Template`] for one stage, rendered with [`Template::to_json`] or [`Template::to_yaml`].
//!
//! # Use it as a library
//!
//! ```
//! use fanout::build::{DomainBuilder, QueueBuilder, TopicBuilder};
//! use fanout::{Project, Settings};
//!
//! let billing = DomainBuilder::new("billing")
//!     .owner("team-billing")
//!     .topic(TopicBuilder::standard("invoices-issued"))
//!     .queue(QueueBuilder::fifo("scores").subscribe("scoring/scores-published"))
//!     .build()?;
//!
//! let mut project = Project::new(Settings::new("/fanout", ["dev", "prod"])?);
//! project.add(billing);
//! let diagnostics = project.validate();
//! assert!(!diagnostics.has_errors(), "{diagnostics}");
//!
//! let template = project.template("billing", "dev")?;
//! print!("{}", template.to_json());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The same project from manifests on disk: [`load::load_project`]. Snapshot tests of
//! templates for a domain repo: the `testing` module, behind the `testing` feature.
//!
//! Everything here is pure and deterministic: no clock, no randomness, no network, and the
//! only file access is reading the manifests it is pointed at ([`load`]). The same input
//! gives byte-identical templates.

#![warn(missing_docs)]

pub mod build;
pub mod check;
pub mod compliance;
pub mod contract;
pub mod diagnostic;
mod duration;
pub mod graph;
pub mod limits;
pub mod load;
pub mod manifest;
pub mod model;
pub use model::filter_policy;
mod name;
pub mod naming;
pub mod organization;
pub mod parallel;
pub mod project;
mod read;
pub mod synth;
pub mod template;
#[cfg(feature = "testing")]
pub mod testing;
mod yaml;

pub use diagnostic::{Diagnostic, DiagnosticKind, Diagnostics, FieldPath, Location, Severity};
pub use duration::{Duration, DurationError};
pub use model::{Domain, Encryption, Queue, QueueKind, Subscription, Topic, TopicKind};
pub use name::{MAX_NAME_LEN, Name, NameError, TopicRef, TopicRefError};
pub use project::{LOCK_FILE, LockFile, LookupError, Project, Settings, Source};
pub use read::{parse_manifest, parse_settings};
pub use synth::{TopicLookup, synth, topic_lookups};
pub use template::Template;
