//! Pre-flight: find every topic of another domain a stack subscribes to, in SSM, before
//! anything is created, and check that it is the kind of topic the queues need; check API
//! Gateway's logging role once per deploy when a template needs it.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ssm::error::SdkError;
use fanout::{Name, TopicLookup};
use tokio::sync::OnceCell;

use crate::client::Aws;
use crate::error::{Error, from_sdk};
use crate::retry::retrying;

/// SSM's GetParameters takes at most this many names per request.
pub(crate) const NAMES_PER_REQUEST: usize = 10;

/// A topic lookup and the ARN SSM holds for it now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Resolved {
    pub lookup: TopicLookup,
    pub arn: String,
}

const FIFO_SUFFIX: &str = ".fifo";

/// Whether the topic ARN found for `lookup` has the kind its subscribers need.
pub(crate) fn check_kind(lookup: &TopicLookup, arn: &str) -> Result<(), Error> {
    let fifo = arn.ends_with(FIFO_SUFFIX);
    let wrong = |fifo| Error::TopicKind {
        topic: lookup.topic.to_string(),
        ssm_name: lookup.ssm_name.clone(),
        arn: arn.to_string(),
        fifo,
    };
    if lookup.requires_fifo && !fifo {
        return Err(wrong(true));
    }
    if lookup.requires_standard && fifo {
        return Err(wrong(false));
    }
    Ok(())
}

/// The error for a topic that is not in SSM.
pub(crate) fn missing(lookup: &TopicLookup, stage: &Name) -> Error {
    Error::MissingTopic {
        topic: lookup.topic.to_string(),
        stage: stage.to_string(),
        domain: lookup.topic.domain.to_string(),
        ssm_name: lookup.ssm_name.clone(),
    }
}

/// The value of SSM parameter `name`, or `None` when it does not exist.
pub(crate) async fn parameter(aws: &Aws, name: &str) -> Result<Option<String>, Error> {
    match aws.ssm.get_parameter().name(name).send().await {
        Ok(output) => Ok(output.parameter().and_then(|p| p.value()).map(str::to_string)),
        Err(SdkError::ServiceError(err)) if err.err().is_parameter_not_found() => Ok(None),
        Err(err) => Err(from_sdk("GetParameter", &aws.endpoint(), err)),
    }
}

/// The values of the SSM parameters `names` that exist, by name, read
/// [`NAMES_PER_REQUEST`] at a time.
pub(crate) async fn parameters(aws: &Aws, names: &BTreeSet<&str>) -> Result<BTreeMap<String, String>, Error> {
    let names: Vec<&str> = names.iter().copied().collect();
    let mut found = BTreeMap::new();
    for batch in names.chunks(NAMES_PER_REQUEST) {
        let output = retrying(|| async {
            aws.ssm
                .get_parameters()
                .set_names(Some(batch.iter().map(|name| (*name).to_string()).collect()))
                .send()
                .await
                .map_err(|err| from_sdk("GetParameters", &aws.endpoint(), err))
        })
        .await?;
        // Names that do not exist come back in `InvalidParameters`, not as an error.
        for parameter in output.parameters() {
            if let (Some(name), Some(value)) = (parameter.name(), parameter.value()) {
                found.insert(name.to_string(), value.to_string());
            }
        }
    }
    Ok(found)
}

/// The most parameters `GetParametersByPath` returns per page.
const PARAMETERS_PER_PAGE: i32 = 10;

/// The name and value of every parameter under `path` (at any depth when `recursive`, else
/// its direct children), page by page.
pub(crate) async fn parameters_under(aws: &Aws, path: &str, recursive: bool) -> Result<Vec<(String, String)>, Error> {
    let mut found = Vec::new();
    let mut next_token: Option<String> = None;
    loop {
        let token = next_token.clone();
        let page = retrying(|| async {
            aws.ssm
                .get_parameters_by_path()
                .path(path)
                .recursive(recursive)
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

/// Every topic in `lookups`, from the parameter values `found` by name. Missing topics are
/// errors, and so are topics of the wrong kind.
pub(crate) fn resolve(
    stage: &Name,
    lookups: &[TopicLookup],
    found: &BTreeMap<String, String>,
) -> Result<Vec<Resolved>, Error> {
    let mut resolved = Vec::new();
    for lookup in lookups {
        let arn = found.get(&lookup.ssm_name).cloned().ok_or_else(|| missing(lookup, stage))?;
        check_kind(lookup, &arn)?;
        resolved.push(Resolved { lookup: lookup.clone(), arn });
    }
    Ok(resolved)
}

/// Whether `template` has an API Gateway stage that writes access logs, which API Gateway
/// accepts only once the account has a CloudWatch Logs role in the region.
pub(crate) fn writes_api_access_logs(template: &serde_json::Value) -> bool {
    template["Resources"].as_object().is_some_and(|resources| {
        resources.values().any(|resource| {
            resource["Type"] == "AWS::ApiGateway::Stage" && resource["Properties"].get("AccessLogSetting").is_some()
        })
    })
}

/// Whether API Gateway has a CloudWatch Logs role in this account and region, asked at most
/// once per deploy (`cache`): it is one setting of the account, not of a stack.
pub(crate) type ApiLogRole = OnceCell<bool>;

/// Checks that API Gateway has its CloudWatch Logs role in this account and region, when
/// `template` needs it: without it the stage fails mid-deploy and the stack rolls back.
pub(crate) async fn check_api_log_role(
    aws: &Aws,
    stack: &str,
    template: &serde_json::Value,
    cache: &ApiLogRole,
) -> Result<(), Error> {
    if !writes_api_access_logs(template) {
        return Ok(());
    }
    let has_role = cache
        .get_or_try_init(|| async {
            let account = retrying(|| async {
                aws.apigateway.get_account().send().await.map_err(|err| from_sdk("GetAccount", &aws.endpoint(), err))
            })
            .await?;
            Ok::<_, Error>(account.cloudwatch_role_arn().is_some_and(|role| !role.is_empty()))
        })
        .await?;
    if *has_role {
        Ok(())
    } else {
        Err(Error::NoApiGatewayLogRole { stack: stack.to_string(), region: aws.region.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fanout::TopicRef;

    fn lookup(requires_fifo: bool, requires_standard: bool) -> TopicLookup {
        let name = |n: &str| Name::new(n).unwrap();
        TopicLookup {
            topic: TopicRef::new(name("ingestion"), name("ready")),
            parameter: "IngestionReadyTopicArn".into(),
            ssm_name: "/fanout/dev/ingestion/topics/ready/arn".into(),
            requires_fifo,
            requires_standard,
        }
    }

    #[test]
    fn only_templates_with_a_rest_api_need_the_log_role() {
        use fanout::build::{DomainBuilder, QueueBuilder, TopicBuilder};
        let template = |domain: DomainBuilder| {
            let mut project = fanout::Project::new(fanout::Settings::default());
            project.add(domain.build().unwrap());
            let template = project.template("shop", "dev").unwrap().to_json();
            serde_json::from_str::<serde_json::Value>(&template).unwrap()
        };
        let plain = DomainBuilder::new("shop").topic(TopicBuilder::standard("orders"));
        assert!(!writes_api_access_logs(&template(plain)));
        let publish = DomainBuilder::new("shop").topic(TopicBuilder::standard("orders").http(true));
        assert!(writes_api_access_logs(&template(publish)));
        let poll = DomainBuilder::new("shop").queue(QueueBuilder::standard("inbox").http(true));
        assert!(writes_api_access_logs(&template(poll)));
    }

    #[test]
    fn fifo_queue_needs_fifo_topic() {
        assert!(check_kind(&lookup(true, false), "arn:aws:sns:us-east-1:1:dev-ingestion-ready.fifo").is_ok());
        let err = check_kind(&lookup(true, false), "arn:aws:sns:us-east-1:1:dev-ingestion-ready").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Topic `ingestion/ready` must be a FIFO topic, but SSM parameter `/fanout/dev/ingestion/topics/ready/arn` holds `arn:aws:sns:us-east-1:1:dev-ingestion-ready`"
        );
    }

    #[test]
    fn standard_dead_letter_queue_needs_standard_topic() {
        assert!(check_kind(&lookup(false, true), "arn:aws:sns:us-east-1:1:t").is_ok());
        assert!(check_kind(&lookup(false, true), "arn:aws:sns:us-east-1:1:t.fifo").is_err());
        assert!(check_kind(&lookup(false, false), "arn:aws:sns:us-east-1:1:t.fifo").is_ok());
    }

    #[test]
    fn missing_topic_names_the_fix() {
        let err = missing(&lookup(true, false), &Name::new("dev").unwrap());
        assert_eq!(err.hint().as_deref(), Some("deploy domain `ingestion` to stage `dev` first"));
    }
}
