//! Polling schedules: how long to wait between two looks at a change set or a stack.
//!
//! A schedule starts short, so a fast operation is seen finishing quickly, and grows
//! geometrically up to a cap, so a slow one (real CloudFormation takes minutes) costs few
//! calls. The numbers are chosen for AWS, never for the emulator's speed.

use std::time::Duration;

/// A capped geometric schedule of delays, with an overall time limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The first delay.
    pub(crate) first: Duration,
    /// Each delay is the previous one times `factor_percent / 100`.
    pub(crate) factor_percent: u32,
    /// No delay is longer than this.
    pub(crate) max: Duration,
    /// Waiting gives up once the delays add up to more than this.
    pub(crate) limit: Duration,
}

impl Backoff {
    /// Waiting for a change set to be computed: seconds on AWS.
    pub(crate) const CHANGE_SET: Backoff = Backoff {
        first: Duration::from_millis(250),
        factor_percent: 150,
        max: Duration::from_secs(5),
        limit: Duration::from_secs(10 * 60),
    };

    /// Following a stack operation: minutes on AWS, an hour for a large stack.
    pub const STACK: Backoff = Backoff {
        first: Duration::from_millis(500),
        factor_percent: 150,
        max: Duration::from_secs(10),
        limit: Duration::from_secs(2 * 60 * 60),
    };

    /// The delays to sleep, in order; the sequence ends when the next delay would take the
    /// total past [`Backoff::limit`].
    pub(crate) fn delays(&self) -> Delays {
        Delays { backoff: *self, next: self.first.min(self.max), total: Duration::ZERO }
    }
}

/// The iterator returned by [`Backoff::delays`].
#[derive(Clone, Debug)]
pub(crate) struct Delays {
    backoff: Backoff,
    next: Duration,
    total: Duration,
}

impl Delays {
    /// How long the delays returned so far add up to.
    pub(crate) fn waited(&self) -> Duration {
        self.total
    }
}

impl Iterator for Delays {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let delay = self.next;
        let total = self.total.checked_add(delay)?;
        if total > self.backoff.limit {
            return None;
        }
        self.total = total;
        let grown = delay.checked_mul(self.backoff.factor_percent).map_or(self.backoff.max, |d| d / 100);
        // A factor below 100 % would shrink the delays to nothing; never go below the first.
        self.next = grown.max(self.backoff.first).min(self.backoff.max);
        Some(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(delays: impl Iterator<Item = Duration>) -> Vec<u128> {
        delays.map(|d| d.as_millis()).collect()
    }

    #[test]
    fn stack_schedule_starts_short_and_is_capped() {
        let first: Vec<u128> = millis(Backoff::STACK.delays().take(10));
        assert_eq!(first, [500, 750, 1125, 1687, 2531, 3796, 5695, 8542, 10_000, 10_000]);
    }

    #[test]
    fn change_set_schedule_starts_short_and_is_capped() {
        let first: Vec<u128> = millis(Backoff::CHANGE_SET.delays().take(10));
        assert_eq!(first, [250, 375, 562, 843, 1265, 1898, 2847, 4271, 5000, 5000]);
    }

    #[test]
    fn schedule_ends_at_the_limit() {
        let backoff = Backoff {
            first: Duration::from_secs(1),
            factor_percent: 200,
            max: Duration::from_secs(4),
            limit: Duration::from_secs(12),
        };
        // 1 + 2 + 4 + 4 = 11; one more 4 would pass 12.
        assert_eq!(millis(backoff.delays()), [1000, 2000, 4000, 4000]);
        let mut delays = backoff.delays();
        delays.by_ref().for_each(drop);
        assert_eq!(delays.waited(), Duration::from_secs(11));
    }

    #[test]
    fn stack_schedule_waits_two_hours_with_few_calls() {
        let calls = Backoff::STACK.delays().count();
        let total: Duration = Backoff::STACK.delays().sum();
        assert!(total > Duration::from_secs(2 * 60 * 60 - 10), "{total:?}");
        assert!(calls < 730, "{calls} calls");
    }

    #[test]
    fn shrinking_factor_never_drops_below_first_delay() {
        let backoff = Backoff {
            first: Duration::from_millis(100),
            factor_percent: 50,
            max: Duration::from_secs(1),
            limit: Duration::from_millis(350),
        };
        assert_eq!(millis(backoff.delays()), [100, 100, 100]);
    }
}
