//! The domain's regional REST API (`http: true`), which lets workflows outside AWS use the
//! fan-out with nothing but SigV4-signed HTTPS calls and `execute-api:Invoke`:
//!
//! - a publish endpoint per topic, `POST /topics/{topic}`, publishing the JSON body to the
//!   topic through API Gateway's SNS integration;
//! - poll endpoints per queue, `GET /queues/{queue}/messages` (receive) and
//!   `DELETE /queues/{queue}/messages?receipt_handle=...`, through its SQS integration.
//!
//! No Lambda sits in between. Each endpoint gets its own execution role, allowed its one
//! topic or queue and the use of the domain key for it. Requests are checked before they
//! reach SNS or SQS: IAM authorization, required headers and query parameters (a FIFO
//! publish without `X-Message-Group-Id`, a receive without `max_messages`, is a 400), and
//! the body against the topic's event schema when it has one. The stage is throttled
//! (`http.rate_limit`, `http.burst_limit`) and, with `http.web_acl_arn`, behind a web ACL.

use serde_json::Value;

use super::{POLICY_VERSION, Synth};
use crate::compliance;
use crate::manifest::AttributeType;
use crate::model::{Domain, Encryption, Queue, Topic, TopicKind};
use crate::name::{Name, TopicRef};
use crate::naming::{self, logical_id};
use crate::template::{Resource, get_att, json, reference, sub};

const APIGATEWAY_SERVICE: &str = "apigateway.amazonaws.com";
/// The header a FIFO topic's message group comes from.
pub const GROUP_HEADER: &str = "X-Message-Group-Id";
/// The header a FIFO topic's deduplication ID comes from.
pub const DEDUPLICATION_HEADER: &str = "X-Message-Deduplication-Id";
/// The prefix of the header each declared message attribute comes from:
/// `X-Message-Attribute-event_type`.
pub const ATTRIBUTE_HEADER_PREFIX: &str = "X-Message-Attribute-";
/// The query parameters of a receive, all required, as SQS names them:
/// `(query parameter, ReceiveMessage parameter)`.
pub const RECEIVE_PARAMETERS: [(&str, &str); 3] = [
    ("max_messages", "MaxNumberOfMessages"),
    ("wait_seconds", "WaitTimeSeconds"),
    ("visibility_timeout", "VisibilityTimeout"),
];
/// The query parameter of a delete.
pub const RECEIPT_HANDLE_PARAMETER: &str = "receipt_handle";
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

/// The queues of `domain` with poll endpoints.
fn http_queues(domain: &Domain) -> impl Iterator<Item = (&Name, &Queue)> {
    domain.queues.iter().filter(|(_, queue)| queue.http)
}

/// Whether `domain` has a REST API: any topic or queue with `http`.
pub(crate) fn has_api(domain: &Domain) -> bool {
    http_topics(domain).next().is_some() || http_queues(domain).next().is_some()
}

/// The alias a key reference names (`alias/team-key`, or an alias ARN), if it names one.
fn key_alias(key: &str) -> Option<&str> {
    key.find("alias/").map(|start| &key[start..])
}

/// The request mapping template of a publish endpoint, around the topic ARN: API Gateway
/// renders it into the form-encoded body of the SNS `Publish` call. The body becomes the
/// message; each declared message attribute comes from its header
/// (`X-Message-Attribute-<name>`, required), and a FIFO topic takes the message group and
/// deduplication ID from the headers. One line, as a line break would end up in the last
/// value.
pub(crate) fn request_template(topic: &Topic) -> (&'static str, String) {
    let kind = topic.kind;
    let mut after = String::from("')&Message=$util.urlEncode($input.body)");
    for (index, (name, attribute)) in topic.attributes.iter().enumerate() {
        let entry = format!("&MessageAttributes.entry.{}", index + 1);
        let data_type = attribute.data_type.as_str();
        let value = if attribute.data_type == AttributeType::Binary { "BinaryValue" } else { "StringValue" };
        after.push_str(&format!(
            "{entry}.Name=$util.urlEncode('{name}'){entry}.Value.DataType=$util.urlEncode('{data_type}')\
             {entry}.Value.{value}=$util.urlEncode($input.params().header.get('{ATTRIBUTE_HEADER_PREFIX}{name}'))"
        ));
    }
    if kind.is_fifo() {
        after.push_str(&format!("&MessageGroupId=$util.urlEncode($input.params().header.get('{GROUP_HEADER}'))"));
        after.push_str(&format!(
            "#set($deduplication = $input.params().header.get('{DEDUPLICATION_HEADER}'))\
             #if(\"$!deduplication\" != \"\")&MessageDeduplicationId=$util.urlEncode($deduplication)#end"
        ));
    }
    ("Action=Publish&TopicArn=$util.urlEncode('", after)
}

/// The request mapping template of a receive: the form-encoded body of the SQS
/// `ReceiveMessage` call, from the (required) query parameters, asking for every system and
/// message attribute (the FIFO message group, the receive count, SNS's raw-delivery
/// attributes).
pub(crate) fn receive_template() -> String {
    let mut template = String::from("Action=ReceiveMessage");
    for (query, parameter) in RECEIVE_PARAMETERS {
        template.push_str(&format!("&{parameter}=$util.urlEncode($input.params('{query}'))"));
    }
    template.push_str("&AttributeName.1=All&MessageAttributeName.1=All");
    template
}

/// The request mapping template of a delete: the form-encoded body of the SQS
/// `DeleteMessage` call. API Gateway hands the template the query parameter decoded.
pub(crate) fn delete_template() -> String {
    format!("Action=DeleteMessage&ReceiptHandle=$util.urlEncode($input.params('{RECEIPT_HANDLE_PARAMETER}'))")
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

/// An `AWS` integration that API Gateway calls with a form-encoded body rendered from the
/// `application/json` request template; other content types are refused (415). SNS and
/// SQS errors come back as 400 or 500, their body passed through.
fn form_integration(uri: Value, role_id: &str, template: Value) -> Value {
    json!({
        "Type": "AWS",
        "IntegrationHttpMethod": "POST",
        "Uri": uri,
        "Credentials": get_att(role_id, "Arn"),
        "PassthroughBehavior": "NEVER",
        "RequestParameters": {
            "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'",
        },
        "RequestTemplates": { "application/json": template },
        "IntegrationResponses": [
            { "StatusCode": "200" },
            { "StatusCode": "400", "SelectionPattern": "4\\d{2}" },
            { "StatusCode": "500", "SelectionPattern": "5\\d{2}" },
        ],
    })
}

/// The method responses that go with [`form_integration`].
fn method_responses() -> Value {
    json!([{ "StatusCode": "200" }, { "StatusCode": "400" }, { "StatusCode": "500" }])
}

/// The required query parameters of a method, as `RequestParameters`.
fn required_query(names: &[&str]) -> Value {
    names
        .iter()
        .map(|name| (format!("method.request.querystring.{name}"), json!(true)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

impl Synth<'_> {
    /// The key policy statement that lets CloudWatch Logs encrypt the access logs.
    pub(super) fn api_key_statement(&self) -> Option<Value> {
        if !has_api(self.domain) {
            return None;
        }
        let log_group = naming::api_log_group(self.stage, &self.domain.name);
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

    /// The URL of the REST API's stage, followed by `path`.
    fn api_url(path: &str) -> Value {
        sub(&format!(
            "https://${{{}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/${{{}}}{path}",
            logical_id::API,
            logical_id::API_STAGE
        ))
    }

    pub(super) fn http_api(&mut self) {
        if !has_api(self.domain) {
            return;
        }
        let topics: Vec<(&Name, &Topic)> = http_topics(self.domain).collect();
        let queues: Vec<(&Name, &Queue)> = http_queues(self.domain).collect();
        let (stage, domain, http) = (self.stage, &self.domain.name, &self.domain.http);
        let what = match (topics.is_empty(), queues.is_empty()) {
            (false, true) => "Publish endpoints",
            (true, false) => "Poll endpoints",
            _ => "Publish and poll endpoints",
        };
        let description = format!("{what} of domain {domain} ({stage})");
        self.resource(logical_id::API.to_string(), |s| {
            Resource::new(
                "AWS::ApiGateway::RestApi",
                json!({
                    "Name": naming::api_name(stage, domain),
                    "Description": description.clone(),
                    "EndpointConfiguration": { "Types": ["REGIONAL"] },
                    "Tags": s.tags.clone(),
                }),
            )
        });
        // What the deployment must be redone for when it changes.
        let mut definition = Vec::new();
        for (id, path, used) in [
            (logical_id::API_TOPICS, "topics", !topics.is_empty()),
            (logical_id::API_QUEUES, "queues", !queues.is_empty()),
        ] {
            if used {
                let properties = json!({ "RestApiId": reference(logical_id::API), "ParentId": get_att(logical_id::API, "RootResourceId"), "PathPart": path });
                definition.push(properties.clone());
                self.resource(id.to_string(), |_| Resource::new("AWS::ApiGateway::Resource", properties));
            }
        }

        // Every method has a body (publish) or required query parameters (poll), so every
        // method is validated: the body against the topic's schema where it has one, and
        // the required headers and query parameters.
        let validator = json!({
            "RestApiId": reference(logical_id::API),
            "Name": "body-and-parameters",
            "ValidateRequestBody": true,
            "ValidateRequestParameters": true,
        });
        definition.push(validator.clone());
        self.resource(logical_id::API_VALIDATOR.to_string(), |_| {
            Resource::new("AWS::ApiGateway::RequestValidator", validator)
        });

        let mut methods = Vec::new();
        for (name, topic) in &topics {
            methods.push(self.publish_endpoint(name, topic, &mut definition));
        }
        for (name, queue) in &queues {
            methods.extend(self.poll_endpoints(name, queue, &mut definition));
        }

        let hash = logical_id::stable_hash(&Value::Array(definition).to_string());
        let deployment_id = logical_id::api_deployment(hash);
        let mut deployment = Resource::new(
            "AWS::ApiGateway::Deployment",
            json!({ "RestApiId": reference(logical_id::API), "Description": description.clone() }),
        );
        for method in methods {
            deployment = deployment.depends_on(method);
        }
        self.resource(deployment_id.clone(), |_| deployment);

        let mut log_group = json!({
            "LogGroupName": naming::api_log_group(stage, domain),
            "RetentionInDays": ACCESS_LOG_RETENTION_DAYS,
            "Tags": self.tags.clone(),
        });
        let log_group = if self.domain.encryption == Encryption::CustomerKey {
            log_group["KmsKeyId"] = get_att(logical_id::KEY, "Arn");
            Resource::new("AWS::Logs::LogGroup", log_group)
        } else {
            Resource::new("AWS::Logs::LogGroup", log_group).justified(&[&compliance::LOG_GROUP_WITHOUT_DOMAIN_KEY])
        };
        self.resource(logical_id::API_LOG_GROUP.to_string(), |_| log_group);

        let stage_resource = Resource::new(
            "AWS::ApiGateway::Stage",
            json!({
                "RestApiId": reference(logical_id::API),
                "DeploymentId": reference(&deployment_id),
                "StageName": stage.as_str(),
                "Description": description.clone(),
                "TracingEnabled": true,
                "AccessLogSetting": {
                    "DestinationArn": get_att(logical_id::API_LOG_GROUP, "Arn"),
                    "Format": ACCESS_LOG_FORMAT,
                },
                // Stage-wide limits, so that no caller can use up the account's quota, which
                // every API of the account and Region shares.
                "MethodSettings": [{
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "MetricsEnabled": true,
                    "LoggingLevel": "ERROR",
                    "DataTraceEnabled": false,
                    "ThrottlingRateLimit": http.rate_limit,
                    "ThrottlingBurstLimit": http.burst_limit,
                }],
                "Tags": self.tags.clone(),
            }),
        );
        let mut justifications = vec![&compliance::STAGE_WITHOUT_CACHE, &compliance::STAGE_WITHOUT_CLIENT_CERTIFICATE];
        if http.web_acl_arn.is_none() {
            justifications.push(&compliance::STAGE_WITHOUT_WEB_ACL);
        }
        self.resource(logical_id::API_STAGE.to_string(), |_| stage_resource.justified(&justifications));
        if let Some(web_acl_arn) = &http.web_acl_arn {
            self.resource(logical_id::API_WEB_ACL_ASSOCIATION.to_string(), |_| {
                Resource::new(
                    "AWS::WAFv2::WebACLAssociation",
                    json!({
                        "ResourceArn": sub(&format!(
                            "arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}::/restapis/${{{}}}/stages/${{{}}}",
                            logical_id::API,
                            logical_id::API_STAGE
                        )),
                        "WebACLArn": web_acl_arn.as_str(),
                    }),
                )
            });
        }

        for (name, _) in &topics {
            let topic_ref = TopicRef::new(domain.clone(), (*name).clone());
            let url = Self::api_url(&format!("/topics/{name}"));
            let parameter = json!({
                "Name": naming::topic_url_parameter(self.project.ssm_prefix(), stage, &topic_ref),
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
        for (name, _) in &queues {
            self.output(format!("{}MessagesUrl", logical_id::queue(name)), || {
                (
                    format!("URL of the poll endpoints of queue {domain}/{name} (GET receives, DELETE deletes; SigV4-signed)"),
                    Self::api_url(&format!("/queues/{name}/messages")),
                )
            });
        }
    }

    /// An API Gateway resource at `parent/path`, recorded in `definition`.
    fn api_resource(&mut self, id: &str, parent: &str, path: &str, definition: &mut Vec<Value>) {
        let properties =
            json!({ "RestApiId": reference(logical_id::API), "ParentId": reference(parent), "PathPart": path });
        definition.push(properties.clone());
        self.resource(id.to_string(), |_| Resource::new("AWS::ApiGateway::Resource", properties));
    }

    /// A role API Gateway assumes to call SNS or SQS, allowed `statements`.
    fn api_role(&mut self, id: &str, description: String, policy: &str, statements: Vec<Value>) {
        let role = json!({
            "Description": description.clone(),
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
                "PolicyName": policy,
                "PolicyDocument": { "Version": POLICY_VERSION, "Statement": statements },
            }],
            "Tags": self.tags.clone(),
        });
        let mut justifications = vec![&compliance::ROLE_WITH_INLINE_POLICY];
        if matches!(&self.domain.encryption, Encryption::ExistingKey(key) if key_alias(key).is_some()) {
            justifications.push(&compliance::ROLE_WITH_KEY_ALIAS);
        }
        self.resource(id.to_string(), |_| Resource::new("AWS::IAM::Role", role).justified(&justifications));
    }

    /// A method, recorded in `definition`; returns its logical ID.
    fn api_method(&mut self, id: String, method: Value, definition: &mut Vec<Value>) -> String {
        definition.push(method.clone());
        self.resource(id.clone(), |_| {
            Resource::new("AWS::ApiGateway::Method", method).justified(&[&compliance::METHOD_WITH_IAM_AUTHORIZATION])
        });
        id
    }

    /// The resource, method, role and model of one topic's endpoint; returns the method's
    /// logical ID. What the deployment depends on goes into `definition`.
    fn publish_endpoint(&mut self, name: &Name, topic: &Topic, definition: &mut Vec<Value>) -> String {
        let topic_id = logical_id::topic(name);
        let topic_ref = TopicRef::new(self.domain.name.clone(), name.clone());

        let resource_id = logical_id::topic_publish_resource(name);
        self.api_resource(&resource_id, logical_id::API_TOPICS, name.as_str(), definition);

        let role_id = logical_id::topic_publish_role(name);
        let mut statements = vec![json!({
            "Sid": "PublishToTopic",
            "Effect": "Allow",
            "Action": "sns:Publish",
            "Resource": reference(&topic_id),
        })];
        // Publishing to an encrypted topic makes a data key for the message.
        statements.extend(self.key_use_statement(&["kms:Decrypt", "kms:GenerateDataKey"]));
        let description = format!("API Gateway publishes to topic {topic_ref} ({}) with this role", self.stage);
        self.api_role(&role_id, description, "publish", statements);

        let (before, after) = request_template(topic);
        let template = json!({ "Fn::Join": ["", [before, reference(&topic_id), after]] });
        let mut method = json!({
            "RestApiId": reference(logical_id::API),
            "ResourceId": reference(&resource_id),
            "HttpMethod": "POST",
            "AuthorizationType": "AWS_IAM",
            "RequestValidatorId": reference(logical_id::API_VALIDATOR),
            "Integration": form_integration(sub("arn:${AWS::Partition}:apigateway:${AWS::Region}:sns:action/Publish"), &role_id, template),
            "MethodResponses": method_responses(),
        });
        let mut headers = serde_json::Map::new();
        if let TopicKind::Fifo(settings) = topic.kind {
            headers.insert(format!("method.request.header.{GROUP_HEADER}"), json!(true));
            // Without content-based deduplication, SNS refuses a FIFO publish without an ID.
            headers.insert(
                format!("method.request.header.{DEDUPLICATION_HEADER}"),
                json!(!settings.content_based_deduplication),
            );
        }
        // Every message carries the declared attributes: a publish without one is a 400.
        for name in topic.attributes.keys() {
            headers.insert(format!("method.request.header.{ATTRIBUTE_HEADER_PREFIX}{name}"), json!(true));
        }
        if !headers.is_empty() {
            method["RequestParameters"] = Value::Object(headers);
        }
        if let Some(document) = topic.schema.as_ref().and_then(|schema| schema.document.as_ref()) {
            let model_id = logical_id::topic_publish_model(name);
            let model = json!({
                "RestApiId": reference(logical_id::API),
                "ContentType": "application/json",
                "Description": format!("Events of topic {topic_ref}"),
                "Schema": model_schema(document),
            });
            definition.push(model.clone());
            self.resource(model_id.clone(), |_| Resource::new("AWS::ApiGateway::Model", model));
            method["RequestModels"] = json!({ "application/json": reference(&model_id) });
        }
        self.api_method(logical_id::topic_publish_method(name), method, definition)
    }

    /// The resources, methods and role of one queue's poll endpoints; returns the methods'
    /// logical IDs. What the deployment depends on goes into `definition`.
    fn poll_endpoints(&mut self, name: &Name, queue: &Queue, definition: &mut Vec<Value>) -> [String; 2] {
        let (stage, domain) = (self.stage, &self.domain.name);
        let queue_resource_id = logical_id::queue_http_resource(name);
        self.api_resource(&queue_resource_id, logical_id::API_QUEUES, name.as_str(), definition);
        let messages_id = logical_id::queue_messages_resource(name);
        self.api_resource(&messages_id, &queue_resource_id, "messages", definition);

        let role_id = logical_id::queue_poll_role(name);
        let mut statements = vec![json!({
            "Sid": "ReceiveAndDeleteMessages",
            "Effect": "Allow",
            "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage"],
            "Resource": get_att(&logical_id::queue(name), "Arn"),
        })];
        // Receiving from a queue encrypted with a KMS key decrypts its messages.
        statements.extend(self.key_use_statement(&["kms:Decrypt"]));
        let description =
            format!("API Gateway receives from and deletes in queue {domain}/{name} ({stage}) with this role");
        self.api_role(&role_id, description, "poll", statements);

        let queue_name = naming::queue_name(stage, domain, name, queue.kind.is_fifo());
        let uri = sub(&format!(
            "arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:sqs:path/${{AWS::AccountId}}/{queue_name}"
        ));
        // Both methods: the same resource, role and queue, their own required query
        // parameters and request template.
        let method = |http_method: &str, query: &[&str], template: String| {
            json!({
                "RestApiId": reference(logical_id::API),
                "ResourceId": reference(&messages_id),
                "HttpMethod": http_method,
                "AuthorizationType": "AWS_IAM",
                "RequestValidatorId": reference(logical_id::API_VALIDATOR),
                "RequestParameters": required_query(query),
                "Integration": form_integration(uri.clone(), &role_id, json!(template)),
                "MethodResponses": method_responses(),
            })
        };
        let receive_query: Vec<&str> = RECEIVE_PARAMETERS.iter().map(|(query, _)| *query).collect();
        let receive = method("GET", &receive_query, receive_template());
        let delete = method("DELETE", &[RECEIPT_HANDLE_PARAMETER], delete_template());
        [
            self.api_method(logical_id::queue_receive_method(name), receive, definition),
            self.api_method(logical_id::queue_delete_method(name), delete, definition),
        ]
    }

    /// What an execution role needs of the domain key to use an encrypted topic or queue:
    /// `actions` on it.
    fn key_use_statement(&self, actions: &[&str]) -> Option<Value> {
        match &self.domain.encryption {
            Encryption::CustomerKey => Some(json!({
                "Sid": "UseDomainKey",
                "Effect": "Allow",
                "Action": actions,
                "Resource": get_att(logical_id::KEY, "Arn"),
            })),
            // The AWS-managed key's policy already lets the account use it through SNS and SQS.
            Encryption::ServiceManaged => None,
            Encryption::ExistingKey(key) => match key_alias(key) {
                // An alias names no key an IAM policy can grant; grant the keys it points to.
                Some(alias) => Some(json!({
                    "Sid": "UseDomainKey",
                    "Effect": "Allow",
                    "Action": actions,
                    "Resource": sub("arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"),
                    "Condition": { "ForAnyValue:StringEquals": { "kms:ResourceAliases": alias } },
                })),
                None => Some(
                    json!({ "Sid": "UseDomainKey", "Effect": "Allow", "Action": actions, "Resource": key.as_str() }),
                ),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FifoTopic;

    fn rendered(kind: TopicKind) -> String {
        rendered_topic(&Topic { kind, ..Topic::default() })
    }

    fn rendered_topic(topic: &Topic) -> String {
        let (before, after) = request_template(topic);
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

    fn with_attributes(kind: TopicKind) -> Topic {
        let attribute = |data_type| crate::model::MessageAttribute { data_type, values: None };
        Topic {
            kind,
            attributes: [("event_type", AttributeType::String), ("signature", AttributeType::Binary)]
                .into_iter()
                .map(|(name, data_type)| (name.to_string(), attribute(data_type)))
                .collect(),
            ..Topic::default()
        }
    }

    #[test]
    fn declared_attributes_come_from_their_headers() {
        insta::assert_snapshot!(rendered_topic(&with_attributes(TopicKind::Standard)), @"Action=Publish&TopicArn=$util.urlEncode('arn:aws:sns:eu-west-1:123456789012:dev-shop-orders')&Message=$util.urlEncode($input.body)&MessageAttributes.entry.1.Name=$util.urlEncode('event_type')&MessageAttributes.entry.1.Value.DataType=$util.urlEncode('String')&MessageAttributes.entry.1.Value.StringValue=$util.urlEncode($input.params().header.get('X-Message-Attribute-event_type'))&MessageAttributes.entry.2.Name=$util.urlEncode('signature')&MessageAttributes.entry.2.Value.DataType=$util.urlEncode('Binary')&MessageAttributes.entry.2.Value.BinaryValue=$util.urlEncode($input.params().header.get('X-Message-Attribute-signature'))");
    }

    #[test]
    fn templates_are_one_line_and_encode_every_value() {
        let topics = [TopicKind::Standard, TopicKind::Fifo(FifoTopic::default())]
            .into_iter()
            .flat_map(|kind| [Topic { kind, ..Topic::default() }, with_attributes(kind)]);
        for topic in topics {
            let template = rendered_topic(&topic);
            assert!(!template.contains('\n'), "a line break would end up in the last value: {template}");
            for pair in template.split('&').skip(1) {
                let (_, value) = pair.split_once('=').expect("key=value");
                assert!(value.starts_with("$util.urlEncode("), "`{pair}` is not URL-encoded");
            }
        }
    }

    #[test]
    fn receives_take_every_query_parameter_and_ask_for_every_attribute() {
        insta::assert_snapshot!(receive_template(), @"Action=ReceiveMessage&MaxNumberOfMessages=$util.urlEncode($input.params('max_messages'))&WaitTimeSeconds=$util.urlEncode($input.params('wait_seconds'))&VisibilityTimeout=$util.urlEncode($input.params('visibility_timeout'))&AttributeName.1=All&MessageAttributeName.1=All");
    }

    #[test]
    fn deletes_take_the_receipt_handle() {
        insta::assert_snapshot!(delete_template(), @"Action=DeleteMessage&ReceiptHandle=$util.urlEncode($input.params('receipt_handle'))");
    }

    #[test]
    fn poll_templates_are_one_line_and_encode_every_parameter() {
        for template in [receive_template(), delete_template()] {
            assert!(!template.contains('\n'), "{template}");
            for pair in template.split('&').skip(1) {
                let (key, value) = pair.split_once('=').expect("key=value");
                // The attribute names are constants; everything from the request is encoded.
                assert!(
                    value == "All" || value.starts_with("$util.urlEncode($input.params('"),
                    "`{key}` is not URL-encoded: {template}"
                );
            }
        }
    }

    #[test]
    fn models_are_draft_4() {
        let schema =
            model_schema(&json!({ "$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object" }));
        assert_eq!(schema, json!({ "$schema": DRAFT_4, "type": "object" }));
    }
}
