//! `fanout publish`: check events against their topic's contract, then publish them: one
//! event, or a JSON Lines file in order (the backfill path).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use fanout::{Diagnostic, DiagnosticKind, FieldPath, TopicKind};
use fanout_aws::{PublishOptions, PublishProgress, PublishTopic};

use crate::aws::connect;
use crate::aws::meter::Meter;
use crate::aws::progress::{Display, to_json};
use crate::commands::TextOrJson as Format;
use crate::style::{ERROR, GOOD, HINT};
use crate::{GlobalArgs, Outcome, render, selection};

/// The examples under `fanout publish --help`.
pub const EXAMPLES: &str = "\
Examples:
  fanout publish --stage dev ingestion/scoring-inputs-ready --group customer-42 event.json
  fanout publish --stage prod ingestion/scoring-inputs-ready --group backfill --dedup-id 2026-11 \\
      --attribute event_type=InputsReady backfill.jsonl
  jq -c '.[]' events.json | fanout publish --stage dev shop/orders --attribute score:Number=4 -

Every event is checked first (JSON, the topic's schema, message group and deduplication ID for a
FIFO topic, attributes, sizes); one bad event and nothing is published. A JSON Lines file publishes
one event per line, in order, in batches of ten; each event's deduplication ID is `{ID}-{line}`, so
publishing the same file again within 5 minutes publishes nothing twice.";

#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    /// The stage, one of `stages` in `fanout.yaml`
    #[arg(long, value_name = "STAGE")]
    pub stage: String,

    /// The topic, as `DOMAIN/TOPIC`; its domain must be in this repo
    #[arg(value_name = "DOMAIN/TOPIC")]
    pub topic: String,

    /// The message group of every event (FIFO topics)
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,

    /// The deduplication ID of the event; of a JSON Lines file, each event's is `{ID}-{line}`
    /// (FIFO topics)
    #[arg(long = "dedup-id", value_name = "ID")]
    pub dedup_id: Option<String>,

    /// A message attribute of every event: `NAME=VALUE` (a String) or `NAME:Number=VALUE`
    /// (also `Binary` in base64, `String.Array` as a JSON array)
    #[arg(long = "attribute", value_name = "NAME=VALUE")]
    pub attributes: Vec<String>,

    /// The event: a JSON file, or a JSON Lines file with one event per line; `-` reads stdin
    #[arg(value_name = "FILE|-")]
    pub file: PathBuf,

    /// Output format: `json` prints JSON Lines (progress, then the result) on stdout
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// The largest events file `publish` reads: a backfill of JSON Lines, read whole before
/// anything is published, so the bound keeps a wrong path (`/dev/zero`) from eating memory.
const MAX_EVENTS_BYTES: u64 = 256 * 1024 * 1024;

fn read(file: &Path) -> anyhow::Result<(String, String)> {
    // A regular file or standard input, never a pipe or device that would block or never end.
    if file.as_os_str() == "-" {
        let bytes = fanout::load::read_bounded(std::io::stdin().lock(), file, MAX_EVENTS_BYTES)
            .context("Cannot read the events from stdin")?;
        let text = String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("`stdin` is not UTF-8 text"))?;
        return Ok(("stdin".to_string(), text));
    }
    let name = file.display().to_string();
    let text = fanout::load::read_text(file, MAX_EVENTS_BYTES).with_context(|| format!("Cannot read `{name}`"))?;
    Ok((name, text))
}

pub fn run(global: &GlobalArgs, args: &PublishArgs) -> anyhow::Result<Outcome> {
    let Some((project, stage, _)) = selection::load(global, &args.stage, &[])? else {
        return Ok(Outcome::ActionNeeded);
    };
    let (topic_ref, topic) = selection::topic(&project, &args.topic)?;
    let mut attributes = BTreeMap::new();
    for text in &args.attributes {
        let (name, attribute) =
            fanout_aws::parse_attribute(text).map_err(|reason| anyhow::anyhow!("Invalid `--attribute`: {reason}"))?;
        if attributes.insert(name.clone(), attribute).is_some() {
            anyhow::bail!("Attribute `{name}` is given twice\n  hint: give each `--attribute` once");
        }
    }
    let (file, text) = read(&args.file)?;
    let target = PublishTopic {
        name: topic_ref.to_string(),
        fifo: topic.kind.is_fifo(),
        content_based_deduplication: matches!(topic.kind, TopicKind::Fifo(f) if f.content_based_deduplication),
        schema: topic.schema.as_ref().and_then(|s| s.document.clone()),
    };
    let options = PublishOptions { group: args.group.clone(), deduplication_id: args.dedup_id.clone(), attributes };
    let publications = match fanout_aws::prepare(&text, &target, &options) {
        Ok(publications) => publications,
        Err(problems) => {
            for problem in &problems {
                let mut diagnostic =
                    Diagnostic::error(DiagnosticKind::EventNotPublishable, FieldPath::root(), problem.message.clone());
                if let Some(hint) = &problem.hint {
                    diagnostic = diagnostic.with_hint(hint.clone());
                }
                if let Some(line) = problem.line {
                    diagnostic.location = Some(fanout::Location { file: file.clone().into(), line, column: 1 });
                }
                render::diagnostic(&diagnostic);
            }
            let _ = writeln!(
                anstream::stderr().lock(),
                "{ERROR}error{ERROR:#}: nothing was published: found {}",
                render::plural(problems.len(), "problem")
            );
            return Ok(Outcome::ActionNeeded);
        }
    };
    // The repo's subscriptions to the topic that filter on an attribute these events lack.
    for (domain, declared) in &project.domains {
        for (queue, declared) in &declared.queues {
            let filters =
                declared.subscriptions.iter().filter(|s| s.topic == topic_ref).filter_map(|s| s.filter.as_ref());
            for filter in filters {
                let missing = fanout_aws::missing_filter_attributes(filter, &options.attributes);
                if !missing.is_empty() {
                    render::note(
                        global.quiet,
                        format_args!(
                            "note: queue `{domain}/{queue}` will not receive these events: its subscription filters on message {} {}, which they do not carry (`--attribute NAME=VALUE`)",
                            if missing.len() == 1 { "attribute" } else { "attributes" },
                            fanout::diagnostic::quote_list(missing.iter())
                        ),
                    );
                }
            }
        }
    }
    if target.schema.is_none() && !global.quiet {
        render::note(
            global.quiet,
            format_args!("note: topic `{topic_ref}` declares no `schema`: the events were checked as JSON only"),
        );
    }

    let json = args.format == Format::Json;
    let meter = Meter::new(Display::choose(global, json));
    let total = publications.len();
    let progress = |event: PublishProgress| {
        let mut value = to_json(&event);
        value["type"] = "progress".into();
        meter.json(&value);
        meter.update(
            u64::try_from(event.published).unwrap_or(u64::MAX),
            "published",
            &format!("{topic_ref}: published {} of {}", event.published, event.total),
        );
    };
    let prefix = project.settings.ssm_prefix.clone();
    let outcome = connect::runtime()?.block_on(async {
        let client = connect::connect(global).await?;
        let arn = match fanout_aws::lookup(&client, &prefix, &stage, &topic_ref).await {
            Ok(arn) => arn,
            Err(err) => return Ok(Err(err)),
        };
        meter.start(
            &topic_ref.to_string(),
            u64::try_from(total).unwrap_or(u64::MAX),
            &format!("{topic_ref}: publishing {} to {arn}", render::plural(total, "event")),
        );
        Ok::<_, anyhow::Error>(Ok((arn.clone(), fanout_aws::publish(&client, &arn, &publications, &progress).await)))
    });
    meter.finish();
    let (arn, (published, error)) = match outcome? {
        Ok(found) => found,
        Err(err) if err.is_environment() => return Err(connect::error(err)),
        Err(err) => {
            render::error(&connect::error(err));
            return Ok(Outcome::ActionNeeded);
        }
    };
    if json {
        let mut result = to_json(&published);
        result["type"] = "result".into();
        result["topic"] = topic_ref.to_string().into();
        result["topic_arn"] = arn.clone().into();
        result["error"] =
            error.as_ref().map(|e| serde_json::json!({ "message": e.to_string(), "hint": e.hint() })).into();
        meter.json(&result);
    } else {
        let mut err = anstream::stderr().lock();
        if published.failed.is_empty() && error.is_none() {
            if !global.quiet {
                let _ = writeln!(
                    err,
                    "{GOOD}ok{GOOD:#}: published {} to topic `{topic_ref}` ({arn})",
                    render::plural(published.published, "event")
                );
            }
        } else {
            for failure in &published.failed {
                let _ = writeln!(
                    err,
                    "{ERROR}error{ERROR:#}: SNS refused the event on line {} of `{file}`: {}",
                    failure.line, failure.reason
                );
            }
            let _ = writeln!(err, "published {} of {}", published.published, total);
            if let Some(line) = published.first_not_sent {
                let _ = writeln!(
                    err,
                    "  {HINT}hint{HINT:#}: {} from line {line} on were not sent; fix the cause and publish the file again (with the same `--dedup-id`, what was published is not published twice within 5 minutes)",
                    render::plural(published.not_sent, "event")
                );
            }
        }
    }
    if let Some(err) = error {
        if err.is_environment() {
            return Err(connect::error(err));
        }
        if !json {
            render::error(&connect::error(err));
        }
        return Ok(Outcome::ActionNeeded);
    }
    Ok(if published.failed.is_empty() { Outcome::Success } else { Outcome::ActionNeeded })
}
