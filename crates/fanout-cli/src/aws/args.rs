//! The flags of the AWS commands.

/// Where AWS is: flags over the standard chain (`AWS_PROFILE`, `AWS_REGION`,
/// `AWS_ENDPOINT_URL`, the profile files).
#[derive(Debug, Default, clap::Args)]
pub struct AwsArgs {
    /// The AWS profile [default: `AWS_PROFILE`, else `default`]
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// The AWS region [default: `AWS_REGION`, else the profile's]
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
}

/// Where templates too large to send inline go, for `deploy` and `diff` (both create
/// change sets).
///
/// A flag and an environment variable rather than a `fanout.yaml` setting: the bucket
/// belongs to the AWS account deployed to, not to the repo, and CI sets it per account.
#[derive(Debug, Default, clap::Args)]
pub struct TemplateBucketArgs {
    /// The S3 bucket that templates over 51,200 bytes are uploaded to, created if absent
    /// (not a `fanout.yaml` setting: the bucket belongs to the AWS account)
    #[arg(long, env = "FANOUT_TEMPLATE_BUCKET", value_name = "BUCKET")]
    pub template_bucket: Option<String>,
}
