//! Everything that can go wrong while talking to AWS, as one error type.
//!
//! Each message says what failed in the user's terms; [`Error::hint`] says what to do and
//! [`Error::is_environment`] tells the CLI whether the command itself could not run
//! (credentials, endpoint) or the user must act on the result.

use std::time::Duration;

use aws_runtime::retries::classifiers::{THROTTLING_ERRORS, TRANSIENT_ERRORS};
use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use crate::adopt::ForeignResource;

type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong; [`Error::hint`] says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The credential chain found nothing.
    #[error("No AWS credentials found{}", profile.as_ref().map(|p| format!(" for profile `{p}`")).unwrap_or_default())]
    NoCredentials {
        /// The profile asked for, if any.
        profile: Option<String>,
        /// Why the chain found nothing.
        #[source]
        source: Source,
    },
    /// Neither a flag, the environment nor the profile names a region.
    #[error("No AWS region is configured")]
    NoRegion,
    /// The endpoint did not answer.
    #[error("Cannot reach AWS at `{endpoint}` ({operation}): {cause}")]
    Unreachable {
        /// The endpoint called.
        endpoint: String,
        /// The API operation, like `DescribeStacks`.
        operation: &'static str,
        /// The innermost cause, in words.
        cause: String,
        /// The SDK's error.
        #[source]
        source: Source,
    },
    /// AWS refused the credentials or their permissions.
    #[error("AWS rejected the credentials ({operation}): {message}")]
    AccessDenied {
        /// The API operation.
        operation: &'static str,
        /// AWS's message.
        message: String,
    },
    /// A subscribed topic has no ARN in SSM: its domain is not deployed to the stage.
    #[error("Topic `{topic}` is not deployed to stage `{stage}`: SSM parameter `{ssm_name}` does not exist")]
    MissingTopic {
        /// The topic, `domain/topic`.
        topic: String,
        /// The stage.
        stage: String,
        /// The topic's domain, to deploy first.
        domain: String,
        /// The SSM parameter looked up.
        ssm_name: String,
    },
    /// A subscribed topic in SSM is FIFO where the queue needs standard, or the reverse.
    #[error("Topic `{topic}` must be a {} topic, but SSM parameter `{ssm_name}` holds `{arn}`", if *fifo { "FIFO" } else { "standard" })]
    TopicKind {
        /// The topic, `domain/topic`.
        topic: String,
        /// The SSM parameter looked up.
        ssm_name: String,
        /// The ARN it holds.
        arn: String,
        /// Whether the topic must be FIFO.
        fifo: bool,
    },
    /// The stack's last update failed to roll back.
    #[error("Stack `{stack}` is `UPDATE_ROLLBACK_FAILED`: CloudFormation could not roll back its last update")]
    UpdateRollbackFailed {
        /// The stack.
        stack: String,
    },
    /// The stack is in a failed state no deploy continues from.
    #[error("Stack `{stack}` is `{status}` and cannot be deployed")]
    StackFailed {
        /// The stack.
        stack: String,
        /// Its status.
        status: String,
    },
    /// A change set or stack operation took longer than its polling schedule allows.
    #[error("Timed out after {}s waiting for {what} of stack `{stack}`", waited.as_secs())]
    Timeout {
        /// The stack.
        stack: String,
        /// What was waited for: "the change set", "the operation".
        what: &'static str,
        /// How long.
        waited: Duration,
    },
    /// CloudFormation could not compute the change set (for another reason than no changes).
    #[error("CloudFormation could not create change set `{change_set}` for stack `{stack}`: {reason}")]
    ChangeSetFailed {
        /// The stack.
        stack: String,
        /// The change set.
        change_set: String,
        /// CloudFormation's reason.
        reason: String,
    },
    /// Resources with the physical names of a stack to create already exist and are not
    /// tagged for its domain and stage, so they are not the stack's to import; nothing was
    /// created.
    #[error(
        "Cannot create stack `{stack}`: resources with its names exist and are not tagged for domain `{domain}` and stage `{stage}`: {}",
        resources.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    ForeignResources {
        /// The stack.
        stack: String,
        /// Its domain.
        domain: String,
        /// Its stage.
        stage: String,
        /// Those resources, with the tags they have.
        resources: Vec<ForeignResource>,
    },
    /// The stack's delete failed.
    #[error("Stack `{stack}` was not deleted: {reason}")]
    DeleteFailed {
        /// The stack.
        stack: String,
        /// Why: the first resource that failed, or CloudFormation's reason.
        reason: String,
    },
    /// `destroy` cannot read the template of a stack with resources, so it cannot say which
    /// of them the delete would keep; nothing was deleted.
    #[error(
        "Cannot tell which resources of stack `{stack}` would be retained: its template is not JSON, as fanout's templates are"
    )]
    UnreadableTemplate {
        /// The stack.
        stack: String,
    },
    /// A large template could not be put in S3.
    #[error("Cannot upload the template of stack `{stack}` to bucket `{bucket}`: {message}")]
    TemplateUpload {
        /// The stack.
        stack: String,
        /// The bucket.
        bucket: String,
        /// The innermost cause, in words.
        message: String,
    },
    /// A template over the inline limit, and no bucket to upload it to.
    #[error("The template of stack `{stack}` is {size} bytes; CloudFormation accepts up to {max} bytes inline")]
    TemplateTooLarge {
        /// The stack.
        stack: String,
        /// The template's size in bytes.
        size: usize,
        /// The inline limit.
        max: usize,
    },
    /// `lookup` found no such SSM parameter.
    #[error("SSM parameter `{name}` does not exist")]
    ParameterNotFound {
        /// The parameter's name.
        name: String,
    },
    /// The template needs API Gateway's account-wide CloudWatch Logs role, which is not set.
    #[error(
        "API Gateway has no CloudWatch Logs role in region `{region}` of this account: stack `{stack}` has a REST API whose stage writes access logs, and CloudFormation would fail to create it"
    )]
    NoApiGatewayLogRole {
        /// The stack.
        stack: String,
        /// The region.
        region: String,
    },
    /// ExecuteChangeSet failed in a way that does not say whether CloudFormation started the
    /// change set, and reading the change set back did not tell either. fanout does not try
    /// again: executing twice is never an option.
    #[error("Cannot tell whether change set `{change_set}` of stack `{stack}` was executed: {cause}")]
    ExecutionUnknown {
        /// The stack.
        stack: String,
        /// The change set.
        change_set: String,
        /// What failed, in words.
        cause: String,
    },
    /// The stack's operation was started, and following it failed: CloudFormation goes on
    /// without fanout watching.
    #[error("Lost track of stack `{stack}` while CloudFormation runs its operation: {source}")]
    LostTrack {
        /// The stack.
        stack: String,
        /// Why following it failed.
        #[source]
        source: Box<Error>,
    },
    /// Any other failed call.
    #[error("AWS {operation} failed: {message}")]
    Aws {
        /// The API operation.
        operation: &'static str,
        /// AWS's error code, if it gave one.
        code: Option<String>,
        /// AWS's message, or the innermost cause.
        message: String,
        /// Whether trying again later may succeed: throttling, a 5xx, a broken response.
        transient: bool,
        /// The SDK's error.
        #[source]
        source: Option<Source>,
    },
    /// A domain's stack is not in the stage: `status`, `peek`, `redrive` need it deployed.
    #[error("Stack `{stack}` does not exist: domain `{domain}` is not deployed to stage `{stage}`")]
    StackNotFound {
        /// The stack.
        stack: String,
        /// The domain.
        domain: String,
        /// The stage.
        stage: String,
    },
    /// The stack lacks a resource the manifest declares: it was deployed from another version.
    #[error("Stack `{stack}` has no {what} `{logical_id}`")]
    NotInStack {
        /// The stack.
        stack: String,
        /// What is missing, like "queue".
        what: &'static str,
        /// The resource's logical ID.
        logical_id: String,
        /// The domain, to deploy.
        domain: String,
        /// The stage.
        stage: String,
    },
    /// A topic of another repo publishes no contract in SSM: its producer is not deployed to
    /// the stage, or deploys with an older fanout.
    #[error("Topic `{topic}` has no contract in stage `{stage}`: SSM parameter `{parameter}` does not exist")]
    NoContract {
        /// The topic, `domain/topic`.
        topic: String,
        /// The stage.
        stage: String,
        /// The producer domain.
        producer: String,
        /// The contract's SSM parameter.
        parameter: String,
    },
    /// A contract or schema parameter in SSM that fanout cannot read.
    #[error("SSM parameter `{parameter}` does not hold a contract fanout can read: {reason}")]
    UnreadableContract {
        /// The parameter.
        parameter: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A locked topic's contract in SSM is not the one `fanout.lock` holds: the producer
    /// changed it since the lock was written. Nothing was created.
    #[error(
        "Topic `{topic}` changed in stage `{stage}` since `fanout.lock` was written: {}",
        changes.join("; ")
    )]
    LockStale {
        /// The topic, `domain/topic`.
        topic: String,
        /// The stage.
        stage: String,
        /// What changed, each with whether it breaks consumers and why.
        changes: Vec<String>,
    },
    /// The domains deployed subscribe to each other in a circle.
    #[error(transparent)]
    Cycle(#[from] crate::order::CycleError),
}

impl Error {
    /// Whether the command could not run at all (exit 2) rather than a result the user must
    /// act on (exit 1).
    pub fn is_environment(&self) -> bool {
        matches!(
            self,
            Self::NoCredentials { .. } | Self::NoRegion | Self::Unreachable { .. } | Self::AccessDenied { .. }
        )
    }

    /// Whether the request may or may not have reached AWS and may succeed later: AWS
    /// throttled it or failed inside, or the connection failed.
    pub(crate) fn is_transient(&self) -> bool {
        matches!(self, Self::Unreachable { .. } | Self::Aws { transient: true, .. })
    }

    /// Whether fanout sends the request again after the SDK's own retries: AWS answered, but
    /// throttled it or failed inside. An endpoint that could not be reached through all of
    /// the SDK's retries is reported at once: it is the environment, not load.
    pub(crate) fn is_worth_retrying(&self) -> bool {
        matches!(self, Self::Aws { transient: true, .. })
    }

    /// What to do about it, for a `hint:` line.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Self::NoCredentials { .. } => {
                "set `AWS_PROFILE` or pass `--profile`, or set `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`"
                    .to_string()
            }
            Self::NoRegion => "set `AWS_REGION` or pass `--region`".to_string(),
            Self::Unreachable { .. } => {
                "check the network, or `AWS_ENDPOINT_URL` when deploying to an emulator (is it running?)".to_string()
            }
            Self::AccessDenied { .. } => "check the credentials and the permissions of the role".to_string(),
            Self::MissingTopic { domain, stage, .. } => format!("deploy domain `{domain}` to stage `{stage}` first"),
            Self::TopicKind { fifo: true, .. } => {
                "a FIFO queue can subscribe only to a FIFO topic; make the topic FIFO or this queue standard"
                    .to_string()
            }
            Self::TopicKind { fifo: false, .. } => {
                "SNS needs a FIFO dead-letter queue for a FIFO topic; make this queue FIFO".to_string()
            }
            Self::UpdateRollbackFailed { stack } => format!(
                "fix the cause in the stack events, then run `aws cloudformation continue-update-rollback --stack-name {stack}` (skip resources that cannot roll back with `--resources-to-skip`) and deploy again"
            ),
            Self::StackFailed { stack, .. } => {
                format!(
                    "inspect the stack events, then delete the stack (`fanout destroy`, or `aws cloudformation delete-stack --stack-name {stack}`) and deploy again"
                )
            }
            Self::ExecutionUnknown { .. } => {
                "nothing was executed twice; run the deploy again: it waits for the stack if the change set is running, and replaces the change set if it is not".to_string()
            }
            Self::LostTrack { .. } => {
                "the operation goes on in CloudFormation; run the deploy again: it waits for the stack and carries on".to_string()
            }
            Self::Timeout { .. } => {
                "the operation may still finish; check the stack in the console and deploy again".to_string()
            }
            Self::ForeignResources { domain, stage, .. } => format!(
                "nothing was created; fanout imports only what its own stacks left behind, tagged `fanout:domain={domain}` and `fanout:stage={stage}`: rename the queue or topic in the manifest, or delete the resource if nothing needs it (tag it so only if it really is this domain's)"
            ),
            Self::UnreadableTemplate { stack } => format!(
                "nothing was deleted; delete the stack with the tool that deployed it, or with `aws cloudformation delete-stack --stack-name {stack}`"
            ),
            Self::TemplateTooLarge { .. } => {
                "pass `--template-bucket` (or set `FANOUT_TEMPLATE_BUCKET`) to deploy through S3".to_string()
            }
            Self::ParameterNotFound { .. } => {
                "deploy the domain that publishes the topic to this stage first".to_string()
            }
            Self::NoContract { producer, stage, .. } => format!(
                "deploy the producer first (`fanout deploy --stage {stage} {producer}` in its repo), or the producer runs an older fanout that publishes no contract"
            ),
            Self::UnreadableContract { .. } => {
                "the producer's stack may be mid-update, or deployed by a newer fanout: run again once its deploy is complete, or update fanout".to_string()
            }
            Self::LockStale { .. } => "run `fanout lock` and review the change".to_string(),
            Self::StackNotFound { domain, stage, .. } | Self::NotInStack { domain, stage, .. } => {
                format!("deploy it first: `fanout deploy --stage {stage} {domain}`")
            }
            Self::NoApiGatewayLogRole { region, .. } => format!(
                "set it once per account and region: make a role that `apigateway.amazonaws.com` may assume, with the managed policy `AmazonAPIGatewayPushToCloudWatchLogs`, then run `aws apigateway update-account --region {region} --patch-operations op=replace,path=/cloudwatchRoleArn,value=<role ARN>`"
            ),
            _ => return None,
        })
    }
}

/// The error for a failed SDK call of `operation` against `endpoint`.
pub(crate) fn from_sdk<E>(operation: &'static str, endpoint: &str, err: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => Error::Unreachable {
            endpoint: endpoint.to_string(),
            operation,
            cause: describe(&err),
            source: Box::new(err),
        },
        SdkError::ServiceError(ref service) => {
            let inner = service.err();
            let code = inner.code().map(str::to_string);
            let message = inner.message().unwrap_or("no message").to_string();
            match code.as_deref() {
                Some(
                    "AccessDenied"
                    | "AccessDeniedException"
                    | "InvalidClientTokenId"
                    | "UnrecognizedClientException"
                    | "SignatureDoesNotMatch"
                    | "ExpiredToken"
                    | "ExpiredTokenException",
                ) => Error::AccessDenied { operation, message },
                _ => {
                    let status = service.raw().status().as_u16();
                    let transient = status >= 500
                        || status == 429
                        || code
                            .as_deref()
                            .is_some_and(|code| THROTTLING_ERRORS.contains(&code) || TRANSIENT_ERRORS.contains(&code));
                    Error::Aws { operation, code, message, transient, source: Some(Box::new(err)) }
                }
            }
        }
        // An answer that could not be read, such as one cut short.
        SdkError::ResponseError(_) => {
            Error::Aws { operation, code: None, message: describe(&err), transient: true, source: Some(Box::new(err)) }
        }
        other => Error::Aws {
            operation,
            code: None,
            message: describe(&other),
            transient: false,
            source: Some(Box::new(other)),
        },
    }
}

/// The innermost message of an error chain: the SDK's own `Display` is terse ("service error").
pub(crate) fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut message = err.to_string();
    let mut cause = err.source();
    while let Some(inner) = cause {
        message = inner.to_string();
        cause = inner.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_follow_the_house_style() {
        let err = Error::MissingTopic {
            topic: "ingestion/scoring-inputs-ready".into(),
            stage: "dev".into(),
            domain: "ingestion".into(),
            ssm_name: "/fanout/dev/ingestion/topics/scoring-inputs-ready/arn".into(),
        };
        assert_eq!(
            err.to_string(),
            "Topic `ingestion/scoring-inputs-ready` is not deployed to stage `dev`: SSM parameter `/fanout/dev/ingestion/topics/scoring-inputs-ready/arn` does not exist"
        );
        assert_eq!(err.hint().as_deref(), Some("deploy domain `ingestion` to stage `dev` first"));
        assert!(!err.is_environment());
        let kind = Error::TopicKind {
            topic: "a/b".into(),
            ssm_name: "/p".into(),
            arn: "arn:aws:sns:us-east-1:1:b".into(),
            fifo: true,
        };
        assert_eq!(
            kind.to_string(),
            "Topic `a/b` must be a FIFO topic, but SSM parameter `/p` holds `arn:aws:sns:us-east-1:1:b`"
        );
    }
}
