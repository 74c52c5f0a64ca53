//! `fanout graph`: the topology, for a pull request.

use std::path::PathBuf;

use fanout::graph::{self, GraphFormat};

use crate::commands::load_checked;
use crate::workspace::Workspace;
use crate::{GlobalArgs, Outcome};

#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// Graph language
    #[arg(long, value_enum, default_value_t = Format::Mermaid)]
    pub format: Format,

    /// The folder of domain manifests [default: `domains/` of the repo]
    #[arg(long, value_name = "DIR")]
    pub manifests: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Mermaid,
    Dot,
}

pub fn run(global: &GlobalArgs, args: &GraphArgs) -> anyhow::Result<Outcome> {
    let workspace = Workspace::discover(global, args.manifests.as_deref())?;
    let Some(project) = load_checked(global, &workspace)? else {
        return Ok(Outcome::ActionNeeded);
    };
    let format = match args.format {
        Format::Mermaid => GraphFormat::Mermaid,
        Format::Dot => GraphFormat::Dot,
    };
    print!("{}", graph::render(&project, format));
    Ok(Outcome::Success)
}
