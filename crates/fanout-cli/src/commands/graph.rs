//! `fanout graph`: the topology, for a pull request: of the repo's domains, or with
//! `--from-aws` of every repo, as SSM shows a stage.

use std::path::PathBuf;

use fanout::graph::{self, GraphFormat};

use crate::aws::connect;
use crate::commands::load_checked;
use crate::workspace::Workspace;
use crate::{GlobalArgs, Outcome, render, selection};

pub const EXAMPLES: &str = "\
Examples:
  fanout graph                                  this repo's domains, as Mermaid for a pull request
  fanout graph --format dot | dot -Tsvg         the same drawn by Graphviz
  fanout graph --stage dev --from-aws           every repo's topics and consumers in `dev`, from SSM";

#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// Graph language
    #[arg(long, value_enum, default_value_t = Format::Mermaid)]
    pub format: Format,

    /// The folder of domain manifests [default: `domains/` of the repo]
    #[arg(long, value_name = "DIR")]
    pub manifests: Option<PathBuf>,

    /// Draw what SSM holds for the stage instead of this repo: every topic published and every
    /// consumer domain registered, from all repos in the account and region
    #[arg(long, requires = "stage")]
    pub from_aws: bool,

    /// The stage to read with `--from-aws`, one of `stages` in `fanout.yaml`
    #[arg(long, value_name = "STAGE", requires = "from_aws")]
    pub stage: Option<String>,
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
    let Some(stage) = args.stage.as_deref().filter(|_| args.from_aws) else {
        print!("{}", graph::render(&project, format));
        return Ok(Outcome::Success);
    };
    let stage = selection::stage(&project, stage)?;
    let prefix = project.settings.ssm_prefix.clone();
    let found = connect::runtime()?.block_on(async {
        let client = connect::connect(global).await?;
        Ok::<_, anyhow::Error>(fanout_aws::organization(&client, &prefix, &stage).await)
    })?;
    match found {
        Ok(organization) => {
            for warning in &organization.warnings {
                render::warning(global.quiet, warning);
            }
            print!("{}", graph::render_organization(&organization, format));
            render::note(
                global.quiet,
                format!(
                    "found {} and {} in SSM under `{}`",
                    render::plural(organization.topics.values().filter(|topic| topic.arn.is_some()).count(), "topic"),
                    render::plural(
                        organization.topics.values().map(|topic| topic.subscribers.len()).sum(),
                        "consumer registration"
                    ),
                    fanout::naming::stage_parameters_path(&prefix, &stage),
                ),
            );
            Ok(Outcome::Success)
        }
        Err(err) if err.is_environment() => Err(connect::error(err)),
        Err(err) => {
            render::error(&connect::error(err));
            Ok(Outcome::ActionNeeded)
        }
    }
}
