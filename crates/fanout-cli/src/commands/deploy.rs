//! `fanout deploy`: deploy domains to a stage through change sets, producers first.

use std::io::Write;
use std::sync::Arc;

use fanout_aws::{DeployOptions, Mode, StackOutcome, Stop};

use crate::aws::args::TemplateBucketArgs;
use crate::aws::connect;
use crate::aws::progress::{Display, Printer};
use crate::aws::report;
use crate::commands::TextOrJson as Format;
use crate::style::GOOD;
use crate::{GlobalArgs, Outcome, selection};

#[derive(Debug, clap::Args)]
pub struct DeployArgs {
    /// The stage to deploy to, one of `stages` in `fanout.yaml`
    #[arg(long, value_name = "STAGE")]
    pub stage: String,

    /// The domains to deploy [default: every domain of the repo]
    #[arg(value_name = "DOMAIN")]
    pub domains: Vec<String>,

    /// Deploy even when queues, topics, keys or topic SSM parameters would be replaced or removed
    #[arg(long)]
    pub allow_replacement: bool,

    /// Deploy even when a topic's contract would change in a way that breaks its consumers
    /// (their next deploys stop in pre-flight until they run `fanout lock`)
    #[arg(long)]
    pub allow_breaking: bool,

    /// The most stacks deployed at once; each starts as soon as the domains it subscribes to
    /// are deployed, and fewer run while AWS throttles
    #[arg(long, default_value_t = DeployOptions::DEFAULT_CONCURRENCY as u16, value_parser = clap::value_parser!(u16).range(1..=256), value_name = "N")]
    pub concurrency: u16,

    /// Create change sets even for stacks whose template, parameters and tags are unchanged
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub template_bucket: TemplateBucketArgs,

    /// Output format: `json` prints JSON Lines (events and results) on stdout
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn run(global: &GlobalArgs, args: &DeployArgs) -> anyhow::Result<Outcome> {
    let Some((project, stage, domains)) = selection::load(global, &args.stage, &args.domains)? else {
        return Ok(Outcome::ActionNeeded);
    };
    // `fanout.lock` as `validate` read it with the manifests.
    let lock = project.lock().map(|file| file.lock.clone()).unwrap_or_default();
    let options = DeployOptions {
        mode: Mode::Deploy,
        allow_replacement: args.allow_replacement,
        allow_breaking: args.allow_breaking,
        lock,
        force: args.force,
        template_bucket: args.template_bucket.template_bucket.clone(),
        concurrency: usize::from(args.concurrency),
        stop: Stop::new(),
        ..DeployOptions::default()
    };
    let json = args.format == Format::Json;
    let printer = Arc::new(Printer::new(Display::choose(global, json), args.allow_replacement));
    let run = connect::runtime()?.block_on(async {
        let announcer = Arc::clone(&printer);
        connect::stop_on_signal(options.stop.clone(), move |signal| {
            announcer.note(
                "interrupt",
                &format!("received {signal}: stopping; no new stack starts, change sets not executed are deleted, stacks CloudFormation is updating are left to finish"),
                serde_json::json!({ "signal": signal }),
            );
        })?;
        let client = connect::connect(global).await?;
        let reporter: Arc<dyn fanout_aws::Reporter> = printer.clone();
        fanout_aws::deploy_all(&client, &project, &stage, &domains, &options, reporter).await.map_err(connect::error)
    });
    printer.finish();
    let run = run?;
    let reports = &run.stacks;

    for report in reports {
        if json {
            printer.json(&report::json(report));
            continue;
        }
        // An environment error is reported once, for the whole command, below.
        if !report.result.as_ref().is_err_and(fanout_aws::Error::is_environment) {
            report::problem(report, args.allow_replacement);
        }
        if global.quiet {
            continue;
        }
        let mut err = anstream::stderr().lock();
        match &report.result {
            Ok(StackOutcome::NoChanges { outputs }) => {
                let _ = writeln!(err, "{GOOD}ok{GOOD:#}: stack `{}`: no changes", report.stack);
                print_outputs(&report.stack, outputs);
            }
            Ok(StackOutcome::Deployed { status, outputs, .. }) => {
                let _ = writeln!(err, "{GOOD}ok{GOOD:#}: stack `{}`: {status}", report.stack);
                print_outputs(&report.stack, outputs);
            }
            _ => {}
        }
    }
    if let Some(line) = report::throttling(&run, options.concurrency) {
        printer.note(
            "throttling",
            &line,
            serde_json::json!({ "throttled": run.throttled, "lowest_concurrency": run.lowest_concurrency }),
        );
    }
    connect::check_environment(&run)?;
    if run.stopped.is_some() {
        if !json {
            report::interrupted(&run);
        }
        return Ok(Outcome::Interrupted);
    }
    Ok(if reports.iter().all(fanout_aws::StackReport::succeeded) { Outcome::Success } else { Outcome::ActionNeeded })
}

/// The stack outputs on stdout, one `stack output value` line each: data, not progress.
fn print_outputs(stack: &str, outputs: &std::collections::BTreeMap<String, String>) {
    let mut out = std::io::stdout().lock();
    for (key, value) in outputs {
        let _ = writeln!(out, "{stack}\t{key}\t{value}");
    }
}
