//! `fanout lock`: read from SSM the contracts of the topics of other repos that this repo's
//! queues subscribe to, and write them to `fanout.lock`, to be committed and reviewed.

use std::io::Write;

use fanout::Name;

use crate::aws::connect;
use fanout::project::LOCK_FILE;

use crate::workspace::Workspace;
use crate::{GlobalArgs, Outcome, output, render, selection};

#[derive(Debug, clap::Args)]
pub struct LockArgs {
    /// Lock this stage only and keep what the lock holds of the others [default: every stage]
    #[arg(long, value_name = "STAGE")]
    pub stage: Option<String>,

    /// Write nothing: exit 1 when `fanout.lock` differs from what SSM holds (for CI)
    #[arg(long)]
    pub check: bool,
}

/// Examples for `--help`.
pub const EXAMPLES: &str = "Examples:
  fanout lock                     lock every stage; commit `fanout.lock` and review its diff
  fanout lock --stage dev         lock `dev` only, keep the other stages as locked
  fanout lock --check             in CI: exit 1 when a producer's contract changed since the lock";

pub fn run(global: &GlobalArgs, args: &LockArgs) -> anyhow::Result<Outcome> {
    let workspace = Workspace::discover(global, None)?;
    // Without the lock: one that no longer fits the manifests is what this command replaces.
    let (project, diagnostics) = workspace.load_unlocked()?;
    render::diagnostics(&diagnostics, global.quiet);
    let Some(project) = project else {
        return Ok(Outcome::ActionNeeded);
    };
    let stages: Vec<Name> = match &args.stage {
        Some(name) => vec![selection::stage(&project, name)?],
        None => project.settings.stages.clone(),
    };
    let topics = project.external_topics();
    let path = workspace.lock_path();
    // Locking one stage keeps the others as they are; locking all starts afresh, so stages
    // gone from `fanout.yaml` and topics no longer subscribed to leave the lock.
    let previous = if args.stage.is_some() || args.check {
        match workspace.read_lock(global.quiet) {
            Ok(previous) => previous,
            Err(err) => {
                render::error(&err);
                return Ok(Outcome::ActionNeeded);
            }
        }
    } else {
        None
    };
    let prefix = project.settings.ssm_prefix.clone();
    let read = connect::runtime()?.block_on(async {
        let client = connect::connect(global).await?;
        Ok::<_, anyhow::Error>(fanout_aws::read_lock(&client, &prefix, &stages, &topics).await)
    })?;
    let locked = match read {
        Ok(locked) => locked,
        Err(err) if err.is_environment() => return Err(connect::error(err)),
        Err(err) => {
            render::error(&connect::error(err));
            return Ok(Outcome::ActionNeeded);
        }
    };
    let lock = fanout_aws::merge_lock(previous.as_ref(), locked, args.stage.is_some());
    let text = fanout_aws::render_lock(&lock);
    let count: usize = lock.stages.values().map(|topics| topics.len()).sum();
    if args.check {
        let current = previous.as_ref().map(fanout_aws::render_lock);
        if current.as_deref() == Some(text.as_str()) || (current.is_none() && count == 0) {
            render::note(global.quiet, format_args!("`{LOCK_FILE}` is what SSM holds"));
            return Ok(Outcome::Success);
        }
        let mut err = anstream::stderr().lock();
        let _ = writeln!(
            err,
            "error: `{}` differs from what SSM holds\n  hint: run `fanout lock`{} and review the change",
            path.display(),
            args.stage.as_ref().map(|stage| format!(" --stage {stage}")).unwrap_or_default()
        );
        return Ok(Outcome::ActionNeeded);
    }
    if count == 0 && previous.is_none() && !path.exists() {
        render::note(
            global.quiet,
            "No queue of this repo subscribes to a topic of another repo: nothing to lock, no `fanout.lock` written",
        );
        return Ok(Outcome::Success);
    }
    output::write_file(workspace.root_dir(), &path, &text)?;
    render::note(
        global.quiet,
        format_args!(
            "Wrote `{}`: {} in {}",
            path.display(),
            render::plural(count, "locked topic"),
            render::plural(lock.stages.len(), "stage")
        ),
    );
    Ok(Outcome::Success)
}
