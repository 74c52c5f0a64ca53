//! fanout-aws
