//! `fanout diff`: what `deploy` would change, with the guard's findings, changing nothing.

use std::io::Write;
use std::sync::Arc;

use fanout_aws::{DeployOptions, Mode, StackOutcome, Stop};

use crate::aws::args::TemplateBucketArgs;
use crate::aws::progress::{Display, Printer};
use crate::aws::{connect, plan, report};
use crate::{GlobalArgs, Outcome, selection};

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The stage to compare with, one of `stages` in `fanout.yaml`
    #[arg(long, value_name = "STAGE")]
    pub stage: String,

    /// The domains to compare [default: every domain of the repo]
    #[arg(value_name = "DOMAIN")]
    pub domains: Vec<String>,

    /// Output format: `markdown` for a pull-request comment, `json` for one JSON document
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Exit 3 when any stack would change (0 when none would, 1 and 2 as always)
    #[arg(long)]
    pub exit_code: bool,

    #[command(flatten)]
    pub template_bucket: TemplateBucketArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

pub fn run(global: &GlobalArgs, args: &DiffArgs) -> anyhow::Result<Outcome> {
    let Some((project, stage, domains)) = selection::load(global, &args.stage, &args.domains)? else {
        return Ok(Outcome::ActionNeeded);
    };
    // `fanout.lock` as `validate` read it with the manifests.
    let lock = project.lock().map(|file| file.lock.clone()).unwrap_or_default();
    let options = DeployOptions {
        mode: Mode::Diff,
        lock,
        template_bucket: args.template_bucket.template_bucket.clone(),
        stop: Stop::new(),
        ..DeployOptions::default()
    };
    // The plan is the result; progress would repeat it.
    let printer = Arc::new(Printer::new(Display::Silent, false));
    let run = connect::runtime()?.block_on(async {
        connect::stop_on_signal(options.stop.clone(), |_| {})?;
        let client = connect::connect(global).await?;
        let reporter: Arc<dyn fanout_aws::Reporter> = printer;
        fanout_aws::deploy_all(&client, &project, &stage, &domains, &options, reporter).await.map_err(connect::error)
    })?;
    connect::check_environment(&run)?;
    if run.stopped.is_some() {
        // A partial plan would read as a complete one: say only where the stacks stand.
        report::interrupted(&run);
        return Ok(Outcome::Interrupted);
    }
    let reports = run.stacks;

    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            let stacks: Vec<serde_json::Value> = reports.iter().map(report::json).collect();
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({ "stage": stage, "stacks": stacks }))?
            );
        }
        Format::Markdown => {
            let sections = reports
                .iter()
                .filter_map(|report| match &report.result {
                    Ok(StackOutcome::Planned { plan, findings, new_stack }) => {
                        let weight = if report.contract_changes.iter().any(|c| c.breaking) {
                            plan::Weight::Refused
                        } else {
                            plan::weight(plan, findings)
                        };
                        let section = plan::markdown(&report.stack, plan, findings, *new_stack);
                        Some((weight, format!("{section}{}", plan::contract_markdown(&report.contract_changes))))
                    }
                    Ok(StackOutcome::NoChanges { .. }) => {
                        Some((plan::Weight::Unchanged, format!("- `{}`: no changes\n", report.stack)))
                    }
                    Ok(_) => None,
                    Err(err) => Some((plan::Weight::Failed, format!("- `{}`: **error**: {err}\n\n", report.stack))),
                })
                .collect();
            let _ = write!(out, "{}", plan::comment(stage.as_str(), sections, plan::COMMENT_LIMIT));
        }
        Format::Text => {
            for report in &reports {
                match &report.result {
                    Ok(StackOutcome::Planned { plan, findings, new_stack }) => {
                        let new = if *new_stack { " (new stack)" } else { "" };
                        let _ = write!(out, "{}{new}: {}", report.stack, plan::text(plan, findings, false));
                        let changes = plan::contract_text(&report.contract_changes, false, false);
                        let _ = write!(out, "{}", anstream::adapter::strip_str(&changes));
                    }
                    Ok(StackOutcome::NoChanges { .. }) => {
                        let _ = writeln!(out, "{}: no changes", report.stack);
                    }
                    _ => {}
                }
            }
        }
    }
    drop(out);
    let failed = reports.iter().any(|r| r.result.is_err());
    if args.format != Format::Json {
        for report in reports.iter().filter(|r| r.result.is_err()) {
            report::problem(report, false);
        }
    }
    let changes = reports.iter().any(|r| r.result.as_ref().is_ok_and(StackOutcome::has_changes));
    Ok(if failed {
        Outcome::ActionNeeded
    } else if args.exit_code && changes {
        Outcome::ChangesPlanned
    } else {
        Outcome::Success
    })
}
