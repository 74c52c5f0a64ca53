//! Progress of the AWS commands as it happens: the [`fanout_aws::Event`]s of each stack as a
//! live display on a terminal, plain lines in CI logs and pipes, or JSON Lines.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

use anstyle::Style;
use fanout_aws::{Event, EventKind};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::GlobalArgs;
use crate::style::{DIM, ERROR, GOOD};

/// How progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Display {
    /// JSON Lines on stdout, nothing else.
    Json,
    /// A spinner per stack on a terminal, with lines above it.
    Live,
    /// One line per event on stderr: CI logs, pipes.
    Plain,
    /// Nothing (`--quiet`, or a diff, which shows only its result).
    Silent,
}

impl Display {
    /// The display for a command with `json` output, on this terminal.
    pub fn choose(global: &GlobalArgs, json: bool) -> Self {
        if json {
            Self::Json
        } else if global.quiet {
            Self::Silent
        } else if std::io::stderr().is_terminal() && std::env::var_os("CI").is_none() {
            Self::Live
        } else {
            Self::Plain
        }
    }
}

/// Renders [`Event`]s as they arrive from the deploy tasks.
pub struct Printer {
    display: Display,
    allow_replacement: bool,
    live: Option<(MultiProgress, Mutex<BTreeMap<String, ProgressBar>>)>,
    lock: Mutex<()>,
}

impl Printer {
    pub fn new(display: Display, allow_replacement: bool) -> Self {
        let live = (display == Display::Live)
            .then(|| (MultiProgress::with_draw_target(ProgressDrawTarget::stderr()), Mutex::new(BTreeMap::new())));
        Self { display, allow_replacement, live, lock: Mutex::new(()) }
    }

    /// A line above the live display, or on stderr.
    fn line(&self, text: &str) {
        if let Some((multi, _)) = &self.live {
            let _ = multi.println(strip_if_needed(text));
        } else {
            let _guard = self.lock.lock();
            let mut err = anstream::stderr().lock();
            let _ = writeln!(err, "{text}");
        }
    }

    fn spinner(&self, stack: &str, message: String) {
        let Some((multi, bars)) = &self.live else { return };
        let Ok(mut bars) = bars.lock() else { return };
        let bar = bars.entry(stack.to_string()).or_insert_with(|| {
            let bar = multi.add(ProgressBar::new_spinner());
            bar.set_style(spinner_style());
            bar.set_prefix(stack.to_string());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        bar.set_message(message);
    }

    /// Ends the live display.
    pub fn finish(&self) {
        if let Some((_, bars)) = &self.live
            && let Ok(bars) = bars.lock()
        {
            for bar in bars.values() {
                bar.finish_and_clear();
            }
        }
    }

    /// A line for the whole command rather than one stack, like a signal received: on stderr,
    /// or as a JSON object of `type` `kind` with `fields`.
    pub fn note(&self, kind: &str, text: &str, fields: serde_json::Value) {
        match self.display {
            Display::Silent => {}
            Display::Json => {
                let mut value = serde_json::json!({ "type": kind });
                if let (Some(object), serde_json::Value::Object(fields)) = (value.as_object_mut(), fields) {
                    object.extend(fields);
                }
                self.json(&value);
            }
            Display::Live | Display::Plain => self.line(text),
        }
    }

    /// Prints one JSON line on stdout.
    pub fn json(&self, value: &serde_json::Value) {
        let _guard = self.lock.lock();
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{value}");
    }
}

/// A stack's spinner line: the spinner, the stack in bold, its latest event.
#[expect(clippy::expect_used, reason = "the template is a constant, and a test parses it")]
fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {prefix:.bold} {wide_msg}").expect("a valid indicatif template")
}

/// indicatif writes its own bytes; keep them plain when color is off.
fn strip_if_needed(text: &str) -> String {
    if anstream::ColorChoice::global() == anstream::ColorChoice::Never || !std::io::stderr().is_terminal() {
        anstream::adapter::strip_str(text).to_string()
    } else {
        text.to_string()
    }
}

impl fanout_aws::Reporter for Printer {
    fn report(&self, event: Event) {
        match self.display {
            Display::Silent => {}
            Display::Json => self.json(&to_json(&event)),
            Display::Live | Display::Plain => {
                let stack = event.stack.clone();
                let text = describe(&event.kind, self.allow_replacement);
                if let EventKind::StackEvent(e) = &event.kind {
                    self.spinner(&stack, format!("{} {}", e.logical_id, e.status));
                    if self.display == Display::Plain || e.status.ends_with("_FAILED") {
                        self.line(&format!("{DIM}{stack}{DIM:#} {text}"));
                    }
                } else {
                    self.spinner(&stack, first_line(&text));
                    self.line(&format!("{DIM}{stack}{DIM:#} {text}"));
                }
            }
        }
    }
}

/// `value` as JSON: the AWS crate's events and results are strings, numbers and maps with
/// string keys, which always serialize.
#[expect(clippy::expect_used, reason = "serializing fanout-aws's types cannot fail: see the message")]
pub fn to_json(value: &impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(value).expect("fanout-aws's events and results serialize: string keys, no floats")
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_string()
}

/// One event in words.
fn describe(kind: &EventKind, allow_replacement: bool) -> String {
    match kind {
        EventKind::LookupResolved { topic, arn, .. } => format!("found topic `{topic}`: {arn}"),
        EventKind::StaleLookup { topic, deployed, current, .. } => {
            format!(
                "topic `{topic}` was replaced: the stack subscribes to {deployed}, SSM now holds {current}; updating"
            )
        }
        EventKind::Unchanged => "template, parameters and tags are what the stack has: no change set".to_string(),
        EventKind::LeftoverDeleted { change_set } => {
            format!("deleted change set `{change_set}`, which an interrupted deploy left behind")
        }
        EventKind::ChangeSetDeleted { change_set } => {
            format!("stopped: deleted change set `{change_set}`, which was not executed")
        }
        EventKind::WaitingForOperation { status } => {
            format!("another operation is running ({status}); waiting for it to finish")
        }
        EventKind::Recreating { status } => {
            format!("the stack is {status} after a failed first create; deleting it to create it again")
        }
        EventKind::TemplateUploaded { url, bytes } => format!("uploaded the template ({bytes} bytes) to {url}"),
        EventKind::ChangeSetCreating { change_set, change_set_type } => {
            format!("creating change set `{change_set}` ({change_set_type})")
        }
        EventKind::Plan { plan, findings } => {
            super::plan::text(plan, findings, allow_replacement).trim_end().to_string()
        }
        EventKind::Executing { change_set } => format!("executing change set `{change_set}`"),
        EventKind::StackEvent(e) => {
            let time = e.timestamp.get(11..19).unwrap_or(&e.timestamp);
            let reason = e.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
            let style = if e.status.ends_with("_FAILED") {
                ERROR
            } else if e.status.ends_with("_COMPLETE") {
                GOOD
            } else {
                Style::new()
            };
            format!("{time} {} ({}) {style}{}{style:#}{reason}", e.logical_id, e.resource_type, e.status)
        }
        EventKind::Deleting => "deleting the stack".to_string(),
        // A refused change is told once, with the stack's result.
        EventKind::ContractChanged { changes, allow_breaking: false } if changes.iter().any(|c| c.breaking) => {
            "a topic's contract would change in a way that breaks its consumers: refused before anything is created"
                .to_string()
        }
        EventKind::ContractChanged { changes, allow_breaking } => {
            format!("contract changes:\n{}", super::plan::contract_text(changes, true, *allow_breaking).trim_end())
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_spinner_template_parses() {
        super::spinner_style();
    }
}
