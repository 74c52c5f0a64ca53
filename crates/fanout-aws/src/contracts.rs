//! Reading what crosses repos through SSM besides topic ARNs: the contracts of topics (for
//! `fanout lock`) and the registrations of their consumers (for a producer's breaking changes
//! and for `destroy`). fanout's own types come out, never the SDK's; what they mean is decided
//! in `lock.rs` and `breaking.rs`.

use std::collections::{BTreeMap, BTreeSet};

use fanout::contract::published::{LockedTopic, SubscriberRecord};
use fanout::{Name, Project, TopicRef, naming};

use crate::breaking::{self, RemainingConsumer};
use crate::client::Aws;
use crate::error::Error;
use crate::lock::{self, ContractParameters};
use crate::preflight;

/// The locked topics of `fanout.lock` for each of `stages`: the contract and schema SSM
/// holds for each of `topics`, read ten parameters a request. A topic with no contract is an
/// error naming the parameter and the producer.
pub async fn read_lock(
    aws: &Aws,
    ssm_prefix: &str,
    stages: &[Name],
    topics: &BTreeSet<TopicRef>,
) -> Result<BTreeMap<Name, BTreeMap<String, LockedTopic>>, Error> {
    let wanted: Vec<(Name, ContractParameters)> = stages
        .iter()
        .flat_map(|stage| {
            topics.iter().map(move |topic| (stage.clone(), ContractParameters::new(ssm_prefix, stage, topic)))
        })
        .collect();
    let names: BTreeSet<&str> = wanted.iter().flat_map(|(_, p)| [p.contract.as_str(), p.schema.as_str()]).collect();
    let found = if names.is_empty() { BTreeMap::new() } else { preflight::parameters(aws, &names).await? };
    let mut locked: BTreeMap<Name, BTreeMap<String, LockedTopic>> =
        stages.iter().map(|stage| (stage.clone(), BTreeMap::new())).collect();
    for (stage, parameters) in &wanted {
        let topic = lock::lock_topic(parameters, stage, &found)?;
        locked.entry(stage.clone()).or_default().insert(parameters.topic.to_string(), topic);
    }
    Ok(locked)
}

/// The consumer domains registered on `topic` in `stage`, from every repo
/// (GetParametersByPath under the topic's subscribers path).
pub async fn registered_consumers(
    aws: &Aws,
    ssm_prefix: &str,
    stage: &Name,
    topic: &TopicRef,
) -> Result<Vec<SubscriberRecord>, Error> {
    registrations(aws, &naming::topic_subscribers_path(ssm_prefix, stage, topic)).await
}

/// The registrations under `path`, every page.
pub(crate) async fn registrations(aws: &Aws, path: &str) -> Result<Vec<SubscriberRecord>, Error> {
    let found: BTreeMap<String, String> = preflight::parameters_under(aws, path, false).await?.into_iter().collect();
    breaking::registrations(&found)
}

/// The consumers of `domain`'s topics in `stage` that deleting its stack would leave behind:
/// the repo's other domains that subscribe, and every domain registered in SSM, except
/// `domain` and the domains in `destroying` (deleted in the same run).
pub async fn remaining_consumers(
    aws: &Aws,
    project: &Project,
    stage: &Name,
    domain: &Name,
    destroying: &[Name],
) -> Result<Vec<RemainingConsumer>, Error> {
    let Some(producer) = project.domains.get(domain) else { return Ok(Vec::new()) };
    let excluded: Vec<&str> = destroying.iter().chain([domain]).map(Name::as_str).collect();
    let mut left = Vec::new();
    for name in producer.topics.keys() {
        let topic = TopicRef::new(domain.clone(), name.clone());
        let repo = breaking::repo_consumers(project, &topic);
        let registered = registered_consumers(aws, &project.settings.ssm_prefix, stage, &topic).await?;
        left.extend(breaking::remaining(&topic, &repo, &registered, &excluded));
    }
    Ok(left)
}
