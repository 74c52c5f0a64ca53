//! fanout
fn main() {}
