//! What the AWS commands (`deploy`, `diff`, `destroy`, `lookup`, and the day-two commands)
//! share, one module per job: their flags, connecting, showing progress (`progress` for
//! stacks, `meter` for messages), rendering plans and reporting results.

pub mod args;
pub mod connect;
pub mod meter;
pub mod plan;
pub mod progress;
pub mod report;
