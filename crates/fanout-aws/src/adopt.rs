//! Re-adoption after `destroy`: a stack created again takes back, through a change set of
//! type `IMPORT`, the queues, topics and key that the deleted stack of its domain and stage
//! retained; the rest of its template comes in the update that follows (`phases.rs`).
//!
//! The decisions are in `import_plan`, without SDK types. This module looks the resources up
//! by the template's physical names (SQS `GetQueueUrl`, SNS `GetTopicAttributes`; the key
//! through the queues and topics encrypted with it), reads their tags (`ListQueueTags`,
//! `ListTagsForResource`, KMS `ListResourceTags`), each read retried as `retry.rs` says, and
//! creates the `IMPORT` change set; `phases.rs` waits for it, executes and follows it like any
//! other. Nothing is created when nothing is found, nor when a resource is tagged for another
//! domain or stage.

mod import_plan;

use std::collections::BTreeMap;

use aws_sdk_cloudformation::types::{ChangeSetType, ResourceToImport};
use aws_sdk_kms::types::{KeyManagerType, KeyState};
use aws_sdk_sqs::types::QueueAttributeName;
use fanout::Name;
use serde_json::Value;

use crate::client::Aws;
use crate::error::{Error, from_sdk};
use crate::retry::retrying;
pub use import_plan::ForeignResource;
use import_plan::{Candidate, Lookup, Owner};
pub(crate) use import_plan::{DOMAIN_TAG, Found, STAGE_TAG, merged, planned};

/// What a deleted stack of `domain` in `stage` retained under the physical names of
/// `template`, to import into the new stack `stack_name`: empty when nothing was.
/// Refuses, changing nothing, when one of those resources is not tagged for `domain` and
/// `stage`.
pub(crate) async fn retained(
    aws: &Aws,
    stack_name: &str,
    domain: &Name,
    stage: &Name,
    template: &Value,
) -> Result<Vec<Found>, Error> {
    let owner = Owner { domain: domain.as_str(), stage: stage.as_str() };
    let candidates = import_plan::candidates(template);
    let found = find_named(aws, &candidates).await?;
    let mut imports = import_plan::decide(found, owner).map_err(|resources| Error::ForeignResources {
        stack: stack_name.to_string(),
        domain: owner.domain.to_string(),
        stage: owner.stage.to_string(),
        resources,
    })?;
    if imports.is_empty() {
        return Ok(imports);
    }
    if let Some((logical_id, reference)) = import_plan::key_to_find(&candidates, &imports)
        && let Some(key) = retrying(|| find_key(aws, &logical_id, &reference, owner)).await?
    {
        imports.push(key);
    }
    Ok(imports)
}

/// Creates the `IMPORT` change set `change_set` of `imports`: a template that holds them
/// alone. Sent again after a transient failure, as `stack::create_change_set` is: the name is
/// this deploy's own, so "already exists" means done.
pub(crate) async fn create_import_change_set(
    aws: &Aws,
    stack_name: &str,
    change_set: &str,
    template: &Value,
    imports: &[Found],
) -> Result<(), Error> {
    let resources: Vec<ResourceToImport> = imports
        .iter()
        .filter_map(|found| {
            let (key, value) = import_plan::identifier(found)?;
            Some(
                ResourceToImport::builder()
                    .resource_type(&found.resource_type)
                    .logical_resource_id(&found.logical_id)
                    .resource_identifier(key, value)
                    .build(),
            )
        })
        .collect();
    let body = import_plan::import_template(template, imports).to_string();
    retrying(|| async {
        let sent = aws
            .cfn
            .create_change_set()
            .stack_name(stack_name)
            .change_set_name(change_set)
            .change_set_type(ChangeSetType::Import)
            .description("fanout deploy: import what the deleted stack retained")
            .template_body(&body)
            .set_resources_to_import(Some(resources.clone()))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_already_exists_exception()) => Ok(()),
            Err(err) => Err(from_sdk("CreateChangeSet", &aws.endpoint(), err)),
        }
    })
    .await
}

/// A successful answer that lacks what it always carries.
fn incomplete(operation: &'static str, what: &str) -> Error {
    Error::Aws { operation, code: None, message: format!("the answer has no {what}"), transient: false, source: None }
}

/// The queues and topics of `candidates` that exist under their names, with their tags.
async fn find_named(aws: &Aws, candidates: &[Candidate]) -> Result<Vec<Found>, Error> {
    let mut found = Vec::new();
    let mut topic_arns = None;
    for candidate in candidates {
        let id = &candidate.logical_id;
        let item = match &candidate.lookup {
            Lookup::Queue { name } => retrying(|| find_queue(aws, id, name)).await?,
            Lookup::Topic { name } => {
                if topic_arns.is_none() {
                    topic_arns = Some(retrying(|| topic_arn_prefix(aws)).await?);
                }
                let arn = format!("{}{name}", topic_arns.as_deref().unwrap_or_default());
                retrying(|| find_topic(aws, id, name, arn.clone())).await?
            }
            Lookup::Key => None,
        };
        found.extend(item);
    }
    Ok(found)
}

/// `arn:{partition}:sns:{region}:{account}:`, which a topic's name completes to its ARN.
async fn topic_arn_prefix(aws: &Aws) -> Result<String, Error> {
    const OPERATION: &str = "GetCallerIdentity";
    let identity =
        aws.sts.get_caller_identity().send().await.map_err(|err| from_sdk(OPERATION, &aws.endpoint(), err))?;
    let account = identity.account().ok_or_else(|| incomplete(OPERATION, "account"))?;
    let partition =
        identity.arn().and_then(|arn| arn.split(':').nth(1)).ok_or_else(|| incomplete(OPERATION, "caller ARN"))?;
    Ok(format!("arn:{partition}:sns:{}:{account}:", aws.region))
}

async fn find_queue(aws: &Aws, logical_id: &str, name: &str) -> Result<Option<Found>, Error> {
    let endpoint = aws.endpoint();
    let url = match aws.sqs.get_queue_url().queue_name(name).send().await {
        Ok(output) => output.queue_url().ok_or_else(|| incomplete("GetQueueUrl", "queue URL"))?.to_string(),
        Err(err) if err.as_service_error().is_some_and(|e| e.is_queue_does_not_exist()) => return Ok(None),
        Err(err) => return Err(from_sdk("GetQueueUrl", &endpoint, err)),
    };
    let tags = aws
        .sqs
        .list_queue_tags()
        .queue_url(&url)
        .send()
        .await
        .map_err(|err| from_sdk("ListQueueTags", &endpoint, err))?;
    let attributes = aws
        .sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::KmsMasterKeyId)
        .send()
        .await
        .map_err(|err| from_sdk("GetQueueAttributes", &endpoint, err))?;
    Ok(Some(Found {
        logical_id: logical_id.to_string(),
        resource_type: "AWS::SQS::Queue".to_string(),
        identifier: url,
        name: name.to_string(),
        tags: tags.tags().into_iter().flatten().map(|(k, v)| (k.clone(), v.clone())).collect(),
        encrypted_with: attributes.attributes().and_then(|a| a.get(&QueueAttributeName::KmsMasterKeyId)).cloned(),
    }))
}

async fn find_topic(aws: &Aws, logical_id: &str, name: &str, arn: String) -> Result<Option<Found>, Error> {
    let endpoint = aws.endpoint();
    let attributes = match aws.sns.get_topic_attributes().topic_arn(&arn).send().await {
        Ok(output) => output.attributes().cloned().unwrap_or_default(),
        Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found_exception()) => return Ok(None),
        Err(err) => return Err(from_sdk("GetTopicAttributes", &endpoint, err)),
    };
    let tags = aws
        .sns
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .map_err(|err| from_sdk("ListTagsForResource", &endpoint, err))?;
    Ok(Some(Found {
        logical_id: logical_id.to_string(),
        resource_type: "AWS::SNS::Topic".to_string(),
        identifier: arn,
        name: name.to_string(),
        tags: tags.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect(),
        encrypted_with: attributes.get("KmsMasterKeyId").cloned(),
    }))
}

/// The key `reference` (an ARN, ID or alias) names, when it is one to import for `owner`.
async fn find_key(aws: &Aws, logical_id: &str, reference: &str, owner: Owner<'_>) -> Result<Option<Found>, Error> {
    let endpoint = aws.endpoint();
    let metadata = match aws.kms.describe_key().key_id(reference).send().await {
        Ok(output) => output.key_metadata().cloned().ok_or_else(|| incomplete("DescribeKey", "key metadata"))?,
        Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found_exception()) => return Ok(None),
        Err(err) => return Err(from_sdk("DescribeKey", &endpoint, err)),
    };
    let customer_managed = metadata.key_manager() == Some(&KeyManagerType::Customer);
    let enabled = metadata.key_state() == Some(&KeyState::Enabled);
    let key_id = metadata.key_id().to_string();
    let mut tags = BTreeMap::new();
    // An AWS-managed or unusable key is never imported; its tags are not worth a call.
    if customer_managed && enabled {
        let mut marker = None;
        loop {
            let page = aws
                .kms
                .list_resource_tags()
                .key_id(&key_id)
                .set_marker(marker)
                .send()
                .await
                .map_err(|err| from_sdk("ListResourceTags", &endpoint, err))?;
            tags.extend(page.tags().iter().map(|t| (t.tag_key().to_string(), t.tag_value().to_string())));
            marker = page.next_marker().filter(|_| page.truncated()).map(str::to_string);
            if marker.is_none() {
                break;
            }
        }
    }
    let key = Found {
        logical_id: logical_id.to_string(),
        resource_type: "AWS::KMS::Key".to_string(),
        name: metadata.arn().unwrap_or(reference).to_string(),
        identifier: key_id,
        tags,
        encrypted_with: None,
    };
    Ok(import_plan::key_is_adoptable(&key, customer_managed, enabled, owner).then_some(key))
}
