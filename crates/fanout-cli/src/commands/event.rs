//! `fanout event check`: does an event document match its topic's JSON Schema?

use std::path::PathBuf;

use anyhow::{Context, bail};
use fanout::{Diagnostic, DiagnosticKind, FieldPath, TopicRef};

use crate::commands::load_checked;
use crate::workspace::Workspace;
use crate::{GlobalArgs, Outcome, render};

#[derive(Debug, clap::Args)]
pub struct EventArgs {
    #[command(subcommand)]
    pub command: EventCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum EventCommand {
    /// Check an event document against its topic's JSON Schema; exit 1 if it does not match
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The topic, as `<domain>/<topic>`; its domain must be in this repo
    #[arg(value_name = "DOMAIN/TOPIC")]
    pub topic: String,

    /// The event, a JSON file, or `-` for standard input
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// The folder of domain manifests [default: `domains/` of the repo]
    #[arg(long, value_name = "DIR")]
    pub manifests: Option<PathBuf>,
}

pub fn run(global: &GlobalArgs, args: &EventArgs) -> anyhow::Result<Outcome> {
    match &args.command {
        EventCommand::Check(args) => check(global, args),
    }
}

fn check(global: &GlobalArgs, args: &CheckArgs) -> anyhow::Result<Outcome> {
    let workspace = Workspace::discover(global, args.manifests.as_deref())?;
    let Some(project) = load_checked(global, &workspace)? else {
        return Ok(Outcome::ActionNeeded);
    };
    let (domain, topic) = args.topic.split_once('/').unwrap_or(("", &args.topic));
    let Ok(domain) = fanout::Name::new(domain) else {
        bail!("`{}` is not a topic\n  hint: write `<domain>/<topic>`", args.topic);
    };
    let topic_ref = TopicRef::parse(topic, &domain).with_context(|| format!("`{}` is not a topic", args.topic))?;
    let Some(found) = project.domains.get(&topic_ref.domain).and_then(|d| d.topics.get(&topic_ref.topic)) else {
        bail!("Topic `{topic_ref}` is not in this repo\n  hint: `fanout graph` shows the topics there are");
    };
    let Some(schema) = found.schema.as_ref().and_then(|s| s.document.as_ref()) else {
        bail!(
            "Topic `{topic_ref}` declares no event `schema`\n  hint: add `schema: schemas/<topic>.json` to the topic in its manifest"
        );
    };
    let file = args.file.display();
    let limit = fanout::limits::SNS_MESSAGE_BYTES as u64;
    let not_json = |reason: String| {
        render::diagnostic(
            &Diagnostic::error(
                DiagnosticKind::EventNotJson,
                FieldPath::root(),
                format!("`{file}` is not JSON: {reason}"),
            )
            .with_hint("an event is one JSON document"),
        );
        Ok(Outcome::ActionNeeded)
    };
    let read = if args.file.as_os_str() == "-" {
        fanout::load::read_bounded(std::io::stdin().lock(), &args.file, limit).map(String::from_utf8)
    } else {
        fanout::load::read_text(&args.file, limit).map(Ok)
    };
    let text = match read {
        Ok(Ok(text)) => text,
        Ok(Err(err)) => return not_json(err.to_string()),
        Err(fanout::load::LoadError::TooLarge { .. }) => {
            render::diagnostic(
                &Diagnostic::error(
                    DiagnosticKind::EventTooLarge,
                    FieldPath::root(),
                    format!("`{file}` is larger than {limit} bytes"),
                )
                .with_hint("SNS takes messages of at most 256 KiB; an event is one JSON document"),
            );
            return Ok(Outcome::ActionNeeded);
        }
        Err(err @ fanout::load::LoadError::NotUtf8 { .. }) => return not_json(err.reason()),
        Err(err) => return Err(anyhow::Error::new(err)).context("Cannot read the event"),
    };
    let event: serde_json::Value = match serde_json::from_str(&text) {
        Ok(event) => event,
        Err(err) => return not_json(err.to_string()),
    };
    let violations = fanout::contract::check_event(schema, &event).map_err(anyhow::Error::msg)?;
    if violations.is_empty() {
        render::note(global.quiet, format_args!("`{file}` matches the schema of topic `{topic_ref}`"));
        return Ok(Outcome::Success);
    }
    for violation in &violations {
        let message = format!(
            "`{file}` does not match the schema of topic `{topic_ref}`: at `{}`: {}",
            violation.path, violation.message
        );
        render::diagnostic(
            &Diagnostic::error(DiagnosticKind::EventSchemaMismatch, FieldPath::root(), message)
                .with_hint(format!("rule `{}` of the schema", violation.rule)),
        );
    }
    Ok(Outcome::ActionNeeded)
}
