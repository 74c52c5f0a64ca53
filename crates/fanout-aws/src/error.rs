//! Everything that can go wrong while talking to AWS, as one error type.
//!
//! Each message says what failed in the user's terms; [`Error::hint`] says what to do and
//! [`Error::is_environment`] tells the CLI whether the command itself could not run
//! (credentials, endpoint) or the user must act on the result.

use std::time::Duration;

use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};

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
    /// Any other failed call.
    #[error("AWS {operation} failed: {message}")]
    Aws {
        /// The API operation.
        operation: &'static str,
        /// AWS's error code, if it gave one.
        code: Option<String>,
        /// AWS's message, or the innermost cause.
        message: String,
        /// The SDK's error.
        #[source]
        source: Option<Source>,
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
            Self::Timeout { .. } => {
                "the operation may still finish; check the stack in the console and deploy again".to_string()
            }
            Self::UnreadableTemplate { stack } => format!(
                "nothing was deleted; delete the stack with the tool that deployed it, or with `aws cloudformation delete-stack --stack-name {stack}`"
            ),
            Self::TemplateTooLarge { .. } => {
                "pass `--template-bucket` (or set `FANOUT_TEMPLATE_BUCKET`) to deploy through S3".to_string()
            }
            Self::ParameterNotFound { .. } => {
                "deploy the domain that publishes the topic to this stage first".to_string()
            }
            Self::NoApiGatewayLogRole { region, .. } => format!(
                "set it once per account and region: make a role that `apigateway.amazonaws.com` may assume, with the managed policy `AmazonAPIGatewayPushToCloudWatchLogs`, then run `aws apigateway update-account --region {region} --patch-operations op=replace,path=/cloudwatchRoleArn,value=<role ARN>`"
            ),
            _ => return None,
        })
    }
}

/// The error for a failed SDK call of `operation` against `endpoint`.
pub(crate) fn from_sdk<E, R>(operation: &'static str, endpoint: &str, err: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
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
                _ => Error::Aws { operation, code, message, source: Some(Box::new(err)) },
            }
        }
        other => Error::Aws { operation, code: None, message: describe(&other), source: Some(Box::new(other)) },
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
