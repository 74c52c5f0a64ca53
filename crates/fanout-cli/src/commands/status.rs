//! `fanout status`: the health of a stage, domain by domain: stacks, queues, dead letters,
//! alarms and, with `--drift`, drift. Exit 1 when anything needs the user.

use std::io::Write;

use fanout_aws::{Counts, DeadLetterRole, QueueHealth, StatusReport};

use crate::aws::connect;
use crate::aws::progress::to_json;
use crate::commands::TextOrJson as Format;
use crate::style::{ERROR, GOOD, HINT};
use crate::{GlobalArgs, Outcome, render, selection};

/// The examples under `fanout status --help`.
pub const EXAMPLES: &str = "\
Examples:
  fanout status --stage prod                   every domain: stacks, queues, dead letters, alarms
  fanout status --stage prod scoring --drift   one domain, with CloudFormation drift detection
  fanout status --stage prod --format json     the same as one JSON document, for scripts";

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The stage, one of `stages` in `fanout.yaml`
    #[arg(long, value_name = "STAGE")]
    pub stage: String,

    /// The domains to look at [default: every domain of the repo]
    #[arg(value_name = "DOMAIN")]
    pub domains: Vec<String>,

    /// Also run CloudFormation drift detection on each stack (takes a few seconds per stack)
    #[arg(long)]
    pub drift: bool,

    /// Output format: `json` prints one JSON document on stdout
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn run(global: &GlobalArgs, args: &StatusArgs) -> anyhow::Result<Outcome> {
    let Some((project, stage, mut domains)) = selection::load(global, &args.stage, &args.domains)? else {
        return Ok(Outcome::ActionNeeded);
    };
    if domains.is_empty() {
        domains = project.domains.keys().cloned().collect();
    }
    let report = connect::runtime()?.block_on(async {
        let client = connect::connect(global).await?;
        Ok::<_, anyhow::Error>(fanout_aws::status(&client, &project, &stage, &domains, args.drift).await)
    })?;
    let report = match report {
        Ok(report) => report,
        Err(err) if err.is_environment() => return Err(connect::error(err)),
        Err(err) => {
            render::error(&connect::error(err));
            return Ok(Outcome::ActionNeeded);
        }
    };
    let problems = report.problems();
    if args.format == Format::Json {
        let problems: Vec<serde_json::Value> = problems
            .iter()
            .map(|p| {
                let mut value = to_json(p);
                value["message"] = p.message().into();
                value["hint"] = p.hint(&report.stage).into();
                value
            })
            .collect();
        let document = serde_json::json!({
            "stage": report.stage,
            "healthy": problems.is_empty(),
            "stacks": report.stacks,
            "problems": problems,
        });
        println!("{}", serde_json::to_string_pretty(&document)?);
    } else {
        anstream::print!("{}", table(&report));
        let mut err = anstream::stderr().lock();
        for problem in &problems {
            let _ = writeln!(err, "{ERROR}error{ERROR:#}: {}", problem.message());
            let _ = writeln!(err, "  {HINT}hint{HINT:#}: {}", problem.hint(&report.stage));
        }
        if problems.is_empty() && !global.quiet {
            let queues: usize = report.stacks.iter().map(|s| s.queues.len()).sum();
            let _ = writeln!(
                err,
                "{GOOD}ok{GOOD:#}: stage `{}` is healthy: {}, {}, no dead letters, no alarm firing",
                report.stage,
                render::plural(report.stacks.len(), "stack"),
                render::plural(queues, "queue")
            );
        } else if !problems.is_empty() {
            let _ = writeln!(
                err,
                "{ERROR}error{ERROR:#}: stage `{}` needs attention: {}",
                report.stage,
                render::plural(problems.len(), "problem")
            );
        }
    }
    Ok(if problems.is_empty() { Outcome::Success } else { Outcome::ActionNeeded })
}

/// Seconds as the largest whole unit: `40s`, `12m`, `3h`, `2d`.
fn age(seconds: u64) -> String {
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3600 => format!("{}m", seconds / 60),
        3600..86_400 => format!("{}h", seconds / 3600),
        _ => format!("{}d", seconds / 86_400),
    }
}

/// The dead letters of a queue: its dead-letter queue's total; and what SNS could not
/// deliver: the FIFO dead-letter queue's total when the queue has one, else `in DLQ` (the
/// dead-letter queue receives it) for a queue with subscriptions.
fn dead_letter_columns(queue: &QueueHealth) -> (String, String) {
    let total = |role| queue.dead_letter_queues.iter().find(|d| d.role == role).map(|d| d.counts.total().to_string());
    let dead_letters = total(DeadLetterRole::DeadLetters);
    let undelivered = match total(DeadLetterRole::FifoSubscriptionDeadLetters) {
        Some(count) => count,
        None if queue.subscriptions > 0 && dead_letters.is_some() => "in DLQ".to_string(),
        None => "-".to_string(),
    };
    (dead_letters.unwrap_or_else(|| "-".to_string()), undelivered)
}

/// Rows of cells as columns: the first left-aligned, the others right-aligned.
fn columns(rows: &[Vec<String>], left: usize) -> String {
    let widths: Vec<usize> =
        (0..rows[0].len()).map(|i| rows.iter().map(|row| row[i].chars().count()).max().unwrap_or_default()).collect();
    let mut text = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (cell, width))| if i < left { format!("{cell:<width$}") } else { format!("{cell:>width$}") })
            .collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    text
}

/// The report as the compact tables a terminal shows.
fn table(report: &StatusReport) -> String {
    let mut stacks = vec![vec!["STACK".to_string(), "STATUS".to_string(), "LAST UPDATED".to_string()]];
    let mut queues = vec![
        ["QUEUE", "VISIBLE", "IN FLIGHT", "DELAYED", "OLDEST", "DEAD LETTERS", "UNDELIVERED"]
            .map(String::from)
            .to_vec(),
    ];
    let mut notes = String::new();
    for stack in &report.stacks {
        stacks.push(vec![
            stack.stack.clone(),
            stack.status.clone().unwrap_or_else(|| "not deployed".to_string()),
            stack.last_updated.clone().unwrap_or_else(|| "-".to_string()),
        ]);
        for queue in &stack.queues {
            let counts = queue.counts.unwrap_or_default();
            let missing = queue.counts.is_none();
            let number = |n: fn(&Counts) -> u64| if missing { "-".to_string() } else { n(&counts).to_string() };
            let (dead_letters, undelivered) = dead_letter_columns(queue);
            queues.push(vec![
                queue.queue.clone(),
                number(|c| c.visible),
                number(|c| c.in_flight),
                number(|c| c.delayed),
                queue.oldest_message_age.map_or_else(|| "-".to_string(), age),
                dead_letters,
                undelivered,
            ]);
        }
        for alarm in &stack.alarms {
            let since = alarm.since.as_deref().map(|s| format!(" since {s}")).unwrap_or_default();
            notes.push_str(&format!("ALARM  {}  {}{since}: {}\n", stack.stack, alarm.name, alarm.reason));
        }
        if let Some(drift) = &stack.drift {
            notes.push_str(&format!("DRIFT  {}  {}\n", stack.stack, drift.status));
            for resource in &drift.resources {
                notes
                    .push_str(&format!("  {} ({}) {}\n", resource.logical_id, resource.resource_type, resource.status));
                for difference in &resource.differences {
                    let value = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".to_string());
                    notes.push_str(&format!(
                        "    {}: expected {}, actual {}\n",
                        difference.path,
                        value(&difference.expected),
                        value(&difference.actual)
                    ));
                }
            }
        }
    }
    let mut text = columns(&stacks, 3);
    if queues.len() > 1 {
        text.push('\n');
        text.push_str(&columns(&queues, 1));
    }
    if !notes.is_empty() {
        text.push('\n');
        text.push_str(&notes);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_use_the_largest_whole_unit() {
        assert_eq!(
            [0, 59, 60, 3599, 3600, 86_399, 86_400, 200_000].map(age),
            ["0s", "59s", "1m", "59m", "1h", "23h", "1d", "2d"]
        );
    }

    #[test]
    fn columns_align() {
        let rows = vec![vec!["QUEUE".to_string(), "N".to_string()], vec!["a/b".to_string(), "120".to_string()]];
        assert_eq!(columns(&rows, 1), "QUEUE    N\na/b    120\n");
    }
}
