//! Starting the async runtime and connecting to AWS, stopping on a signal, and AWS errors as
//! the CLI reports them.

use anyhow::{Context, bail};
use fanout_aws::{DeployRun, Stop, StopReason};

use crate::aws::report;
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

/// From now on, the first SIGINT (Ctrl-C) or SIGTERM (a cancelled CI job) stops `stop`, after
/// `announce` has said so; the process is not killed, so the deploy cleans up. Must run inside
/// the runtime. Later signals are ignored until the command ends.
pub fn stop_on_signal(stop: Stop, announce: impl Fn(&'static str) + Send + 'static) -> anyhow::Result<()> {
    let signal = signals()?;
    tokio::spawn(async move {
        let name = signal.await;
        announce(name);
        stop.stop(StopReason::Signal(name));
    });
    Ok(())
}

/// The name of the first signal received; the handlers are in place when this returns.
#[cfg(unix)]
fn signals() -> anyhow::Result<impl Future<Output = &'static str> + Send> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("Cannot listen for SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("Cannot listen for SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        }
    })
}

#[cfg(not(unix))]
fn signals() -> anyhow::Result<impl Future<Output = &'static str> + Send> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    })
}

/// Fails with exit 2 when any stack could not be deployed because of the environment
/// (credentials refused, AWS unreachable), saying where every stack stands.
pub fn check_environment(run: &DeployRun) -> anyhow::Result<()> {
    match run.stacks.iter().find_map(|r| r.result.as_ref().err().filter(|e| e.is_environment())) {
        Some(err) => {
            let hint = err.hint().map(|h| format!("\n  hint: {h}")).unwrap_or_default();
            let standing: String = report::standing(&run.stacks).iter().map(|line| format!("\n  {line}")).collect();
            bail!("{err}{hint}{standing}")
        }
        None => Ok(()),
    }
}
