//! Publish endpoints (`http: true` on a topic): a regional REST API per domain whose
//! `POST /topics/{topic}` publishes the JSON body to the topic through API Gateway's SNS
//! integration, so a publisher needs no SDK and no credentials beyond `execute-api:Invoke`.
//!
//! Each topic gets its own execution role, allowed `sns:Publish` on that topic only and the
//! use of the domain key. Requests are checked before they reach SNS: IAM authorization,
//! the FIFO headers (a missing `X-Message-Group-Id` is a 400), and the body against the
//! topic's event schema when it has one.

use serde_json::Value;

use super::{POLICY_VERSION, Synth};
use crate::model::{Domain, Encryption, Topic, TopicKind};
use crate::name::{Name, TopicRef};
use crate::naming::{self, logical_id};
use crate::template::{Resource, get_att, reference, sub, json};

const APIGATEWAY_SERVICE: &str = "apigateway.amazonaws.com";
/// The header a FIFO topic's message group comes from.
pub const GROUP_HEADER: &str = "X-Message-Group-Id";
/// The header a FIFO topic's deduplication ID comes from.
pub const DEDUPLICATION_HEADER: &str = "X-Message-Deduplication-Id";
/// A year: what checkov asks of log groups (CKV_AWS_338).
const ACCESS_LOG_RETENTION_DAYS: u32 = 365;
/// One JSON line per request; API Gateway requires `$context.requestId`.
const ACCESS_LOG_FORMAT: &str = concat!(
    r#"{"requestId":"$context.requestId","caller":"$context.identity.caller","user":"$context.identity.user","#,
    r#""sourceIp":"$context.identity.sourceIp","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","#,
    r#""resourcePath":"$context.resourcePath","status":"$context.status","integrationStatus":"$context.integration.status","#,
    r#""error":"$context.error.message"}"#
);
const DRAFT_4: &str = "http://json-schema.org/draft-04/schema#";

/// The topics of `domain` with a publish endpoint.
fn http_topics(domain: &Domain) -> impl Iterator<Item = (&Name, &Topic)> {
    domain.topics.iter().filter(|(_, topic)| topic.http)
}

/// Whether API Gateway checks the body of this topic's requests against its schema.
fn has_model(topic: &Topic) -> bool {
    topic.schema.as_ref().is_some_and(|schema| schema.document.is_some())
}

/// Which request validator a topic's method uses, if any.
fn validator(topic: &Topic) -> Option<&'static str> {
    if has_model(topic) {
        Some(logical_id::PUBLISH_API_BODY_VALIDATOR)
    } else if topic.kind.is_fifo() {
        Some(logical_id::PUBLISH_API_HEADER_VALIDATOR)
    } else {
        None
    }
}

/// The request mapping template of a publish endpoint, around the topic ARN: API Gateway
/// renders it into the form-encoded body of the SNS `Publish` call. The body becomes the
/// message; a FIFO topic takes the message group and deduplication ID from the headers.
/// One line, as a line break would end up in the last value.
pub(crate) fn request_template(kind: TopicKind) -> (&'static str, String) {
    let mut after = String::from("')&Message=$util.urlEncode($input.body)");
    if kind.is_fifo() {
        after.push_str(&format!("&MessageGroupId=$util.urlEncode($input.params().header.get('{GROUP_HEADER}'))"));
        after.push_str(&format!(
            "#set($deduplication = $input.params().header.get('{DEDUPLICATION_HEADER}'))\
             #if(\"$!deduplication\" != \"\")&MessageDeduplicationId=$util.urlEncode($deduplication)#end"
        ));
    }
    ("Action=Publish&TopicArn=$util.urlEncode('", after)
}

/// The event schema as an API Gateway model: draft 4, the only draft API Gateway knows
/// (the load checks that the schema uses no later keyword).
fn model_schema(document: &Value) -> Value {
    let mut schema = document.clone();
    if let Value::Object(map) = &mut schema {
        map.insert("$schema".to_string(), json!(DRAFT_4));
    }
    schema
}

impl Synth<'_> {
    /// The key policy statement that lets CloudWatch Logs encrypt the access logs.
    pub(super) fn publish_api_key_statement(&self) -> Option<Value> {
        http_topics(self.domain).next()?;
        let log_group = naming::publish_api_log_group(self.stage, &self.domain.name);
        Some(json!({
            "Sid": "CloudWatchLogsUsesKeyForAccessLogs",
            "Effect": "Allow",
            "Principal": { "Service": sub("logs.${AWS::Region}.amazonaws.com") },
            "Action": ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
            "Resource": "*",
            "Condition": { "ArnEquals": {
                "kms:EncryptionContext:aws:logs:arn":
                    sub(&format!("arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{log_group}")),
            } },
        }))
    }

    pub(super) fn publish_endpoints(&mut self) {
        let topics: Vec<(&Name, &Topic)> = http_topics(self.domain).collect();
        if topics.is_empty() {
            return;
        }
        let (stage, domain) = (self.stage, &self.domain.name);
        let api = reference(logical_id::PUBLISH_API);
        // The deployment's logical ID hashes the API's definition, so this part builds its
        // contents even for an outline; few domains have publish endpoints.
        self.resource(logical_id::PUBLISH_API.to_string(), |s| {
            Resource::new(
                "AWS::ApiGateway::RestApi",
                json!({
                    "Name": naming::publish_api_name(stage, domain),
                    "Description": format!("Publish endpoints of the topics of domain {domain} ({stage})"),
                    "EndpointConfiguration": { "Types": ["REGIONAL"] },
                    "Tags": s.tags.clone(),
                }),
            )
        });
        let topics_resource = json!({
            "RestApiId": api.clone(),
            "ParentId": get_att(logical_id::PUBLISH_API, "RootResourceId"),
            "PathPart": "topics",
        });
        // What the deployment must be redone for when it changes.
        let mut definition = vec![topics_resource.clone()];
        self.resource(logical_id::PUBLISH_API_TOPICS.to_string(), |_| Resource::new("AWS::ApiGateway::Resource", topics_resource));

        for (id, validate_body) in [(logical_id::PUBLISH_API_BODY_VALIDATOR, true), (logical_id::PUBLISH_API_HEADER_VALIDATOR, false)] {
            if topics.iter().any(|(_, topic)| validator(topic) == Some(id)) {
                let properties = json!({
                    "RestApiId": api.clone(),
                    "Name": if validate_body { "body-and-headers" } else { "headers" },
                    "ValidateRequestBody": validate_body,
                    "ValidateRequestParameters": true,
                });
                definition.push(properties.clone());
                self.resource(id.to_string(), |_| Resource::new("AWS::ApiGateway::RequestValidator", properties));
            }
        }

        let mut methods = Vec::new();
        for (name, topic) in &topics {
            let method = self.publish_endpoint(name, topic, &mut definition);
            methods.push(method);
        }

        let hash = logical_id::stable_hash(&Value::Array(definition).to_string());
        let deployment_id = logical_id::publish_api_deployment(hash);
        let mut deployment = Resource::new(
            "AWS::ApiGateway::Deployment",
            json!({ "RestApiId": api.clone(), "Description": format!("Publish endpoints of domain {domain} ({stage})") }),
        );
        for method in methods {
            deployment = deployment.depends_on(method);
        }
        self.resource(deployment_id.clone(), |_| deployment);

        let log_group_name = naming::publish_api_log_group(stage, domain);
        let mut log_group = json!({
            "LogGroupName": log_group_name,
            "RetentionInDays": ACCESS_LOG_RETENTION_DAYS,
            "Tags": self.tags.clone(),
        });
        let log_group = if self.domain.encryption == Encryption::CustomerKey {
            log_group["KmsKeyId"] = get_att(logical_id::KEY, "Arn");
            Resource::new("AWS::Logs::LogGroup", log_group)
        } else {
            Resource::new("AWS::Logs::LogGroup", log_group).with_metadata(json!({
                "checkov": { "skip": [{
                    "id": "CKV_AWS_158",
                    "comment": "encryption is not customer-key in the manifest: CloudWatch Logs encrypts the access logs with its own key",
                }] },
            }))
        };
        self.resource(logical_id::PUBLISH_API_LOG_GROUP.to_string(), |_| log_group);

        let stage_resource = Resource::new(
            "AWS::ApiGateway::Stage",
            json!({
                "RestApiId": api.clone(),
                "DeploymentId": reference(&deployment_id),
                "StageName": stage.as_str(),
                "Description": format!("Publish endpoints of domain {domain} ({stage})"),
                "TracingEnabled": true,
                "AccessLogSetting": {
                    "DestinationArn": get_att(logical_id::PUBLISH_API_LOG_GROUP, "Arn"),
                    "Format": ACCESS_LOG_FORMAT,
                },
                "MethodSettings": [{
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "MetricsEnabled": true,
                    "LoggingLevel": "ERROR",
                    "DataTraceEnabled": false,
                }],
                "Tags": self.tags.clone(),
            }),
        )
        .with_metadata(json!({
            "checkov": { "skip": [{
                "id": "CKV_AWS_120",
                "comment": "publish endpoints only POST events; a cache would answer a publish without publishing",
            }] },
        }));
        self.resource(logical_id::PUBLISH_API_STAGE.to_string(), |_| stage_resource);

        for (name, _) in &topics {
            let topic_ref = TopicRef::new(domain.clone(), (*name).clone());
            let url = sub(&format!(
                "https://${{{}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/${{{}}}/topics/{name}",
                logical_id::PUBLISH_API,
                logical_id::PUBLISH_API_STAGE
            ));
            let parameter = json!({
                "Name": naming::topic_url_parameter(&self.project.settings.ssm_prefix, stage, &topic_ref),
                "Type": "String",
                "Value": url.clone(),
                "Description": format!("URL of the publish endpoint of topic {topic_ref}"),
                "Tags": self.parameter_tags(),
            });
            self.resource(logical_id::topic_url_parameter(name), |_| Resource::new("AWS::SSM::Parameter", parameter));
            self.output(format!("{}Url", logical_id::topic(name)), || {
                (format!("URL of the publish endpoint of topic {topic_ref} (POST, SigV4-signed)"), url)
            });
        }
    }

    /// The resource, method, role and model of one topic's endpoint; returns the method's
    /// logical ID. What the deployment depends on goes into `definition`.
    fn publish_endpoint(&mut self, name: &Name, topic: &Topic, definition: &mut Vec<Value>) -> String {
        let api = reference(logical_id::PUBLISH_API);
        let topic_id = logical_id::topic(name);
        let topic_ref = TopicRef::new(self.domain.name.clone(), name.clone());

        let resource_id = logical_id::topic_publish_resource(name);
        let resource = json!({ "RestApiId": api.clone(), "ParentId": reference(logical_id::PUBLISH_API_TOPICS), "PathPart": name.as_str() });
        definition.push(resource.clone());
        self.resource(resource_id.clone(), |_| Resource::new("AWS::ApiGateway::Resource", resource));

        let role_id = logical_id::topic_publish_role(name);
        let mut statements = vec![json!({
            "Sid": "PublishToTopic",
            "Effect": "Allow",
            "Action": "sns:Publish",
            "Resource": reference(&topic_id),
        })];
        statements.extend(self.publish_key_statement());
        let role = json!({
            "Description": format!("API Gateway publishes to topic {topic_ref} ({}) with this role", self.stage),
            "AssumeRolePolicyDocument": {
                "Version": POLICY_VERSION,
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": { "Service": APIGATEWAY_SERVICE },
                    "Action": "sts:AssumeRole",
                    "Condition": { "StringEquals": { "aws:SourceAccount": sub("${AWS::AccountId}") } },
                }],
            },
            "Policies": [{
                "PolicyName": "publish",
                "PolicyDocument": { "Version": POLICY_VERSION, "Statement": statements },
            }],
            "Tags": self.tags.clone(),
        });
        self.resource(role_id.clone(), |_| Resource::new("AWS::IAM::Role", role));

        let fifo = topic.kind.is_fifo();
        let mut request_parameters = serde_json::Map::new();
        if let TopicKind::Fifo(settings) = topic.kind {
            request_parameters.insert(format!("method.request.header.{GROUP_HEADER}"), json!(true));
            // Without content-based deduplication, SNS refuses a FIFO publish without an ID.
            request_parameters.insert(format!("method.request.header.{DEDUPLICATION_HEADER}"), json!(!settings.content_based_deduplication));
        }
        let (before, after) = request_template(topic.kind);
        let mut method = json!({
            "RestApiId": api.clone(),
            "ResourceId": reference(&resource_id),
            "HttpMethod": "POST",
            "AuthorizationType": "AWS_IAM",
            "Integration": {
                "Type": "AWS",
                "IntegrationHttpMethod": "POST",
                "Uri": sub("arn:${AWS::Partition}:apigateway:${AWS::Region}:sns:action/Publish"),
                "Credentials": get_att(&role_id, "Arn"),
                "PassthroughBehavior": "NEVER",
                "RequestParameters": {
                    "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'",
                },
                "RequestTemplates": {
                    "application/json": { "Fn::Join": ["", [before, reference(&topic_id), after]] },
                },
                "IntegrationResponses": [
                    { "StatusCode": "200" },
                    { "StatusCode": "400", "SelectionPattern": "4\\d{2}" },
                    { "StatusCode": "500", "SelectionPattern": "5\\d{2}" },
                ],
            },
            "MethodResponses": [{ "StatusCode": "200" }, { "StatusCode": "400" }, { "StatusCode": "500" }],
        });
        if fifo {
            method["RequestParameters"] = Value::Object(request_parameters);
        }
        if let Some(validator) = validator(topic) {
            method["RequestValidatorId"] = reference(validator);
        }
        if let Some(document) = topic.schema.as_ref().and_then(|schema| schema.document.as_ref()) {
            let model_id = logical_id::topic_publish_model(name);
            let model = json!({
                "RestApiId": api.clone(),
                "ContentType": "application/json",
                "Description": format!("Events of topic {topic_ref}"),
                "Schema": model_schema(document),
            });
            definition.push(model.clone());
            self.resource(model_id.clone(), |_| Resource::new("AWS::ApiGateway::Model", model));
            method["RequestModels"] = json!({ "application/json": reference(&model_id) });
        }
        definition.push(method.clone());
        let method_id = logical_id::topic_publish_method(name);
        self.resource(method_id.clone(), |_| Resource::new("AWS::ApiGateway::Method", method));
        method_id
    }

    /// What the execution role needs of the domain key to publish to an encrypted topic.
    fn publish_key_statement(&self) -> Option<Value> {
        let actions = json!(["kms:Decrypt", "kms:GenerateDataKey*"]);
        match &self.domain.encryption {
            Encryption::CustomerKey => Some(json!({
                "Sid": "UseDomainKey",
                "Effect": "Allow",
                "Action": actions,
                "Resource": get_att(logical_id::KEY, "Arn"),
            })),
            // The AWS-managed key's policy already lets the account use it through SNS.
            Encryption::ServiceManaged => None,
            Encryption::ExistingKey(key) => match key.find("alias/") {
                // An alias names no key an IAM policy can grant; grant the keys it points to.
                Some(start) => Some(json!({
                    "Sid": "UseDomainKey",
                    "Effect": "Allow",
                    "Action": actions,
                    "Resource": sub("arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"),
                    "Condition": { "ForAnyValue:StringEquals": { "kms:ResourceAliases": &key[start..] } },
                })),
                None => Some(json!({ "Sid": "UseDomainKey", "Effect": "Allow", "Action": actions, "Resource": key.as_str() })),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FifoTopic;

    fn rendered(kind: TopicKind) -> String {
        let (before, after) = request_template(kind);
        format!("{before}arn:aws:sns:eu-west-1:123456789012:dev-shop-orders{after}")
    }

    #[test]
    fn standard_topics_publish_the_body() {
        insta::assert_snapshot!(rendered(TopicKind::Standard), @"Action=Publish&TopicArn=$util.urlEncode('arn:aws:sns:eu-west-1:123456789012:dev-shop-orders')&Message=$util.urlEncode($input.body)");
    }

    #[test]
    fn fifo_topics_take_group_and_deduplication_from_headers() {
        let template = rendered(TopicKind::Fifo(FifoTopic::default()));
        insta::assert_snapshot!(template, @r#"Action=Publish&TopicArn=$util.urlEncode('arn:aws:sns:eu-west-1:123456789012:dev-shop-orders')&Message=$util.urlEncode($input.body)&MessageGroupId=$util.urlEncode($input.params().header.get('X-Message-Group-Id'))#set($deduplication = $input.params().header.get('X-Message-Deduplication-Id'))#if("$!deduplication" != "")&MessageDeduplicationId=$util.urlEncode($deduplication)#end"#);
    }

    #[test]
    fn templates_are_one_line_and_encode_every_value() {
        for kind in [TopicKind::Standard, TopicKind::Fifo(FifoTopic::default())] {
            let template = rendered(kind);
            assert!(!template.contains('\n'), "a line break would end up in the last value: {template}");
            for pair in template.split('&').skip(1) {
                let (_, value) = pair.split_once('=').expect("key=value");
                assert!(value.starts_with("$util.urlEncode("), "`{pair}` is not URL-encoded");
            }
        }
    }

    #[test]
    fn models_are_draft_4() {
        let schema = model_schema(&json!({ "$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object" }));
        assert_eq!(schema, json!({ "$schema": DRAFT_4, "type": "object" }));
    }
}
