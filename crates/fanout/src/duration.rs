//! Human durations in manifests: `30s`, `15m`, `12h`, `4d`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A whole number of seconds, written with a unit in manifests (`30s`, `15m`, `12h`, `4d`).
///
/// ```
/// use fanout::Duration;
/// assert_eq!("15m".parse::<Duration>().unwrap().as_secs(), 900);
/// assert_eq!(Duration::from_secs(345_600).to_string(), "4d");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Duration(u32);

/// Why a string is not a [`Duration`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("Invalid duration `{0}`: write a whole number and a unit: `30s`, `15m`, `12h` or `4d`")]
pub struct DurationError(String);

impl Duration {
    /// A duration of `secs` seconds.
    pub const fn from_secs(secs: u32) -> Self {
        Self(secs)
    }

    /// A duration of `mins` minutes; saturates at [`u32::MAX`] seconds instead of
    /// overflowing, so a huge value is reported as out of range, never a panic.
    ///
    /// ```
    /// assert_eq!(fanout::Duration::from_mins(15).to_string(), "15m");
    /// ```
    pub const fn from_mins(mins: u32) -> Self {
        Self(mins.saturating_mul(60))
    }

    /// A duration of `hours` hours; saturates like [`Duration::from_mins`].
    pub const fn from_hours(hours: u32) -> Self {
        Self(hours.saturating_mul(3_600))
    }

    /// A duration of `days` days; saturates like [`Duration::from_mins`].
    ///
    /// ```
    /// assert_eq!(fanout::Duration::from_days(4), "4d".parse().unwrap());
    /// ```
    pub const fn from_days(days: u32) -> Self {
        Self(days.saturating_mul(86_400))
    }

    /// The duration in whole seconds, as CloudFormation properties take it.
    pub const fn as_secs(self) -> u32 {
        self.0
    }
}

impl std::str::FromStr for Duration {
    type Err = DurationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = || DurationError(text.to_string());
        let trimmed = text.trim();
        let split = trimmed.find(|c: char| !c.is_ascii_digit()).ok_or_else(err)?;
        let (number, unit) = trimmed.split_at(split);
        let number: u32 = number.parse().map_err(|_| err())?;
        let factor = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3_600,
            "d" => 86_400,
            _ => return Err(err()),
        };
        number.checked_mul(factor).map(Self).ok_or_else(err)
    }
}

impl TryFrom<String> for Duration {
    type Error = DurationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Duration> for String {
    fn from(value: Duration) -> Self {
        value.to_string()
    }
}

impl fmt::Display for Duration {
    /// The largest unit that divides the duration exactly, so `"4d"` prints back as `4d`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0;
        for (factor, unit) in [(86_400, "d"), (3_600, "h"), (60, "m")] {
            if secs != 0 && secs.is_multiple_of(factor) {
                return write!(f, "{}{unit}", secs / factor);
            }
        }
        write!(f, "{secs}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit() {
        for (text, secs) in [("0s", 0), ("30s", 30), ("15m", 900), ("12h", 43_200), ("4d", 345_600)] {
            assert_eq!(text.parse::<Duration>().unwrap().as_secs(), secs, "{text}");
        }
    }

    #[test]
    fn rejects_missing_or_unknown_units_and_overflow() {
        for bad in ["", "30", "s", "1.5h", "-1s", "3w", "99999999999d", "4 d"] {
            assert!(bad.parse::<Duration>().is_err(), "{bad}");
        }
    }

    #[test]
    fn prints_in_the_largest_exact_unit() {
        assert_eq!(Duration::from_secs(90).to_string(), "90s");
        assert_eq!(Duration::from_secs(120).to_string(), "2m");
        assert_eq!(Duration::from_secs(0).to_string(), "0s");
    }
}
