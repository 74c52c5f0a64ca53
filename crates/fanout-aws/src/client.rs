//! The AWS clients, configured once from the standard chain.
//!
//! Credentials, region and endpoint come from the usual places (`AWS_PROFILE` or
//! `--profile`, `AWS_REGION` or `--region`, `AWS_ENDPOINT_URL` for an emulator). Throttled
//! and transient failures (timeouts, connection resets, 5xx) are retried by the SDK's
//! standard retry strategy with capped exponential backoff and jitter.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_cloudformation::config::ProvideCredentials;

use crate::error::Error;

/// Where to connect; everything unset comes from the environment and the profile files.
#[derive(Clone, Debug, Default)]
pub struct ConnectOptions {
    /// The profile of the AWS configuration files (`--profile`).
    pub profile: Option<String>,
    /// The region (`--region`).
    pub region: Option<String>,
}

/// How often a throttled or transient call is tried, and how long between tries.
pub(crate) fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(6)
        .with_initial_backoff(Duration::from_millis(500))
        .with_max_backoff(Duration::from_secs(20))
}

/// The clients fanout uses. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Aws {
    pub(crate) cfn: aws_sdk_cloudformation::Client,
    pub(crate) apigateway: aws_sdk_apigateway::Client,
    pub(crate) ssm: aws_sdk_ssm::Client,
    pub(crate) s3: aws_sdk_s3::Client,
    /// A custom endpoint (`AWS_ENDPOINT_URL`): an emulator, which wants path-style S3 URLs.
    pub(crate) custom_endpoint: Option<String>,
    pub(crate) region: String,
}

impl Aws {
    /// Loads the configuration and checks that credentials can be found, so a missing
    /// profile is reported before any work starts.
    pub async fn connect(options: &ConnectOptions) -> Result<Self, Error> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(retry_config());
        if let Some(profile) = &options.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &options.region {
            loader = loader.region(Region::new(region.clone()));
        }
        let config = loader.load().await;
        let region = config.region().map(ToString::to_string).ok_or(Error::NoRegion)?;
        let no_credentials = |source: Box<dyn std::error::Error + Send + Sync>| Error::NoCredentials {
            profile: options.profile.clone(),
            source,
        };
        let provider = config
            .credentials_provider()
            .ok_or_else(|| no_credentials("no credentials provider is configured".into()))?;
        provider.provide_credentials().await.map_err(|err| no_credentials(Box::new(err)))?;
        let mut aws = Self::from_config(&config);
        aws.region = region;
        Ok(aws)
    }

    /// Clients built from an existing SDK configuration (tests with recorded responses).
    pub(crate) fn from_config(config: &aws_config::SdkConfig) -> Self {
        let custom_endpoint = config.endpoint_url().map(|url| url.trim_end_matches('/').to_string());
        let s3_config = aws_sdk_s3::config::Builder::from(config).force_path_style(custom_endpoint.is_some()).build();
        Self {
            cfn: aws_sdk_cloudformation::Client::new(config),
            apigateway: aws_sdk_apigateway::Client::new(config),
            ssm: aws_sdk_ssm::Client::new(config),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            custom_endpoint,
            region: config.region().map(ToString::to_string).unwrap_or_default(),
        }
    }

    /// The endpoint, for messages.
    pub(crate) fn endpoint(&self) -> String {
        self.custom_endpoint.clone().unwrap_or_else(|| format!("https://cloudformation.{}.amazonaws.com", self.region))
    }

    /// The URL CloudFormation reads an uploaded template from: path-style for an emulator
    /// (it rejects virtual-hosted URLs), virtual-hosted on AWS.
    pub(crate) fn object_url(&self, bucket: &str, key: &str) -> String {
        match &self.custom_endpoint {
            Some(endpoint) => format!("{endpoint}/{bucket}/{key}"),
            None => format!("https://{bucket}.s3.{}.amazonaws.com/{key}", self.region),
        }
    }
}
