//! AWS-managed KMS keys (`alias/aws/sqs`, `alias/aws/sns`, any `alias/aws/...`) as a
//! domain's `kms_key`: their key policies belong to AWS and cannot be changed, so SNS can
//! never be allowed to encrypt messages it delivers to the domain's queues, nor CloudWatch
//! or the publish endpoints' roles to use the key of its topics.

use crate::diagnostic::{Diagnostic, DiagnosticKind, FieldPath};

/// The AWS-managed alias `key` names, in alias or alias-ARN form.
pub fn aws_managed_alias(key: &str) -> Option<&str> {
    let alias = match key.strip_prefix("arn:") {
        // arn:<partition>:kms:<region>:<account>:alias/aws/sqs
        Some(_) => key.splitn(6, ':').nth(5)?,
        None => key,
    };
    alias.starts_with("alias/aws/").then_some(alias)
}

/// The error for an AWS-managed key at `path`.
pub fn aws_managed(path: FieldPath, key: &str, alias: &str) -> Diagnostic {
    let what = if key == alias {
        format!("`{key}` is an AWS-managed key")
    } else {
        format!("`{key}` is the AWS-managed key `{alias}`")
    };
    Diagnostic::error(DiagnosticKind::AwsManagedKey, path, format!("{what}, which SNS cannot use for this domain"))
        .with_hint("its key policy belongs to AWS and cannot grant `sns.amazonaws.com` (nor CloudWatch or the publish roles) `kms:GenerateDataKey*` and `kms:Decrypt`, so every delivery would fail; use `encryption: customer-key` (the default), `service-managed`, or a customer-managed key")
}

#[cfg(test)]
mod tests {
    use super::aws_managed_alias;

    #[test]
    fn aws_managed_keys_are_found_in_alias_and_arn_form() {
        assert_eq!(aws_managed_alias("alias/aws/sqs"), Some("alias/aws/sqs"));
        assert_eq!(aws_managed_alias("arn:aws-cn:kms:cn-north-1:111122223333:alias/aws/sns"), Some("alias/aws/sns"));
        assert_eq!(aws_managed_alias("alias/team-key"), None);
        assert_eq!(aws_managed_alias("arn:aws:kms:eu-west-1:111122223333:key/1234abcd"), None);
        assert_eq!(aws_managed_alias("alias/awsome"), None);
    }
}
