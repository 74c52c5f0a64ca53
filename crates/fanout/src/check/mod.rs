//! Checks that keep a hostile or careless manifest from reaching AWS: no CloudFormation
//! dynamic reference in any user string ([`injection`]), no AWS-managed key ([`keys`]).
//! The checks across domains (every physical name unique, no subscription cycle) are the
//! project's: `project/names.rs` and `project/cycles.rs`.
//!
//! Each check creates its diagnostics through its own constructor functions, so what a
//! diagnostic is (its wording, its hint) is written once.

pub mod injection;
pub mod keys;
