//! What the AWS commands (`deploy`, `diff`, `destroy`, `lookup`) share: the AWS flags,
//! connecting, choosing stage and domains, and showing progress and results.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

use anstyle::{AnsiColor, Style};
use anyhow::{Context, bail};
use fanout::{Name, Project};
use fanout_aws::guard::Finding;
use fanout_aws::plan::{Action, Plan, Replacement};
use fanout_aws::{Event, EventKind, Outcome, StackReport};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::GlobalArgs;

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const HINT: Style = AnsiColor::Cyan.on_default().bold();
const GOOD: Style = AnsiColor::Green.on_default().bold();
const DIM: Style = AnsiColor::Blue.on_default().bold();

/// Where AWS is: flags over the standard chain (`AWS_PROFILE`, `AWS_REGION`,
/// `AWS_ENDPOINT_URL`, the profile files).
#[derive(Debug, Default, clap::Args)]
pub struct AwsArgs {
    /// The AWS profile [default: `AWS_PROFILE`, else `default`]
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// The AWS region [default: `AWS_REGION`, else the profile's]
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
}

/// Where templates too large to send inline go, for `deploy` and `diff` (both create
/// change sets).
///
/// A flag and an environment variable rather than a `fanout.yaml` setting: the bucket
/// belongs to the AWS account deployed to, not to the repo, and CI sets it per account.
#[derive(Debug, Default, clap::Args)]
pub struct TemplateBucketArgs {
    /// The S3 bucket that templates over 51,200 bytes are uploaded to, created if absent
    /// (not a `fanout.yaml` setting: the bucket belongs to the AWS account)
    #[arg(long, env = "FANOUT_TEMPLATE_BUCKET", value_name = "BUCKET")]
    pub template_bucket: Option<String>,
}

/// A tokio runtime for one command.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("Cannot start the async runtime")
}

/// Connects to AWS; a failure is an environment error (exit 2).
pub async fn connect(global: &GlobalArgs) -> anyhow::Result<fanout_aws::Aws> {
    let options = fanout_aws::ConnectOptions { profile: global.aws.profile.clone(), region: global.aws.region.clone() };
    fanout_aws::Aws::connect(&options).await.map_err(with_hint)
}

/// An AWS error as an `anyhow` error whose message carries the hint line.
pub fn with_hint(err: fanout_aws::Error) -> anyhow::Error {
    match err.hint() {
        Some(hint) => anyhow::anyhow!("{err}\n  hint: {hint}"),
        None => anyhow::Error::new(err),
    }
}

/// The stage, checked against `fanout.yaml`.
pub fn stage(project: &Project, stage: &str) -> anyhow::Result<Name> {
    let listed = || project.settings.stages.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ");
    let name = Name::new(stage).with_context(|| format!("Invalid stage name `{stage}`"))?;
    if !project.settings.stages.contains(&name) {
        bail!("Stage `{stage}` is not listed in `fanout.yaml`\n  hint: use one of {}, or add it to `stages`", listed());
    }
    Ok(name)
}

/// The named domains, checked against the repo; every domain when none is named.
pub fn domains(project: &Project, names: &[String]) -> anyhow::Result<Vec<Name>> {
    let mut chosen = Vec::new();
    for name in names {
        let found = Name::new(name.as_str()).ok().filter(|n| project.domains.contains_key(n));
        let Some(found) = found else {
            let known = project.domains.keys().map(|d| format!("`{d}`")).collect::<Vec<_>>().join(", ");
            bail!("There is no domain `{name}` in this repo\n  hint: the domains are {known}");
        };
        if !chosen.contains(&found) {
            chosen.push(found);
        }
    }
    Ok(chosen)
}

/// The checked project, stage and domains of a `deploy` or `diff`; `None` when the
/// manifests have errors (already printed).
pub fn load_selection(
    global: &GlobalArgs,
    stage_name: &str,
    names: &[String],
) -> anyhow::Result<Option<(Project, Name, Vec<Name>)>> {
    let workspace = crate::workspace::Workspace::discover(global, None)?;
    let Some(project) = crate::commands::load_checked(global, &workspace)? else {
        return Ok(None);
    };
    let stage = stage(&project, stage_name)?;
    let chosen = domains(&project, names)?;
    Ok(Some((project, stage, chosen)))
}

/// Fails with exit 2 when any stack could not even be tried because of the environment.
pub fn check_environment(reports: &[StackReport]) -> anyhow::Result<()> {
    match reports.iter().find_map(|r| r.result.as_ref().err().filter(|e| e.is_environment())) {
        Some(err) => bail!("{err}{}", err.hint().map(|h| format!("\n  hint: {h}")).unwrap_or_default()),
        None => Ok(()),
    }
}

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
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix:.bold} {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
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

    /// Prints one JSON line on stdout.
    pub fn json(&self, value: &serde_json::Value) {
        let _guard = self.lock.lock();
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{value}");
    }
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
            Display::Json => {
                if let Ok(value) = serde_json::to_value(&event) {
                    self.json(&value);
                }
            }
            Display::Live | Display::Plain => {
                let stack = event.stack.clone();
                let text = describe_event(&event.kind, self.allow_replacement);
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

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_string()
}

/// One event in words.
fn describe_event(kind: &EventKind, allow_replacement: bool) -> String {
    match kind {
        EventKind::LookupResolved { topic, arn, .. } => format!("found topic `{topic}`: {arn}"),
        EventKind::StaleLookup { topic, deployed, current, .. } => {
            format!(
                "topic `{topic}` was replaced: the stack subscribes to {deployed}, SSM now holds {current}; updating"
            )
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
        EventKind::Plan { plan, findings } => plan_text(plan, findings, allow_replacement).trim_end().to_string(),
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
    }
}

fn symbol(action: Action, replacement: Option<Replacement>) -> &'static str {
    match (action, replacement) {
        (Action::Add, _) => "+",
        (Action::Remove, _) => "-",
        (_, Some(Replacement::Always)) => "±",
        _ => "~",
    }
}

/// A plan, its guard findings included: the first line sums it up.
pub fn plan_text(plan: &Plan, findings: &[Finding], allow_replacement: bool) -> String {
    let (add, change, remove) = plan.counts();
    let mut text = format!("plan: {add} to add, {change} to change, {remove} to remove\n");
    for change in &plan.changes {
        let replacement = match change.replacement {
            Some(Replacement::Always) => " (replace)".to_string(),
            Some(Replacement::Conditional) => " (may replace)".to_string(),
            _ => String::new(),
        };
        let by = if change.recreated_by.is_empty() {
            String::new()
        } else {
            format!(" by {}", change.recreated_by.join(", "))
        };
        text.push_str(&format!(
            "  {} {} ({}){replacement}{by}\n",
            symbol(change.action, change.replacement),
            change.logical_id,
            change.resource_type
        ));
    }
    for finding in findings {
        let (label, style) = if finding.blocks(allow_replacement) { ("error", ERROR) } else { ("warning", WARNING) };
        text.push_str(&format!("  {style}{label}{style:#}: {finding}\n    {HINT}hint{HINT:#}: {}\n", finding.hint()));
    }
    text
}

/// A plan as a Markdown section, for a pull-request comment.
pub fn plan_markdown(stack: &str, plan: &Plan, findings: &[Finding], new_stack: bool) -> String {
    let (add, change, remove) = plan.counts();
    let mut text = format!("### `{stack}`{}\n\n", if new_stack { " (new stack)" } else { "" });
    if plan.is_empty() {
        text.push_str("No changes.\n\n");
        return text;
    }
    text.push_str(&format!("{add} to add, {change} to change, {remove} to remove.\n\n"));
    text.push_str("| | Resource | Type | Replacement |\n|---|---|---|---|\n");
    for c in &plan.changes {
        let replacement = match c.replacement {
            Some(Replacement::Always) if c.recreated_by.is_empty() => "**yes**".to_string(),
            Some(Replacement::Always) => format!("**yes** ({})", c.recreated_by.join(", ")),
            Some(Replacement::Conditional) => "maybe".to_string(),
            _ => String::new(),
        };
        text.push_str(&format!(
            "| {} | `{}` | `{}` | {replacement} |\n",
            symbol(c.action, c.replacement),
            c.logical_id,
            c.resource_type
        ));
    }
    text.push('\n');
    for finding in findings {
        let label = if finding.blocks(false) { "**Refused without `--allow-replacement`**" } else { "Warning" };
        text.push_str(&format!("- {label}: {finding} ({})\n", finding.hint()));
    }
    if !findings.is_empty() {
        text.push('\n');
    }
    text
}

/// The error lines for a stack that did not deploy, on stderr.
pub fn report_problem(report: &StackReport, allow_replacement: bool) {
    let mut err = anstream::stderr().lock();
    let stack = &report.stack;
    match &report.result {
        Err(e) => {
            let _ = writeln!(err, "{ERROR}error{ERROR:#}: stack `{stack}`: {e}");
            if let Some(hint) = e.hint() {
                let _ = writeln!(err, "  {HINT}hint{HINT:#}: {hint}");
            }
        }
        Ok(Outcome::Refused { findings, .. }) => {
            let blocking: Vec<&Finding> = findings.iter().filter(|f| f.blocks(allow_replacement)).collect();
            let _ = writeln!(
                err,
                "{ERROR}error{ERROR:#}: refused to deploy stack `{stack}`: {}",
                crate::render::plural(blocking.len(), "resource change")
            );
            for finding in blocking {
                let _ = writeln!(err, "  {finding}");
            }
            let _ = writeln!(
                err,
                "  {HINT}hint{HINT:#}: the change set was deleted and nothing changed; pass `--allow-replacement` to replace them (queues and topics are retained, their messages are not moved)"
            );
        }
        Ok(Outcome::Failed { status, failure }) => {
            let _ = writeln!(err, "{ERROR}error{ERROR:#}: stack `{stack}` failed and was rolled back ({status})");
            if let Some(f) = failure {
                let _ = writeln!(err, "  resource `{}` ({}) {}: {}", f.logical_id, f.resource_type, f.status, f.reason);
            }
        }
        Ok(Outcome::Skipped { because }) => {
            let _ = writeln!(
                err,
                "{ERROR}error{ERROR:#}: skipped stack `{stack}`: it subscribes to domain `{because}`, which did not deploy"
            );
        }
        Ok(_) => {}
    }
}

/// `report` as one JSON object with `type: result`.
pub fn report_json(report: &StackReport) -> serde_json::Value {
    let mut value = serde_json::json!({ "type": "result", "domain": report.domain, "stack": report.stack });
    match &report.result {
        Ok(outcome) => {
            if let (Ok(serde_json::Value::Object(fields)), Some(object)) =
                (serde_json::to_value(outcome), value.as_object_mut())
            {
                object.extend(fields);
            }
        }
        Err(e) => {
            value["outcome"] = "error".into();
            value["message"] = e.to_string().into();
            value["hint"] = e.hint().into();
        }
    }
    value
}
