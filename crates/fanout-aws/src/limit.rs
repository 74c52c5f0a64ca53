//! How many stacks a deploy runs at once: an adaptive limit that backs off when AWS throttles.
//!
//! Additive increase, multiplicative decrease, as TCP does with its congestion window: every
//! throttled request halves the limit (at most once per cool-down, so one burst of throttled
//! polls counts as one signal), and every `limit` requests answered without throttling raise
//! it by one, up to the maximum the user set (`--concurrency`). Stacks already running are
//! never stopped; a lower limit only holds back the next ones.
//!
//! Pure: the caller passes the time of each answer, so the schedule is tested without a clock.

use std::time::{Duration, Instant};

/// The adaptive limit on stacks in flight.
#[derive(Clone, Debug)]
pub(crate) struct AdaptiveLimit {
    max: usize,
    current: usize,
    /// Unthrottled answers since the limit last changed.
    answered: usize,
    /// When the limit was last lowered; throttling within the cool-down is the same burst.
    lowered_at: Option<Instant>,
    cool_down: Duration,
    /// Throttled answers in all, and the lowest the limit went.
    throttled: usize,
    lowest: usize,
}

impl AdaptiveLimit {
    /// Throttling answers that arrive within this long after a decrease belong to the same
    /// burst: requests already sent when the limit went down. AWS's rate limits are per
    /// second, so two seconds let the lower rate show.
    pub(crate) const COOL_DOWN: Duration = Duration::from_secs(2);

    /// A limit that starts at `max`, the user's upper bound (at least 1).
    pub(crate) fn new(max: usize) -> Self {
        let max = max.max(1);
        Self { max, current: max, answered: 0, lowered_at: None, cool_down: Self::COOL_DOWN, throttled: 0, lowest: max }
    }

    /// How many stacks may be in flight now.
    pub(crate) fn current(&self) -> usize {
        self.current
    }

    /// A request was throttled at `now`: halve the limit, unless it was lowered within the
    /// cool-down. Returns the new limit when it changed.
    pub(crate) fn throttled(&mut self, now: Instant) -> Option<usize> {
        self.throttled += 1;
        self.answered = 0;
        if self.lowered_at.is_some_and(|at| now.saturating_duration_since(at) < self.cool_down) {
            return None;
        }
        self.lowered_at = Some(now);
        let lowered = (self.current / 2).max(1);
        if lowered == self.current {
            return None;
        }
        self.current = lowered;
        self.lowest = self.lowest.min(lowered);
        Some(lowered)
    }

    /// A request was answered without throttling: after `limit` such answers in a row the
    /// limit grows by one, up to the maximum. Returns the new limit when it changed.
    pub(crate) fn answered(&mut self) -> Option<usize> {
        if self.current >= self.max {
            return None;
        }
        self.answered += 1;
        if self.answered < self.current {
            return None;
        }
        self.answered = 0;
        self.current += 1;
        Some(self.current)
    }

    /// How many answers were throttling errors, and the lowest the limit went.
    pub(crate) fn throttling(&self) -> (usize, usize) {
        (self.throttled, self.lowest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_at_the_maximum_and_stays_there_without_throttling() {
        let mut limit = AdaptiveLimit::new(32);
        assert_eq!(limit.current(), 32);
        for _ in 0..1000 {
            assert_eq!(limit.answered(), None);
        }
        assert_eq!(limit.current(), 32);
        assert_eq!(limit.throttling(), (0, 32));
    }

    #[test]
    fn throttling_halves_the_limit_once_per_burst() {
        let start = Instant::now();
        let mut limit = AdaptiveLimit::new(32);
        assert_eq!(limit.throttled(start), Some(16));
        // The rest of the burst: requests sent before the limit went down.
        for ms in [1, 10, 500, 1999] {
            assert_eq!(limit.throttled(start + Duration::from_millis(ms)), None);
        }
        assert_eq!(limit.current(), 16);
        // Throttled again after the cool-down: the lower rate was not low enough.
        assert_eq!(limit.throttled(start + Duration::from_secs(2)), Some(8));
        assert_eq!(limit.throttling(), (6, 8));
    }

    #[test]
    fn the_limit_never_drops_below_one() {
        let start = Instant::now();
        let mut limit = AdaptiveLimit::new(3);
        assert_eq!(limit.throttled(start), Some(1));
        assert_eq!(limit.throttled(start + Duration::from_secs(10)), None);
        assert_eq!(limit.current(), 1);
        assert_eq!(limit.throttling(), (2, 1));
    }

    #[test]
    fn answers_raise_the_limit_one_step_per_round_up_to_the_maximum() {
        let start = Instant::now();
        let mut limit = AdaptiveLimit::new(6);
        limit.throttled(start);
        assert_eq!(limit.current(), 3);
        // One round at 3 in flight: 3 unthrottled answers raise it to 4.
        assert_eq!(limit.answered(), None);
        assert_eq!(limit.answered(), None);
        assert_eq!(limit.answered(), Some(4));
        // Then 4 answers for 5, 5 for 6, and the maximum holds.
        let raised: Vec<usize> = (0..30).filter_map(|_| limit.answered()).collect();
        assert_eq!(raised, [5, 6]);
        assert_eq!(limit.current(), 6);
        assert_eq!(limit.throttling(), (1, 3), "the lowest point is remembered");
    }

    #[test]
    fn a_throttled_answer_restarts_the_round_of_answers() {
        let start = Instant::now();
        let mut limit = AdaptiveLimit::new(8);
        limit.throttled(start);
        assert_eq!(limit.current(), 4);
        limit.answered();
        limit.answered();
        limit.answered();
        // Within the cool-down: no decrease, but the three answers no longer count.
        assert_eq!(limit.throttled(start + Duration::from_millis(100)), None);
        assert_eq!((0..3).filter_map(|_| limit.answered()).count(), 0);
        assert_eq!(limit.answered(), Some(5));
    }

    #[test]
    fn a_zero_maximum_means_one() {
        let limit = AdaptiveLimit::new(0);
        assert_eq!(limit.current(), 1);
    }
}
