//! The organization as SSM shows it: every parameter fanout's stacks publish under a stage,
//! across all repos, read with `GetParametersByPath` and handed to
//! `fanout::organization::from_parameters`, which decides what each one is.

use fanout::Name;
use fanout::organization::{self, Organization};

use crate::client::Aws;
use crate::error::Error;
use crate::preflight;

/// Every topic and registered consumer published in `stage` under `ssm_prefix`, by every repo
/// in the account and region.
pub async fn organization(aws: &Aws, ssm_prefix: &str, stage: &Name) -> Result<Organization, Error> {
    let path = fanout::naming::stage_parameters_path(ssm_prefix, stage);
    let parameters = preflight::parameters_under(aws, &path, true).await?;
    Ok(organization::from_parameters(
        ssm_prefix,
        stage,
        parameters.iter().map(|(name, value)| (name.as_str(), value.as_str())),
    ))
}
