//! `fanout redrive`: move a queue's dead letters back into it, FIFO groups in order, each
//! message once, in the form its subscription delivers now.

use std::io::Write;

use fanout_aws::{RedriveFrom, RedriveProgress, Redriven, Unmoved};

use crate::aws::connect;
use crate::aws::meter::Meter;
use crate::aws::progress::{Display, to_json};
use crate::commands::TextOrJson as Format;
use crate::style::{ERROR, GOOD, HINT, WARNING};
use crate::{GlobalArgs, Outcome, render, selection};

/// The examples under `fanout redrive --help`.
pub const EXAMPLES: &str = "\
Examples:
  fanout redrive --stage prod scoring/scoring-runs --dry-run   what would move, and in which form
  fanout redrive --stage prod scoring/scoring-runs             every dead letter back into the queue
  fanout redrive --stage prod scoring/scoring-runs --from subscription-dead-letters --max 100

A run that stops (Ctrl-C, a lost connection) is safe to run again: messages are sent before they are
deleted, and a FIFO queue drops the repeated ones within 5 minutes.";

/// Which dead letters `--from` selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Selection {
    /// What the consumer failed to process `max_receive_count` times
    DeadLetters,
    /// What SNS could not deliver to the queue
    SubscriptionDeadLetters,
    /// Both
    Both,
}

#[derive(Debug, clap::Args)]
pub struct RedriveArgs {
    /// The stage, one of `stages` in `fanout.yaml`
    #[arg(long, value_name = "STAGE")]
    pub stage: String,

    /// The queue whose dead letters go back into it, as `DOMAIN/QUEUE`
    #[arg(value_name = "DOMAIN/QUEUE")]
    pub queue: String,

    /// Which dead letters to move
    #[arg(long, value_enum, default_value_t = Selection::Both)]
    pub from: Selection,

    /// Move at most this many messages
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
    pub max: Option<u32>,

    /// Receive and decide, then make every message visible again: send and delete nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Output format: `json` prints JSON Lines (progress, then the summary) on stdout
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn run(global: &GlobalArgs, args: &RedriveArgs) -> anyhow::Result<Outcome> {
    let Some((project, stage, _)) = selection::load(global, &args.stage, &[])? else {
        return Ok(Outcome::ActionNeeded);
    };
    let (domain, name, queue) = selection::queue(&project, &args.queue)?;
    if queue.dead_letter.is_none() {
        anyhow::bail!(
            "Queue `{domain}/{name}` has no dead-letter queue (`dead_letter: false` in its manifest): there is nothing to redrive"
        );
    }
    let from = match args.from {
        Selection::DeadLetters => RedriveFrom::DeadLetters,
        Selection::SubscriptionDeadLetters => RedriveFrom::SubscriptionDeadLetters,
        Selection::Both => RedriveFrom::Both,
    };
    let json = args.format == Format::Json;
    let meter = Meter::new(Display::choose(global, json));
    let verb = if args.dry_run { "would move" } else { "moved" };
    let progress = |event: RedriveProgress| {
        meter.json(&to_json(&event));
        match &event {
            RedriveProgress::Source { source, approximate_messages } => meter.start(
                source,
                *approximate_messages,
                &format!("{source}: about {approximate_messages} messages"),
            ),
            RedriveProgress::Batch { source, batch, moved, skipped, failed } => {
                let counts = format!("{moved} {verb}, {skipped} skipped, {failed} failed");
                meter.update(
                    u64::try_from(moved + skipped + failed).unwrap_or(u64::MAX),
                    &counts,
                    &format!("{source}: batch {batch}: {counts}"),
                );
            }
            RedriveProgress::Waiting { source, in_flight, seconds } => meter.line(&format!(
                "{source}: {} in flight, held by an earlier receive (a redrive that stopped?); waiting up to {seconds} s for them to be visible again",
                render::plural(usize::try_from(*in_flight).unwrap_or(usize::MAX), "message")
            )),
        }
    };
    let max = args.max.map(|m| usize::try_from(m).unwrap_or(usize::MAX));
    let redriven = connect::runtime()?.block_on(async {
        let client = connect::connect(global).await?;
        let redriven =
            fanout_aws::redrive(&client, &stage, &domain, &name, queue, from, max, args.dry_run, &progress).await;
        Ok::<_, anyhow::Error>(redriven)
    });
    meter.finish();
    let redriven = match redriven? {
        Ok(redriven) => redriven,
        Err(err) if err.is_environment() => return Err(connect::error(err)),
        Err(err) => {
            render::error(&connect::error(err));
            return Ok(Outcome::ActionNeeded);
        }
    };
    if json {
        let mut summary = to_json(&redriven.summary);
        summary["type"] = "summary".into();
        summary["queue"] = redriven.queue.clone().into();
        summary["left"] =
            redriven.left.iter().map(|(name, counts)| serde_json::json!({ "queue": name, "counts": counts })).collect();
        summary["error"] =
            redriven.error.as_ref().map(|e| serde_json::json!({ "message": e.to_string(), "hint": e.hint() })).into();
        meter.json(&summary);
    } else {
        report(global, &redriven, stage.as_ref());
    }
    if let Some(err) = redriven.error {
        if err.is_environment() {
            return Err(connect::error(err));
        }
        if !json {
            render::error(&connect::error(err));
        }
        return Ok(Outcome::ActionNeeded);
    }
    Ok(if redriven.summary.needs_action() { Outcome::ActionNeeded } else { Outcome::Success })
}

/// The most skipped or failed messages listed one by one; the rest are counted.
const LISTED: usize = 10;

fn list(err: &mut impl Write, label: &str, unmoved: &[Unmoved]) {
    for item in unmoved.iter().take(LISTED) {
        let group = item.group_id.as_deref().map(|g| format!(" (group `{g}`)")).unwrap_or_default();
        let _ = writeln!(err, "  {label} {}{group} in `{}`: {}", item.message_id, item.source, item.message);
    }
    if unmoved.len() > LISTED {
        let _ = writeln!(err, "  ... and {} more (`--format json` lists every one)", unmoved.len() - LISTED);
    }
}

/// The summary on stderr.
fn report(global: &GlobalArgs, redriven: &Redriven, stage: &str) {
    let summary = &redriven.summary;
    let mut err = anstream::stderr().lock();
    let unwrapped = if summary.unwrapped > 0 {
        format!(" ({} unwrapped from SNS envelopes: the subscription delivers raw messages now)", summary.unwrapped)
    } else {
        String::new()
    };
    let verb = if summary.dry_run { "would move" } else { "moved" };
    let label = if summary.needs_action() || redriven.error.is_some() {
        format!("{WARNING}done{WARNING:#}")
    } else {
        format!("{GOOD}ok{GOOD:#}")
    };
    if !global.quiet || summary.needs_action() {
        let _ = writeln!(
            err,
            "{label}: {verb} {} back to `{}`{unwrapped}; {} skipped, {} failed",
            render::plural(summary.moved, "message"),
            redriven.queue,
            summary.skipped.len(),
            summary.failed.len()
        );
        if summary.dry_run {
            let _ = writeln!(
                err,
                "  dry run: nothing was sent or deleted, and every message received is visible again (a FIFO queue shows only the first messages of each group while they are held)"
            );
        }
        if summary.reached_max {
            let _ = writeln!(err, "  stopped at `--max`");
        }
        for (queue, counts) in &redriven.left {
            let _ = writeln!(
                err,
                "  left in `{queue}`: {} (about)",
                render::plural(usize::try_from(counts.total()).unwrap_or(usize::MAX), "message")
            );
        }
    }
    list(&mut err, "skipped", &summary.skipped);
    list(&mut err, &format!("{ERROR}failed{ERROR:#}"), &summary.failed);
    if summary.in_flight_left > 0 {
        let _ = writeln!(
            err,
            "{ERROR}error{ERROR:#}: {} stayed in flight in the dead-letter queue, held by another receive",
            render::plural(usize::try_from(summary.in_flight_left).unwrap_or(usize::MAX), "message")
        );
        let _ = writeln!(
            err,
            "  {HINT}hint{HINT:#}: run the redrive again once they are visible (after the visibility timeout of whoever received them)"
        );
    }
    if summary.needs_action()
        && (!summary.failed.is_empty()
            || summary.skipped.iter().any(|s| s.skip.as_ref().is_some_and(fanout_aws::SkipReason::needs_action)))
    {
        let _ = writeln!(
            err,
            "  {HINT}hint{HINT:#}: what was not moved is still in the dead-letter queue; `fanout peek --stage {stage} {} --dead-letters` shows it",
            redriven.queue
        );
    }
}
