//! `fanout destroy`: delete domains' stacks after confirmation, and list what they leave;
//! refused while other domains, in this repo or registered in SSM, consume their topics.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

use anyhow::bail;
use fanout::{Name, Project, naming};
use fanout_aws::{Backoff, Destroyed, RemainingConsumer};

use crate::aws::connect;
use crate::aws::progress::{Display, Printer};
use crate::commands::load_checked;
use crate::style::{ERROR, HINT, WARNING};
use crate::workspace::Workspace;
use crate::{GlobalArgs, Outcome, render, selection};

#[derive(Debug, clap::Args)]
pub struct DestroyArgs {
    /// The stage, one of `stages` in `fanout.yaml`
    #[arg(long, value_name = "STAGE")]
    pub stage: String,

    /// The domains whose stacks are deleted (consumers before the producers they subscribe to)
    #[arg(value_name = "DOMAIN", required = true)]
    pub domains: Vec<String>,

    /// Delete without asking (for CI)
    #[arg(long)]
    pub yes: bool,

    /// Delete even when other domains, in this repo or registered in SSM, still consume the
    /// domain's topics
    #[arg(long)]
    pub force: bool,
}

fn confirm(stacks: &[String]) -> anyhow::Result<bool> {
    let names = stacks.iter().map(|stack| format!("`{stack}`")).collect::<Vec<_>>().join(", ");
    let noun = if stacks.len() == 1 { "stack" } else { "stacks" };
    if !std::io::stdin().is_terminal() {
        bail!("Refusing to delete {noun} {names} without confirmation\n  hint: pass `--yes` to delete without asking");
    }
    let mut err = anstream::stderr().lock();
    let _ = write!(err, "Delete {noun} {names}? Queues, topics and keys are retained. [y/N] ");
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// `domains` in the order to delete them: a domain that subscribes to another's topics goes
/// first, so no stack is deleted while one deleted later still consumes it.
fn consumers_first(project: &Project, domains: &[Name]) -> Vec<Name> {
    let subscribes = |consumer: &Name, producer: &Name| {
        consumer != producer
            && project.domains.get(consumer).is_some_and(|domain| {
                domain.queues.values().flat_map(|q| &q.subscriptions).any(|s| s.topic.domain == *producer)
            })
    };
    let mut left = domains.to_vec();
    let mut order = Vec::new();
    while !left.is_empty() {
        // A domain no other remaining domain subscribes to; in a circle, the first.
        let next = left.iter().position(|d| !left.iter().any(|other| subscribes(other, d))).unwrap_or(0);
        order.push(left.remove(next));
    }
    order
}

/// Says who still consumes the topics of the domains to delete: an error unless `--force`,
/// then a warning with what they lose. Whether the deletion may go on.
fn check_consumers(global: &GlobalArgs, stage: &Name, left: &[RemainingConsumer], force: bool) -> bool {
    if left.is_empty() {
        return true;
    }
    let mut err = anstream::stderr().lock();
    let (label, style) = if force { ("warning", WARNING) } else { ("error", ERROR) };
    if force && global.quiet {
        return true;
    }
    for consumer in left {
        let queues = consumer.queues.iter().map(|q| format!("`{q}`")).collect::<Vec<_>>().join(", ");
        let _ = writeln!(
            err,
            "{style}{label}{style:#}: domain `{}` still consumes topic `{}` in stage `{stage}` (queues {queues})",
            consumer.domain, consumer.topic
        );
    }
    let hint = if force {
        "deleting anyway (`--force`): their next deploy stops in pre-flight, as the topic's ARN and contract parameters are gone; the retained topic keeps delivering to their queues until it is deleted by hand"
    } else {
        "nothing was deleted; have them unsubscribe and deploy first, delete them in the same run, or pass `--force` (their next deploy then stops in pre-flight, and the retained topic keeps delivering to their queues until it is deleted by hand)"
    };
    let _ = writeln!(err, "  {HINT}hint{HINT:#}: {hint}");
    force
}

pub fn run(global: &GlobalArgs, args: &DestroyArgs) -> anyhow::Result<Outcome> {
    let workspace = Workspace::discover(global, None)?;
    let Some(project) = load_checked(global, &workspace)? else {
        return Ok(Outcome::ActionNeeded);
    };
    let stage = selection::stage(&project, &args.stage)?;
    let domains = consumers_first(&project, &selection::domains(&project, &args.domains)?);
    if domains.is_empty() {
        bail!("No domain given");
    }
    let runtime = connect::runtime()?;
    let client = runtime.block_on(connect::connect(global))?;
    let left = runtime.block_on(async {
        let mut left = Vec::new();
        for domain in &domains {
            left.extend(fanout_aws::remaining_consumers(&client, &project, &stage, domain, &domains).await?);
        }
        Ok::<_, fanout_aws::Error>(left)
    });
    let left = match left {
        Ok(left) => left,
        Err(err) if err.is_environment() => return Err(connect::error(err)),
        Err(err) => {
            render::error(&connect::error(err));
            return Ok(Outcome::ActionNeeded);
        }
    };
    if !check_consumers(global, &stage, &left, args.force) {
        return Ok(Outcome::ActionNeeded);
    }
    let stacks: Vec<String> = domains.iter().map(|domain| naming::stack_name(&stage, domain)).collect();
    if !args.yes && !confirm(&stacks)? {
        render::note(global.quiet, "Nothing deleted");
        return Ok(Outcome::ActionNeeded);
    }
    for (domain, stack) in domains.iter().zip(&stacks) {
        let outcome = destroy_one(global, &runtime, &client, &stage, domain, stack)?;
        if outcome != Outcome::Success {
            return Ok(outcome);
        }
    }
    Ok(Outcome::Success)
}

fn destroy_one(
    global: &GlobalArgs,
    runtime: &tokio::runtime::Runtime,
    client: &fanout_aws::Aws,
    stage: &Name,
    domain: &Name,
    stack: &str,
) -> anyhow::Result<Outcome> {
    let printer = Arc::new(Printer::new(Display::choose(global, false), false));
    let result = runtime.block_on(fanout_aws::destroy(client, stage, domain, Backoff::STACK, printer.as_ref()));
    printer.finish();
    match result {
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
                        "Left in the account by `DeletionPolicy: Retain` (deploying the domain again takes them back; delete them by hand when no longer needed):"
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
