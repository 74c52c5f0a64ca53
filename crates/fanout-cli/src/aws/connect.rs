//! Starting the async runtime and connecting to AWS, and AWS errors as the CLI reports them.

use anyhow::{Context, bail};
use fanout_aws::StackReport;

use crate::{GlobalArgs, render};

/// A tokio runtime for one command.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("Cannot start the async runtime")
}

/// Connects to AWS; a failure is an environment error (exit 2).
pub async fn connect(global: &GlobalArgs) -> anyhow::Result<fanout_aws::Aws> {
    let options = fanout_aws::ConnectOptions { profile: global.aws.profile.clone(), region: global.aws.region.clone() };
    fanout_aws::Aws::connect(&options).await.map_err(error)
}

/// An AWS error as an `anyhow` error whose message carries the hint line.
pub fn error(err: fanout_aws::Error) -> anyhow::Error {
    let hint = err.hint();
    render::with_hint(err, hint)
}

/// Fails with exit 2 when any stack could not even be tried because of the environment.
pub fn check_environment(reports: &[StackReport]) -> anyhow::Result<()> {
    match reports.iter().find_map(|r| r.result.as_ref().err().filter(|e| e.is_environment())) {
        Some(err) => bail!("{err}{}", err.hint().map(|h| format!("\n  hint: {h}")).unwrap_or_default()),
        None => Ok(()),
    }
}
