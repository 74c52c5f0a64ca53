//! `fanout destroy`: delete one domain's stack after confirmation, and list what it leaves.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

use anyhow::bail;
use fanout::naming;
use fanout_aws::{Backoff, Destroyed};

use crate::aws::connect;
use crate::aws::progress::{Display, Printer};
use crate::commands::load_checked;
use crate::workspace::Workspace;
use crate::{GlobalArgs, Outcome, render, selection};

#[derive(Debug, clap::Args)]
pub struct DestroyArgs {
    /// The stage, one of `stages` in `fanout.yaml`
    #[arg(long, value_name = "STAGE")]
    pub stage: String,

    /// The domain whose stack is deleted
    #[arg(value_name = "DOMAIN")]
    pub domain: String,

    /// Delete without asking (for CI)
    #[arg(long)]
    pub yes: bool,
}

fn confirm(stack: &str) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!("Refusing to delete stack `{stack}` without confirmation\n  hint: pass `--yes` to delete without asking");
    }
    let mut err = anstream::stderr().lock();
    let _ = write!(err, "Delete stack `{stack}`? Queues, topics and keys are retained. [y/N] ");
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

pub fn run(global: &GlobalArgs, args: &DestroyArgs) -> anyhow::Result<Outcome> {
    let workspace = Workspace::discover(global, None)?;
    let Some(project) = load_checked(global, &workspace)? else {
        return Ok(Outcome::ActionNeeded);
    };
    let stage = selection::stage(&project, &args.stage)?;
    let Some(domain) = selection::domains(&project, std::slice::from_ref(&args.domain))?.pop() else {
        bail!("No domain given");
    };
    let stack = naming::stack_name(&stage, &domain);
    if !args.yes && !confirm(&stack)? {
        render::note(global.quiet, "Nothing deleted");
        return Ok(Outcome::ActionNeeded);
    }
    let printer = Arc::new(Printer::new(Display::choose(global, false), false));
    let result = connect::runtime()?.block_on(async {
        let client = connect::connect(global).await?;
        Ok::<_, anyhow::Error>(fanout_aws::destroy(&client, &stage, &domain, Backoff::STACK, printer.as_ref()).await)
    });
    printer.finish();
    match result? {
        Ok(Destroyed::NotFound) => {
            render::note(global.quiet, format_args!("Stack `{stack}` does not exist; nothing to delete"));
            Ok(Outcome::Success)
        }
        Ok(Destroyed::Deleted { retained }) => {
            render::note(global.quiet, format_args!("Deleted stack `{stack}`"));
            if !retained.is_empty() {
                render::note(
                    global.quiet,
                    format_args!(
                        "Left in the account by `DeletionPolicy: Retain` (delete them by hand when no longer needed):"
                    ),
                );
                let mut out = std::io::stdout().lock();
                for r in retained {
                    let _ =
                        writeln!(out, "{}\t{}\t{}", r.logical_id, r.resource_type, r.physical_id.unwrap_or_default());
                }
            }
            Ok(Outcome::Success)
        }
        Err(err) if err.is_environment() => Err(connect::error(err)),
        Err(err) => {
            render::error(&connect::error(err));
            Ok(Outcome::ActionNeeded)
        }
    }
}
