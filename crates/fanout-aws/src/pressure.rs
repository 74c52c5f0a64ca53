//! How hard AWS pushes back: every client carries an interceptor that sees each attempt of
//! each request, including the ones the SDK retries by itself, and feeds the deploy's
//! [`AdaptiveLimit`].
//!
//! An attempt counts as throttled exactly when the SDK's own retry classifiers call it a
//! throttling error (the codes and status of each protocol, as the SDK knows them), so fanout
//! and the SDK never disagree about what throttling is. Transient failures (5xx, a dropped
//! connection) move the limit neither way: they say nothing about the request rate.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use aws_sdk_cloudformation::config::interceptors::FinalizerInterceptorContextRef;
use aws_sdk_cloudformation::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime::client::retries::classifiers::run_classifiers_on_ctx;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::retries::classifiers::{RetryAction, RetryReason};
use aws_smithy_types::retry::ErrorKind;

use crate::limit::AdaptiveLimit;

/// The deploy's concurrency limit, shared by every client and the scheduler.
#[derive(Debug)]
pub(crate) struct Pressure {
    limit: Mutex<AdaptiveLimit>,
}

impl Default for Pressure {
    fn default() -> Self {
        Self { limit: Mutex::new(AdaptiveLimit::new(1)) }
    }
}

impl Pressure {
    fn with<T>(&self, f: impl FnOnce(&mut AdaptiveLimit) -> T) -> T {
        // The limit is plain numbers; a panic elsewhere cannot leave it inconsistent.
        f(&mut self.limit.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Starts over at `max` stacks in flight, for a new deploy.
    pub(crate) fn reset(&self, max: usize) {
        self.with(|limit| *limit = AdaptiveLimit::new(max));
    }

    /// How many stacks may be in flight now.
    pub(crate) fn limit(&self) -> usize {
        self.with(|limit| limit.current())
    }

    /// Throttled answers so far, and the lowest the limit went.
    pub(crate) fn throttling(&self) -> (usize, usize) {
        self.with(|limit| limit.throttling())
    }

    fn throttled(&self) {
        self.with(|limit| limit.throttled(Instant::now()));
    }

    fn answered(&self) {
        self.with(AdaptiveLimit::answered);
    }
}

/// The interceptor every client of [`crate::Aws`] carries.
#[derive(Clone, Debug)]
pub(crate) struct Observer(pub(crate) Arc<Pressure>);

/// What one attempt says about the request rate.
fn judge(action: &RetryAction) -> Option<bool> {
    match action {
        RetryAction::RetryIndicated(RetryReason::RetryableError { kind: ErrorKind::ThrottlingError, .. }) => Some(true),
        // A 5xx, a timeout or a dropped connection: not about the rate.
        RetryAction::RetryIndicated(_) => None,
        // An answer: success, or an error that is not throttling.
        _ => Some(false),
    }
}

impl Intercept for Observer {
    fn name(&self) -> &'static str {
        "fanout throttling observer"
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if context.output_or_error().is_none() {
            return Ok(());
        }
        let action = run_classifiers_on_ctx(runtime_components.retry_classifiers(), context.inner());
        match judge(&action) {
            Some(true) => self.0.throttled(),
            Some(false) => self.0.answered(),
            None => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_throttling_lowers_and_only_answers_raise() {
        assert_eq!(judge(&RetryAction::throttling_error()), Some(true));
        assert_eq!(judge(&RetryAction::server_error()), None);
        assert_eq!(judge(&RetryAction::transient_error()), None);
        assert_eq!(judge(&RetryAction::NoActionIndicated), Some(false));
        assert_eq!(judge(&RetryAction::RetryForbidden), Some(false));
    }

    #[test]
    fn pressure_resets_for_each_deploy() {
        let pressure = Pressure::default();
        pressure.reset(8);
        pressure.throttled();
        assert_eq!(pressure.limit(), 4);
        assert_eq!(pressure.throttling(), (1, 4));
        pressure.reset(8);
        assert_eq!((pressure.limit(), pressure.throttling()), (8, (0, 8)));
    }
}
