//! The organization as SSM shows it: every parameter fanout's stacks publish under a stage,
//! across all repos, read with `GetParametersByPath` and handed to
//! `fanout::organization::from_parameters`, which decides what each one is.

use fanout::Name;
use fanout::organization::{self, Organization};

use crate::client::Aws;
use crate::error::{Error, from_sdk};
use crate::retry::retrying;

/// The most parameters `GetParametersByPath` returns per page.
const PARAMETERS_PER_PAGE: i32 = 10;

/// Every topic and registered consumer published in `stage` under `ssm_prefix`, by every repo
/// in the account and region.
pub async fn organization(aws: &Aws, ssm_prefix: &str, stage: &Name) -> Result<Organization, Error> {
    let path = fanout::naming::stage_parameters_path(ssm_prefix, stage);
    let parameters = parameters_under(aws, &path).await?;
    Ok(organization::from_parameters(
        ssm_prefix,
        stage,
        parameters.iter().map(|(name, value)| (name.as_str(), value.as_str())),
    ))
}

/// The name and value of every parameter under `path`, at any depth, page by page.
async fn parameters_under(aws: &Aws, path: &str) -> Result<Vec<(String, String)>, Error> {
    let mut found = Vec::new();
    let mut next_token: Option<String> = None;
    loop {
        let token = next_token.clone();
        let page = retrying(|| async {
            aws.ssm
                .get_parameters_by_path()
                .path(path)
                .recursive(true)
                .max_results(PARAMETERS_PER_PAGE)
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|err| from_sdk("GetParametersByPath", &aws.endpoint(), err))
        })
        .await?;
        for parameter in page.parameters() {
            if let (Some(name), Some(value)) = (parameter.name(), parameter.value()) {
                found.push((name.to_string(), value.to_string()));
            }
        }
        match page.next_token() {
            Some(token) if !token.is_empty() => next_token = Some(token.to_string()),
            _ => return Ok(found),
        }
    }
}
