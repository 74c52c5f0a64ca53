//! Stopping a deploy part-way: on a signal the CLI received, or when the environment fails
//! (credentials expired or revoked) and every further request would fail the same way.
//!
//! A stopped deploy starts no new stack, deletes the change sets it created and did not
//! execute, and stops following the stacks CloudFormation is updating without cancelling
//! them: an operation in progress finishes or rolls back on its own, and the next deploy
//! waits for it. Requests that change something (creating, executing or deleting a change
//! set) are never abandoned half-way; only waits and reads end early.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::watch;

/// Why a deploy stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The process received this signal, like `SIGINT`.
    Signal(&'static str),
    /// AWS refused the credentials; nothing more can be done with them.
    Environment,
}

/// A switch shared by the caller and every task of a deploy. Cheap to clone; the default
/// never fires unless [`Stop::stop`] is called.
#[derive(Clone, Debug)]
pub struct Stop {
    sender: Arc<watch::Sender<Option<StopReason>>>,
}

impl Default for Stop {
    fn default() -> Self {
        Self { sender: Arc::new(watch::channel(None).0) }
    }
}

impl Stop {
    /// A switch that has not fired.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stops the deploy for `reason`; the first reason given is kept.
    pub fn stop(&self, reason: StopReason) {
        self.sender.send_if_modified(|current| {
            if current.is_some() {
                return false;
            }
            *current = Some(reason);
            true
        });
    }

    /// Why the deploy was stopped, if it was.
    pub fn reason(&self) -> Option<StopReason> {
        self.sender.borrow().clone()
    }

    /// Whether the deploy was stopped.
    pub fn is_stopped(&self) -> bool {
        self.sender.borrow().is_some()
    }

    /// Resolves once the deploy is stopped.
    pub(crate) async fn stopped(&self) {
        let mut receiver = self.sender.subscribe();
        // The sender lives as long as `self`, so waiting cannot fail.
        let _ = receiver.wait_for(Option::is_some).await;
    }

    /// Runs `work` unless the deploy stops first: `None` then, and `work` is dropped. Only
    /// for waits and reads, which change nothing when abandoned.
    pub(crate) async fn unless_stopped<T>(&self, work: impl Future<Output = T>) -> Option<T> {
        if self.is_stopped() {
            return None;
        }
        tokio::select! {
            biased;
            () = self.stopped() => None,
            done = work => Some(done),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_stop_ends_waits_and_keeps_the_first_reason() {
        let stop = Stop::new();
        assert!(!stop.is_stopped());
        assert_eq!(stop.unless_stopped(async { 7 }).await, Some(7));
        let waiting = {
            let stop = stop.clone();
            tokio::spawn(async move { stop.unless_stopped(tokio::time::sleep(Duration::from_secs(600))).await })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        stop.stop(StopReason::Signal("SIGTERM"));
        stop.stop(StopReason::Environment);
        assert_eq!(waiting.await.unwrap(), None, "the wait ended at the stop");
        assert_eq!(stop.reason(), Some(StopReason::Signal("SIGTERM")));
        assert_eq!(stop.unless_stopped(async { 7 }).await, None, "nothing starts once stopped");
    }
}
