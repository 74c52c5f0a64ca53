//! `fanout peek`: show a queue's messages (or its dead letters) and make them visible again
//! at once, so nothing is consumed.

use std::io::Write;

use fanout_aws::Peeked;

use crate::aws::connect;
use crate::commands::TextOrJson as Format;
use crate::style::{BOLD, DIM, WARNING};
use crate::{GlobalArgs, Outcome, render, selection};

/// The examples under `fanout peek --help`.
pub const EXAMPLES: &str = "\
Examples:
  fanout peek --stage prod scoring/scoring-runs --dead-letters   what failed, with receive counts
  fanout peek --stage prod scoring/scoring-runs --max 50         the next messages of the queue
  fanout peek --stage prod scoring/scoring-runs --format json | jq -r '.queues[].messages[].body'";

#[derive(Debug, clap::Args)]
pub struct PeekArgs {
    /// The stage, one of `stages` in `fanout.yaml`
    #[arg(long, value_name = "STAGE")]
    pub stage: String,

    /// The queue, as `DOMAIN/QUEUE`
    #[arg(value_name = "DOMAIN/QUEUE")]
    pub queue: String,

    /// Show the queue's dead-letter queues instead of the queue
    #[arg(long)]
    pub dead_letters: bool,

    /// Show at most this many messages of each queue
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000), value_name = "N")]
    pub max: u16,

    /// Output format: `json` prints one JSON document on stdout
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn run(global: &GlobalArgs, args: &PeekArgs) -> anyhow::Result<Outcome> {
    let Some((project, stage, _)) = selection::load(global, &args.stage, &[])? else {
        return Ok(Outcome::ActionNeeded);
    };
    let (domain, name, queue) = selection::queue(&project, &args.queue)?;
    if args.dead_letters && queue.dead_letter.is_none() {
        anyhow::bail!(
            "Queue `{domain}/{name}` has no dead-letter queue (`dead_letter: false` in its manifest)\n  hint: peek the queue itself: leave out `--dead-letters`"
        );
    }
    let peeked = connect::runtime()?.block_on(async {
        let client = connect::connect(global).await?;
        let max = usize::from(args.max);
        Ok::<_, anyhow::Error>(fanout_aws::peek(&client, &stage, &domain, &name, queue, args.dead_letters, max).await)
    })?;
    let peeked = match peeked {
        Ok(peeked) => peeked,
        Err(err) if err.is_environment() => return Err(connect::error(err)),
        Err(err) => {
            render::error(&connect::error(err));
            return Ok(Outcome::ActionNeeded);
        }
    };
    if args.format == Format::Json {
        let document = serde_json::json!({ "queue": format!("{domain}/{name}"), "queues": peeked });
        println!("{}", serde_json::to_string_pretty(&document)?);
    } else {
        anstream::print!("{}", text(&peeked));
    }
    let mut err = anstream::stderr().lock();
    if !global.quiet && args.format == Format::Text {
        if peeked.iter().any(|p| p.fifo && !p.messages.is_empty()) {
            let _ = writeln!(
                err,
                "note: peeking a FIFO queue holds its message groups while it reads them: for that moment (about a second) a consumer receives no message of those groups; they are visible again now"
            );
        }
        if !args.dead_letters && queue.dead_letter.is_some() && peeked.iter().any(|p| !p.messages.is_empty()) {
            let _ = writeln!(
                err,
                "note: a peek counts as a receive: a message received `max_receive_count` times goes to the dead-letter queue"
            );
        }
    }
    let stuck: usize = peeked.iter().map(|p| p.not_released).sum();
    if stuck > 0 {
        let _ = writeln!(
            err,
            "{WARNING}warning{WARNING:#}: {} could not be made visible again; {} visible when the 30-second visibility timeout ends",
            render::plural(stuck, "message"),
            if stuck == 1 { "it is" } else { "they are" }
        );
        return Ok(Outcome::ActionNeeded);
    }
    Ok(Outcome::Success)
}

/// The peeked messages for a terminal: a header per queue, then each message's details,
/// attributes and body.
fn text(peeked: &[Peeked]) -> String {
    let mut text = String::new();
    for queue in peeked {
        let counts = queue.counts;
        text.push_str(&format!(
            "{BOLD}{}{BOLD:#} ({}): {} shown; {} visible, {} in flight, {} delayed before the peek\n",
            queue.queue,
            queue.role,
            queue.messages.len(),
            counts.visible,
            counts.in_flight,
            counts.delayed
        ));
        for (i, message) in queue.messages.iter().enumerate() {
            let mut details = vec![format!("id {}", message.message_id)];
            if let Some(group) = &message.group_id {
                details.push(format!("group {group}"));
            }
            details.push(format!("received {} times", message.receive_count));
            if let Some(sent) = &message.sent_at {
                details.push(format!("sent {sent}"));
            }
            if let Some(source) = &message.dead_letter_source {
                details.push(format!("from {source}"));
            } else if queue.role != "queue" {
                details.push("undeliverable by SNS".to_string());
            }
            text.push_str(&format!("{DIM}--- {}{DIM:#}  {}\n", i + 1, details.join("  ")));
            if !message.attributes.is_empty() {
                let attributes: Vec<String> = message
                    .attributes
                    .iter()
                    .map(|(name, attribute)| format!("{name}={} ({})", attribute.display_value(), attribute.data_type))
                    .collect();
                text.push_str(&format!("attributes: {}\n", attributes.join(", ")));
            }
            text.push_str(&message.body);
            text.push('\n');
        }
    }
    text
}
