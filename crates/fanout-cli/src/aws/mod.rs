//! What the AWS commands (`deploy`, `diff`, `destroy`, `lookup`) share, one module per job:
//! their flags, connecting, showing progress, rendering plans and reporting results.

pub mod args;
pub mod connect;
pub mod plan;
pub mod progress;
pub mod report;
