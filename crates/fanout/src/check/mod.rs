//! Checks that keep a hostile or careless manifest from reaching AWS: no CloudFormation
//! dynamic reference in any user string ([`injection`]), every physical name unique across
//! the repo's domains and stages ([`names`]), no subscription cycle deploy cannot order
//! ([`cycles`]), no AWS-managed key ([`keys`]).
//!
//! Each check creates its diagnostics through its own constructor functions, so what a
//! diagnostic is (its wording, its hint) is written once.

pub mod cycles;
pub mod injection;
pub mod keys;
pub mod names;
