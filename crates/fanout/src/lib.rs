//! fanout: model SNS→SQS event fan-out between domains and synthesize one CloudFormation
//! template per domain and stage.
//!
//! A domain is described by a YAML manifest ([`manifest`]) or built in Rust ([`model`]); a
//! [`Project`] holds every domain of a repo and checks them together; [`synth()`] turns one
//! domain into a [`Template`] for one stage.
//!
//! Everything here is pure and deterministic: no clock, no randomness, no network, and the
//! only file access is reading the manifests it is pointed at ([`load`]). The same input
//! gives byte-identical templates.

pub mod diagnostic;
mod duration;
pub mod graph;
pub mod limits;
pub mod load;
mod lower;
pub mod manifest;
pub mod model;
mod name;
pub mod naming;
pub mod project;
mod source;
pub mod synth;
pub mod template;

pub use diagnostic::{Diagnostic, Diagnostics, FieldPath, Location, Severity};
pub use duration::{Duration, DurationError};
pub use lower::{parse_manifest, parse_settings};
pub use model::{Domain, Encryption, Queue, QueueKind, Subscription, Topic, TopicKind};
pub use name::{Name, NameError, TopicRef, TopicRefError};
pub use project::{Project, Settings, Source};
pub use synth::{TopicLookup, synth, topic_lookups};
pub use template::Template;
