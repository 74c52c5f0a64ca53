//! The checks of `http`: the REST API's throttling limits against API Gateway's, and the web
//! ACL's ARN (a regional WAFv2 web ACL, as a regional REST API stage needs).

use super::Lower;
use crate::diagnostic::{Diagnostic, DiagnosticKind, FieldPath};
use crate::limits;
use crate::manifest::DomainManifest;
use crate::model::HttpSettings;

/// How a web ACL ARN is wrong, if it is.
fn web_acl_arn_problem(text: &str) -> Option<&'static str> {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts.as_slice() else {
        return Some("is not an ARN");
    };
    let well_formed = *arn == "arn"
        && partition.starts_with("aws")
        && *service == "wafv2"
        && !region.is_empty()
        && region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit());
    if !well_formed {
        return Some("is not a WAFv2 ARN");
    }
    let segments: Vec<&str> = resource.split('/').collect();
    match segments.as_slice() {
        ["global", "webacl", ..] => {
            Some("names a CloudFront (global) web ACL, which cannot protect a regional REST API")
        }
        ["regional", "webacl", name, id]
            if !name.is_empty()
                && !id.is_empty()
                && [name, id]
                    .iter()
                    .all(|part| part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')) =>
        {
            None
        }
        _ => Some("is not the ARN of a web ACL"),
    }
}

impl Lower {
    /// The domain's REST API settings; warns when there is no REST API for them to apply to.
    pub(super) fn http(&mut self, manifest: &DomainManifest) -> HttpSettings {
        let Some(spec) = &manifest.http else { return HttpSettings::default() };
        let path = FieldPath::root().key("http");
        let endpoints = manifest.topics.values().flatten().any(|topic| topic.http)
            || manifest.queues.values().flatten().any(|queue| queue.http);
        if !endpoints {
            self.diagnostics.push(
                Diagnostic::warning(
                    DiagnosticKind::HttpWithoutEndpoints,
                    path.clone(),
                    "`http` has no effect: no topic or queue of this domain has `http: true`",
                )
                .with_hint("add `http: true` to a topic or queue, or remove `http`"),
            );
        }
        let rate_limit = self.throttle(
            spec.rate_limit,
            &path.key("rate_limit"),
            HttpSettings::DEFAULT_RATE_LIMIT,
            (limits::API_ACCOUNT_RATE, "requests per second"),
        );
        let burst_limit = self.throttle(
            spec.burst_limit,
            &path.key("burst_limit"),
            HttpSettings::DEFAULT_BURST_LIMIT,
            (limits::API_ACCOUNT_BURST, "requests at once"),
        );
        let web_acl_arn = match &spec.web_acl_arn {
            None => None,
            Some(arn) => match web_acl_arn_problem(arn) {
                None => Some(arn.clone()),
                Some(problem) => {
                    self.error(
                        DiagnosticKind::InvalidWebAclArn,
                        path.key("web_acl_arn"),
                        format!("`{arn}` {problem}"),
                        "write the ARN of a regional web ACL: `arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>`",
                    );
                    None
                }
            },
        };
        HttpSettings { rate_limit, burst_limit, web_acl_arn }
    }

    /// A throttling limit: a whole number from 1 to what API Gateway takes, with a warning
    /// above the default account quota `(quota, unit)`, which caps every stage.
    fn throttle(&mut self, value: Option<i64>, path: &FieldPath, default: u32, (quota, unit): (i64, &str)) -> u32 {
        let Some(value) = value else { return default };
        let field = path.field().unwrap_or_default().to_string();
        if !(1..=limits::API_THROTTLE_MAX).contains(&value) {
            self.error(
                DiagnosticKind::ThrottleOutOfRange,
                path.clone(),
                format!("`{field}` is {value}, outside what API Gateway takes"),
                if value < 1 {
                    "use a whole number from 1; to close the endpoints, remove `http: true` from the topics and queues"
                        .to_string()
                } else {
                    format!("use a whole number from 1 to {}", limits::API_THROTTLE_MAX)
                },
            );
            return default;
        }
        if value > quota {
            self.diagnostics.push(
                Diagnostic::warning(
                    DiagnosticKind::ThrottleAboveQuota,
                    path.clone(),
                    format!(
                        "`{field}` is {value}, above API Gateway's default account quota of {quota} {unit}, which every API of the account and Region shares"
                    ),
                )
                .with_hint("it takes effect only where the account's quota was raised; otherwise the quota limits the stage"),
            );
        }
        u32::try_from(value).unwrap_or(default)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::web_acl_arn_problem;
    use crate::model::{Domain, HttpSettings};

    /// The domain of `text`, which must have no errors, and its warnings.
    fn lowered(text: &str) -> (HttpSettings, Vec<String>) {
        let (manifest, diagnostics) = crate::parse_manifest(text, Path::new("shop.yaml"));
        assert!(diagnostics.is_empty(), "{diagnostics}");
        let (domain, diagnostics) = Domain::from_manifest(&manifest.unwrap_or_else(|| unreachable!()));
        let warnings = diagnostics.iter().map(|d| format!("{}: {}", d.path, d.message)).collect();
        (domain.unwrap_or_else(|| panic!("{diagnostics}")).http, warnings)
    }

    #[test]
    fn throttling_defaults_apply_without_settings() {
        let (http, warnings) = lowered("domain: shop\ntopics:\n  orders:\n    http: true\n");
        assert_eq!(http, HttpSettings::default());
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn limits_above_the_default_account_quota_warn_but_apply() {
        let (http, warnings) = lowered(
            "domain: shop\nhttp: { rate_limit: 20000, burst_limit: 6000 }\ntopics:\n  orders:\n    http: true\n",
        );
        assert_eq!((http.rate_limit, http.burst_limit), (20_000, 6_000));
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].starts_with("http.rate_limit: `rate_limit` is 20000, above"), "{warnings:?}");
        assert!(warnings[1].starts_with("http.burst_limit: `burst_limit` is 6000, above"), "{warnings:?}");
    }

    #[test]
    fn settings_without_endpoints_warn() {
        let (_, warnings) = lowered("domain: shop\nhttp: { rate_limit: 10 }\ntopics:\n  orders:\n");
        assert_eq!(warnings, ["http: `http` has no effect: no topic or queue of this domain has `http: true`"]);
    }

    #[test]
    fn only_regional_web_acls_are_accepted() {
        let regional =
            "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/api-guard/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111";
        assert_eq!(web_acl_arn_problem(regional), None);
        assert_eq!(
            web_acl_arn_problem("arn:aws-us-gov:wafv2:us-gov-west-1:123456789012:regional/webacl/guard/abc"),
            None
        );
        let global = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/api-guard/a1b2c3d4";
        assert!(web_acl_arn_problem(global).is_some_and(|problem| problem.contains("CloudFront")));
        assert!(web_acl_arn_problem("arn:aws:wafv2:eu-west-1:123456789012:regional/ipset/guard/abc").is_some());
        assert!(web_acl_arn_problem("arn:aws:waf-regional:eu-west-1:123456789012:webacl/abc").is_some());
        assert!(web_acl_arn_problem("arn:aws:wafv2:eu-west-1:1234:regional/webacl/guard/abc").is_some());
        assert!(web_acl_arn_problem("{{resolve:ssm:/acl}}").is_some());
        assert!(
            web_acl_arn_problem("arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/guard/{{resolve:x}}").is_some()
        );
    }
}
