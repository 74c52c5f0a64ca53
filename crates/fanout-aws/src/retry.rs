//! fanout's own retries, on top of the SDK's.
//!
//! The SDK tries each request up to six times over some 15 seconds; under heavy throttling
//! (its shared retry quota runs dry) or an endpoint that fails for longer, a request can still
//! fail. A deploy of hundreds of stacks makes thousands of requests, so it would fail somewhere
//! for nothing. fanout sends a request that AWS throttled or failed inside again after a
//! growing pause, for about half a minute more; an endpoint that cannot be reached is left to
//! the SDK's retries and then reported. Only requests that
//! are safe to repeat go through here: reads, and writes whose repetition is detected
//! (creating a change set by a name of its own, deleting one). Executing a change set never
//! does: see `stack::execute_change_set`.

use std::future::Future;

use crate::backoff::Backoff;
use crate::error::Error;

/// Runs `attempt` until it succeeds, fails for good, or [`Backoff::RETRY`] ends.
pub(crate) async fn retrying<T, F, Fut>(attempt: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    retrying_on(Backoff::RETRY, attempt).await
}

async fn retrying_on<T, F, Fut>(backoff: Backoff, mut attempt: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let mut delays = backoff.delays();
    loop {
        match attempt().await {
            Err(err) if err.is_worth_retrying() => match delays.next() {
                Some(delay) => tokio::time::sleep(delay).await,
                None => return Err(err),
            },
            done => return done,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    const QUICK: Backoff = Backoff {
        first: Duration::from_millis(1),
        factor_percent: 200,
        max: Duration::from_millis(4),
        limit: Duration::from_millis(20),
    };

    fn throttled() -> Error {
        Error::Aws {
            operation: "DescribeStacks",
            code: Some("Throttling".into()),
            message: "Rate exceeded".into(),
            transient: true,
            source: None,
        }
    }

    #[tokio::test]
    async fn transient_failures_are_tried_again_and_others_are_not() {
        let calls = AtomicUsize::new(0);
        let result = retrying_on(QUICK, || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 3 { Err(throttled()) } else { Ok(7) }
        })
        .await;
        assert_eq!(result.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 4);

        let calls = AtomicUsize::new(0);
        let result: Result<(), Error> = retrying_on(QUICK, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Error::AccessDenied { operation: "DescribeStacks", message: "expired".into() })
        })
        .await;
        assert!(matches!(result, Err(Error::AccessDenied { .. })));
        assert_eq!(calls.load(Ordering::SeqCst), 1, "a refusal is final");
    }

    #[tokio::test]
    async fn retries_end_with_the_schedule() {
        let calls = AtomicUsize::new(0);
        let result: Result<(), Error> = retrying_on(QUICK, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(throttled())
        })
        .await;
        assert!(result.unwrap_err().is_worth_retrying());
        assert_eq!(calls.load(Ordering::SeqCst), QUICK.delays().count() + 1);
    }
}
