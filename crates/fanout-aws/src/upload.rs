//! Templates too large to send inline go to S3 first; CloudFormation reads them by URL.

use aws_sdk_s3::primitives::ByteStream;

use crate::client::Aws;
use crate::error::{Error, describe};

/// Uploads `body` to `bucket` under `key`, creating the bucket when it does not exist, and
/// returns the URL to deploy from.
pub(crate) async fn template(aws: &Aws, stack: &str, bucket: &str, key: &str, body: &str) -> Result<String, Error> {
    let failed = |err: &(dyn std::error::Error + 'static)| Error::TemplateUpload {
        stack: stack.to_string(),
        bucket: bucket.to_string(),
        message: describe(err),
    };
    if aws.s3.head_bucket().bucket(bucket).send().await.is_err() {
        let mut create = aws.s3.create_bucket().bucket(bucket);
        if aws.region != "us-east-1" {
            let constraint = aws_sdk_s3::types::BucketLocationConstraint::from(aws.region.as_str());
            create = create.create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder().location_constraint(constraint).build(),
            );
        }
        if let Err(err) = create.send().await {
            // Another deploy may have created it meanwhile.
            let owned = err.as_service_error().is_some_and(|e| e.is_bucket_already_owned_by_you());
            if !owned {
                return Err(failed(&err));
            }
        }
    }
    aws.s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type("application/json")
        .body(ByteStream::from(body.as_bytes().to_vec()))
        .send()
        .await
        .map_err(|err| failed(&err))?;
    Ok(aws.object_url(bucket, key))
}
