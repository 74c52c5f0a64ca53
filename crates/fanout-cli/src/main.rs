//! The `fanout` command: flags are parsed here once, then each command runs with checked
//! settings. This is the only code of fanout that prints.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the CLI is the only code of fanout that prints; the workspace denies printing everywhere else"
)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod annotate;
mod aws;
mod commands;
mod output;
mod render;
mod selection;
mod style;
mod workspace;

// Synthesis builds and frees millions of small JSON values, on every core: mimalloc does it
// in a fraction of the instructions of the system allocator (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use commands::{deploy::DeployArgs, destroy::DestroyArgs, diff::DiffArgs, event::EventArgs, lookup::LookupArgs};
use commands::{graph::GraphArgs, lock::LockArgs, schema::SchemaArgs, synth::SynthArgs, validate::ValidateArgs};
use commands::{peek::PeekArgs, publish::PublishArgs, redrive::RedriveArgs, status::StatusArgs};

/// Turn event fan-out between domain teams into reviewed, deployable AWS infrastructure.
///
/// Each domain describes the SNS topics it publishes and the SQS queues it consumes with in
/// `domains/<domain>.yaml`; fanout checks them together and writes one CloudFormation
/// template per domain and stage into `templates/`.
#[derive(Debug, Parser)]
#[command(name = "fanout", version, propagate_version = true, max_term_width = 100)]
#[command(
    after_help = "Start with `fanout validate`, then `fanout synth`. Exit codes: 0 success, 1 action needed, 2 usage or environment error, 130 interrupted (a deploy or diff stopped by SIGINT or SIGTERM)"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,

    #[command(flatten)]
    global: GlobalArgs,
}

#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// Run as if started in this folder
    #[arg(short = 'C', long = "directory", global = true, value_name = "DIR")]
    pub directory: Option<std::path::PathBuf>,

    /// When to color output
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Print only errors
    #[arg(short, long, global = true)]
    pub quiet: bool,

    #[command(flatten)]
    pub aws: aws::args::AwsArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check every domain manifest; exit 1 if any has errors
    Validate(ValidateArgs),
    /// Write `templates/<stage>/<domain>.json` for every domain and stage
    Synth(SynthArgs),
    /// Print the fan-out topology as a Mermaid or Graphviz graph (`--from-aws`: every repo's)
    #[command(after_help = commands::graph::EXAMPLES)]
    Graph(GraphArgs),
    /// Print the JSON Schema of domain manifests (or of `fanout.yaml`)
    Schema(SchemaArgs),
    /// Deploy domains to a stage through CloudFormation change sets, producers first
    Deploy(DeployArgs),
    /// Show what `deploy` would change, without changing anything
    Diff(DiffArgs),
    /// Delete domains' stacks, refused while others consume their topics; queues, topics and keys are retained
    Destroy(DestroyArgs),
    /// Print a topic's ARN from SSM Parameter Store
    Lookup(LookupArgs),
    /// Lock the contracts of other repos' topics this repo subscribes to in `fanout.lock`
    #[command(after_help = commands::lock::EXAMPLES)]
    Lock(LockArgs),
    /// Work with events: check one against its topic's JSON Schema
    Event(EventArgs),
    /// Show the health of a stage: stacks, queues, dead letters, alarms, drift; exit 1 if anything needs you
    #[command(after_help = commands::status::EXAMPLES)]
    Status(StatusArgs),
    /// Show a queue's messages, or its dead letters, and make them visible again at once
    #[command(after_help = commands::peek::EXAMPLES)]
    Peek(PeekArgs),
    /// Move a queue's dead letters back into it: each once, FIFO groups in order
    #[command(after_help = commands::redrive::EXAMPLES)]
    Redrive(RedriveArgs),
    /// Check events against their topic's schema, then publish them: one event or a JSON Lines file
    #[command(after_help = commands::publish::EXAMPLES)]
    Publish(PublishArgs),
}

/// How a command ended, for the exit code: the one place that decides it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Success,
    /// Exit 1: the command ran and the user must act (invalid manifests, stale templates).
    ActionNeeded,
    /// Exit 3: `diff --exit-code` found stacks that would change; nothing failed. Apart from
    /// 1, so CI tells "review the plan" from "something is wrong".
    ChangesPlanned,
    /// Exit 130: a deploy or diff stopped on SIGINT or SIGTERM, after cleaning up; running it
    /// again carries on. 130 is what shells report for a command ended by Ctrl-C, so scripts
    /// and CI tell an interruption from a failure.
    Interrupted,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let choice = match cli.global.color {
        ColorChoice::Auto => anstream::ColorChoice::Auto,
        ColorChoice::Always => anstream::ColorChoice::Always,
        ColorChoice::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
    let result = match cli.command {
        Command::Validate(args) => commands::validate::run(&cli.global, &args),
        Command::Synth(args) => commands::synth::run(&cli.global, &args),
        Command::Graph(args) => commands::graph::run(&cli.global, &args),
        Command::Schema(args) => commands::schema::run(&args),
        Command::Deploy(args) => commands::deploy::run(&cli.global, &args),
        Command::Diff(args) => commands::diff::run(&cli.global, &args),
        Command::Destroy(args) => commands::destroy::run(&cli.global, &args),
        Command::Lookup(args) => commands::lookup::run(&cli.global, &args),
        Command::Lock(args) => commands::lock::run(&cli.global, &args),
        Command::Event(args) => commands::event::run(&cli.global, &args),
        Command::Status(args) => commands::status::run(&cli.global, &args),
        Command::Peek(args) => commands::peek::run(&cli.global, &args),
        Command::Redrive(args) => commands::redrive::run(&cli.global, &args),
        Command::Publish(args) => commands::publish::run(&cli.global, &args),
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::ActionNeeded) => ExitCode::from(1),
        Ok(Outcome::ChangesPlanned) => ExitCode::from(3),
        Ok(Outcome::Interrupted) => ExitCode::from(130),
        Err(err) => {
            render::error(&err);
            ExitCode::from(2)
        }
    }
}
