//! `fanout schema`: the JSON Schema of manifests, for editors.

use crate::Outcome;

#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// Print the schema of `fanout.yaml` instead of a domain manifest's
    #[arg(long)]
    pub settings: bool,
}

pub fn run(args: &SchemaArgs) -> anyhow::Result<Outcome> {
    let schema = if args.settings { fanout::manifest::settings_schema() } else { fanout::manifest::domain_schema() };
    println!("{}", serde_json::to_string_pretty(&schema)?);
    Ok(Outcome::Success)
}
