//! `fanout lookup`: print a topic's ARN from SSM, as subscribers find it, and say where its
//! event schema is when the topic publishes one (on stderr, so stdout stays the ARN alone).

use anyhow::Context;
use fanout::{Name, TopicRef};

use crate::aws::connect;
use crate::commands::load_checked;
use crate::workspace::Workspace;
use crate::{GlobalArgs, Outcome, render, selection};

#[derive(Debug, clap::Args)]
pub struct LookupArgs {
    /// The stage, one of `stages` in `fanout.yaml`
    #[arg(long, value_name = "STAGE")]
    pub stage: String,

    /// The topic, as `DOMAIN/TOPIC`
    #[arg(value_name = "DOMAIN/TOPIC")]
    pub topic: String,
}

fn parse_topic(text: &str) -> anyhow::Result<TopicRef> {
    let (domain, topic) = text.split_once('/').with_context(|| {
        format!(
            "`{text}` is not a topic reference\n  hint: write `DOMAIN/TOPIC`, like `ingestion/scoring-inputs-ready`"
        )
    })?;
    let name = |part: &str| Name::new(part).with_context(|| format!("Invalid name `{part}` in `{text}`"));
    Ok(TopicRef::new(name(domain)?, name(topic)?))
}

pub fn run(global: &GlobalArgs, args: &LookupArgs) -> anyhow::Result<Outcome> {
    let topic = parse_topic(&args.topic)?;
    let workspace = Workspace::discover(global, None)?;
    let Some(project) = load_checked(global, &workspace)? else {
        return Ok(Outcome::ActionNeeded);
    };
    let stage = selection::stage(&project, &args.stage)?;
    let prefix = project.settings.ssm_prefix.clone();
    let found = connect::runtime()?.block_on(async {
        let client = connect::connect(global).await?;
        let found = async {
            let arn = fanout_aws::lookup(&client, &prefix, &stage, &topic).await?;
            let schema = fanout_aws::lookup_schema(&client, &prefix, &stage, &topic).await?;
            Ok::<_, fanout_aws::Error>((arn, schema))
        };
        Ok::<_, anyhow::Error>(found.await)
    })?;
    match found {
        Ok((arn, schema)) => {
            println!("{arn}");
            if let Some(name) = schema {
                render::note(global.quiet, format!("schema: SSM parameter `{name}`"));
            }
            Ok(Outcome::Success)
        }
        Err(err) if err.is_environment() => Err(connect::error(err)),
        Err(err) => {
            render::error(&connect::error(err));
            Ok(Outcome::ActionNeeded)
        }
    }
}
