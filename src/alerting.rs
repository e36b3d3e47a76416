//! Alert delivery rules: recipients and their channels, retry schedule, escalation levels, digests.

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::{Deserialize, Serialize};

/// How many times the outbox tries one message before it moves to the dead-letter state.
pub const MAX_ATTEMPTS: u32 = 8;

/// Who hears about a budget's alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientKind {
    /// A person of the organization (inbox, and email when they have an address).
    User,
    /// Everyone holding a role for the budget's scope: `leads` of its team, `approvers` or `admins`.
    Role,
    Email,
    Slack,
    Webhook,
}

impl RecipientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecipientKind::User => "user",
            RecipientKind::Role => "role",
            RecipientKind::Email => "email",
            RecipientKind::Slack => "slack",
            RecipientKind::Webhook => "webhook",
        }
    }

    /// Checks a target for this kind; returns it normalised.
    pub fn validate_target(self, target: &str) -> Result<String, String> {
        let target = target.trim();
        match self {
            RecipientKind::User => Ok(target.to_owned()),
            RecipientKind::Role => match target {
                "leads" | "approvers" | "admins" => Ok(target.to_owned()),
                other => Err(format!("'{other}' is not a role to notify (leads, approvers or admins)")),
            },
            RecipientKind::Email => {
                let valid = target.len() <= 254
                    && target.split_once('@').is_some_and(|(local, domain)| {
                        !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
                    })
                    && !target.contains(char::is_whitespace);
                valid.then(|| target.to_lowercase()).ok_or_else(|| format!("'{target}' is not an email address"))
            }
            RecipientKind::Slack | RecipientKind::Webhook => {
                let valid = (target.starts_with("https://") || target.starts_with("http://"))
                    && target.len() > "https://".len()
                    && target.len() <= 2000
                    && !target.contains(char::is_whitespace);
                valid.then(|| target.to_owned()).ok_or_else(|| format!("'{target}' is not an http(s) URL"))
            }
        }
    }
}

impl std::str::FromStr for RecipientKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "user" => Ok(RecipientKind::User),
            "role" => Ok(RecipientKind::Role),
            "email" => Ok(RecipientKind::Email),
            "slack" => Ok(RecipientKind::Slack),
            "webhook" => Ok(RecipientKind::Webhook),
            other => Err(format!("unknown recipient kind '{other}' (user, role, email, slack, webhook)")),
        }
    }
}

/// What to do after a failed attempt, given how many attempts were made so far (including it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    RetryIn(Duration),
    DeadLetter,
}

/// Exponential backoff: 5 s, 10 s, 20 s, … capped at one hour, then dead-lettered.
pub fn after_failure(attempts: u32) -> AfterFailure {
    if attempts >= MAX_ATTEMPTS {
        return AfterFailure::DeadLetter;
    }
    AfterFailure::RetryIn(retry_wait(attempts))
}

/// The wait after the n-th failure in a row: 5 s, doubling, at most an hour. Event hooks use it
/// without a last attempt: they keep their place in the feed until the receiver is back.
pub fn retry_wait(failures: u32) -> Duration {
    let seconds = 5_i64.saturating_mul(1_i64 << failures.saturating_sub(1).min(20));
    Duration::seconds(seconds.min(3600))
}

/// Who an unacknowledged alert goes to at each escalation level (level 0 is the budget's own recipients).
pub fn escalation_role(level: i32) -> Option<&'static str> {
    match level {
        1 => Some("leads"),
        2 => Some("admins"),
        _ => None,
    }
}

/// Severity shown with an alert of `threshold` percent.
pub fn severity(threshold: u32) -> &'static str {
    match threshold {
        100.. => "critical",
        90..=99 => "warning",
        _ => "info",
    }
}

/// How a person receives alert emails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Digest {
    Immediate,
    Hourly,
    Daily,
}

impl Digest {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "immediate" => Some(Digest::Immediate),
            "hourly" => Some(Digest::Hourly),
            "daily" => Some(Digest::Daily),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Digest::Immediate => "immediate",
            Digest::Hourly => "hourly",
            Digest::Daily => "daily",
        }
    }

    /// When a message queued at `now` is sent: at once, or at the next full hour or UTC day.
    pub fn send_at(self, now: DateTime<Utc>) -> DateTime<Utc> {
        let next = |step: Duration| now.duration_trunc(step).map(|t| t + step).unwrap_or(now);
        match self {
            Digest::Immediate => now,
            Digest::Hourly => next(Duration::hours(1)),
            Digest::Daily => next(Duration::days(1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn backoff_doubles_then_dead_letters() {
        assert_eq!(after_failure(1), AfterFailure::RetryIn(Duration::seconds(5)));
        assert_eq!(after_failure(2), AfterFailure::RetryIn(Duration::seconds(10)));
        assert_eq!(after_failure(7), AfterFailure::RetryIn(Duration::seconds(320)));
        assert_eq!(after_failure(MAX_ATTEMPTS), AfterFailure::DeadLetter);
        assert_eq!(after_failure(u32::MAX), AfterFailure::DeadLetter);
        assert_eq!(retry_wait(0), Duration::seconds(5));
        assert_eq!(retry_wait(11), Duration::hours(1));
        assert_eq!(retry_wait(u32::MAX), Duration::hours(1));
    }

    #[test]
    fn targets_are_checked_per_kind() {
        assert_eq!(RecipientKind::Email.validate_target(" Ops@Example.com ").unwrap(), "ops@example.com");
        assert!(RecipientKind::Email.validate_target("ops@localhost.").is_err());
        assert!(RecipientKind::Email.validate_target("not an email").is_err());
        assert!(RecipientKind::Webhook.validate_target("ftp://x").is_err());
        assert!(RecipientKind::Slack.validate_target("https://hooks.slack.com/services/T/B/X").is_ok());
        assert!(RecipientKind::Role.validate_target("leads").is_ok());
        assert!(RecipientKind::Role.validate_target("everyone").is_err());
        assert_eq!("webhook".parse::<RecipientKind>(), Ok(RecipientKind::Webhook));
    }

    #[test]
    fn escalation_goes_to_leads_then_admins_then_stops() {
        assert_eq!(escalation_role(1), Some("leads"));
        assert_eq!(escalation_role(2), Some("admins"));
        assert_eq!(escalation_role(3), None);
    }

    #[test]
    fn digests_wait_for_the_next_hour_or_day() {
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 14, 20, 5).unwrap();
        assert_eq!(Digest::Immediate.send_at(now), now);
        assert_eq!(Digest::Hourly.send_at(now), Utc.with_ymd_and_hms(2026, 11, 28, 15, 0, 0).unwrap());
        assert_eq!(Digest::Daily.send_at(now), Utc.with_ymd_and_hms(2026, 11, 29, 0, 0, 0).unwrap());
        assert_eq!(severity(100), "critical");
        assert_eq!(severity(90), "warning");
        assert_eq!(severity(50), "info");
    }
}
