//! Budgeting preferences: their keys, valid values, and resolution system → user → project.

use crate::limits::EnforcementMode;
use crate::money::Currency;
use crate::thresholds::parse_thresholds;
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Where a preference value is set. Later levels override earlier ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Tollgate's own default, used when nobody set a value.
    BuiltIn,
    /// The organization's default, set by an admin.
    System,
    User,
    Project,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::BuiltIn => "built_in",
            Level::System => "system",
            Level::User => "user",
            Level::Project => "project",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::BuiltIn => "Tollgate default",
            Level::System => "organization",
            Level::User => "your preference",
            Level::Project => "project",
        }
    }
}

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "system" => Ok(Level::System),
            "user" => Ok(Level::User),
            "project" => Ok(Level::Project),
            other => Err(format!("'{other}' is not a preference level (system, user or project)")),
        }
    }
}

/// A budgeting preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Key {
    Currency,
    TimeZone,
    Thresholds,
    Enforcement,
    GraceMinutes,
    AlertRecipients,
    UnpricedModels,
}

/// Who new budgets notify unless the wizard says otherwise.
pub const RECIPIENT_CHOICES: [&str; 3] = ["me", "leads", "approvers"];

impl Key {
    pub const ALL: [Key; 7] = [
        Key::Currency,
        Key::TimeZone,
        Key::Thresholds,
        Key::Enforcement,
        Key::GraceMinutes,
        Key::AlertRecipients,
        Key::UnpricedModels,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Key::Currency => "currency",
            Key::TimeZone => "time_zone",
            Key::Thresholds => "thresholds",
            Key::Enforcement => "enforcement",
            Key::GraceMinutes => "grace_minutes",
            Key::AlertRecipients => "alert_recipients",
            Key::UnpricedModels => "unpriced_models",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Key::Currency => "Currency",
            Key::TimeZone => "Time zone",
            Key::Thresholds => "Alert thresholds (%)",
            Key::Enforcement => "Enforcement mode",
            Key::GraceMinutes => "Grace minutes",
            Key::AlertRecipients => "Alert channels (who new budgets notify)",
            Key::UnpricedModels => "Unpriced models",
        }
    }

    pub fn help(self) -> &'static str {
        match self {
            Key::Currency => "ISO 4217 code the organization accounts in, e.g. USD or EUR.",
            Key::TimeZone => "IANA name of the time zone budget windows (days, weeks, months) are aligned to.",
            Key::Thresholds => "Percentages of the hard level at which new budgets alert, e.g. 50, 75, 90.",
            Key::Enforcement => "What happens to an operation beyond the hard level.",
            Key::GraceMinutes => "Minutes operations stay allowed, with a warning, after a hard level is crossed.",
            Key::AlertRecipients => "Any of me (inbox and email), leads, approvers, comma separated.",
            Key::UnpricedModels => {
                "reject (an event for a model without a price is refused) or fallback:<price per million tokens>"
            }
        }
    }

    /// The values this key takes, with their names for people, when it takes one of a few; empty
    /// when it takes free input.
    pub fn choices(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Key::Enforcement => &[
                ("hard_stop", "Hard stop: deny beyond the hard level"),
                ("soft_warning", "Soft warning: allow and warn"),
            ],
            _ => &[],
        }
    }

    /// The levels that may set this key. Currency and time zone define the organization's ledger
    /// and budget windows, so only the organization has them; unpriced models are a matter of the
    /// project whose events they are, not of a person.
    pub fn allowed_at(self, level: Level) -> bool {
        match self {
            Key::Currency | Key::TimeZone => level == Level::System,
            Key::UnpricedModels => matches!(level, Level::System | Level::Project),
            _ => level != Level::BuiltIn,
        }
    }

    /// Tollgate's own value, used when no level sets one.
    pub fn built_in(self) -> &'static str {
        match self {
            Key::Currency => "USD",
            Key::TimeZone => "UTC",
            Key::Thresholds => "50, 75, 90",
            Key::Enforcement => "hard_stop",
            Key::GraceMinutes => "0",
            Key::AlertRecipients => "me, leads",
            Key::UnpricedModels => "reject",
        }
    }

    /// Checks a value for this key and returns it normalised, or says what is wrong with it.
    pub fn normalise(self, value: &str) -> Result<String, String> {
        let value = value.trim();
        match self {
            Key::Currency => Currency::parse(&value.to_uppercase()).map(|c| c.to_string()).map_err(|e| e.to_string()),
            Key::TimeZone => value
                .parse::<Tz>()
                .map(|tz| tz.name().to_owned())
                .map_err(|_| format!("'{value}' is not a known time zone (use an IANA name such as Europe/Berlin)")),
            Key::Thresholds => {
                parse_thresholds(value).map(|t| t.iter().map(u32::to_string).collect::<Vec<_>>().join(", "))
            }
            Key::Enforcement => value.parse::<EnforcementMode>().map(|m| m.as_str().to_owned()),
            Key::GraceMinutes => match value.parse::<u32>() {
                Ok(m) if m <= 7 * 24 * 60 => Ok(m.to_string()),
                _ => Err(format!("'{value}' is not a number of minutes between 0 and 10080")),
            },
            Key::AlertRecipients => {
                let chosen = recipients(value)?;
                Ok(chosen.join(", "))
            }
            Key::UnpricedModels => UnpricedPolicy::parse(value).map(|p| p.to_string()),
        }
    }
}

impl FromStr for Key {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Key::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| format!("'{s}' is not a preference"))
    }
}

/// The recipients named in an `alert_recipients` value, in a fixed order.
pub fn recipients(value: &str) -> Result<Vec<&'static str>, String> {
    let mut chosen = Vec::new();
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let known = RECIPIENT_CHOICES
            .into_iter()
            .find(|c| *c == part)
            .ok_or_else(|| format!("'{part}' is not a recipient (me, leads or approvers)"))?;
        chosen.push(known);
    }
    chosen.sort_by_key(|c| RECIPIENT_CHOICES.iter().position(|k| k == c));
    chosen.dedup();
    Ok(chosen)
}

/// What happens to usage of a model without a catalog price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnpricedPolicy {
    Reject,
    /// Price its input and output tokens at this amount per million, and flag the event.
    Fallback(Decimal),
}

impl UnpricedPolicy {
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if value == "reject" {
            return Ok(UnpricedPolicy::Reject);
        }
        let price = value
            .strip_prefix("fallback:")
            .ok_or_else(|| format!("'{value}' is neither reject nor fallback:<price per million tokens>"))?;
        match Decimal::from_str(price.trim()) {
            Ok(p) if p > Decimal::ZERO => Ok(UnpricedPolicy::Fallback(p.normalize())),
            _ => Err(format!("'{}' is not a positive price per million tokens", price.trim())),
        }
    }
}

impl std::fmt::Display for UnpricedPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UnpricedPolicy::Reject => f.write_str("reject"),
            UnpricedPolicy::Fallback(p) => write!(f, "fallback:{p}"),
        }
    }
}

/// A preference's effective value and the level it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolved {
    pub key: Key,
    pub value: String,
    pub source: Level,
}

/// The value of `key` given what each level sets: project overrides user overrides system.
pub fn resolve(key: Key, system: Option<&str>, user: Option<&str>, project: Option<&str>) -> Resolved {
    let set = [(Level::Project, project), (Level::User, user), (Level::System, system)];
    match set.into_iter().find_map(|(level, v)| v.map(|v| (level, v))) {
        Some((source, value)) => Resolved { key, value: value.to_owned(), source },
        None => Resolved { key, value: key.built_in().to_owned(), source: Level::BuiltIn },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn project_overrides_user_overrides_system() {
        let r = resolve(Key::Currency, Some("EUR"), Some("GBP"), Some("CHF"));
        assert_eq!((r.value.as_str(), r.source), ("CHF", Level::Project));
        let r = resolve(Key::Currency, Some("EUR"), Some("GBP"), None);
        assert_eq!((r.value.as_str(), r.source), ("GBP", Level::User));
        let r = resolve(Key::Currency, Some("EUR"), None, None);
        assert_eq!((r.value.as_str(), r.source), ("EUR", Level::System));
        let r = resolve(Key::Currency, None, None, None);
        assert_eq!((r.value.as_str(), r.source), ("USD", Level::BuiltIn));
    }

    #[test]
    fn values_are_checked_and_normalised() {
        assert_eq!(Key::Currency.normalise(" eur ").unwrap(), "EUR");
        assert_eq!(Key::TimeZone.normalise("Europe/Berlin").unwrap(), "Europe/Berlin");
        assert!(Key::TimeZone.normalise("Mars/Olympus").unwrap_err().contains("Mars/Olympus"));
        assert_eq!(Key::Thresholds.normalise("90,50, 75").unwrap(), "50, 75, 90");
        assert_eq!(Key::Enforcement.normalise("soft_warning").unwrap(), "soft_warning");
        assert!(Key::GraceMinutes.normalise("-5").is_err());
        assert_eq!(Key::AlertRecipients.normalise("approvers, me,me").unwrap(), "me, approvers");
        assert!(Key::AlertRecipients.normalise("everyone").is_err());
        assert_eq!(Key::UnpricedModels.normalise("fallback: 3.50").unwrap(), "fallback:3.5");
        assert!(Key::UnpricedModels.normalise("fallback:0").is_err());
        assert!(Key::UnpricedModels.normalise("zero").is_err());
    }

    #[test]
    fn ledger_keys_belong_to_the_organization() {
        assert!(Key::Currency.allowed_at(Level::System));
        assert!(!Key::Currency.allowed_at(Level::Project));
        assert!(!Key::TimeZone.allowed_at(Level::User));
        assert!(Key::UnpricedModels.allowed_at(Level::Project));
        assert!(!Key::UnpricedModels.allowed_at(Level::User));
        assert!(Key::Thresholds.allowed_at(Level::User) && Key::Thresholds.allowed_at(Level::Project));
    }

    #[test]
    fn built_in_values_are_valid() {
        for key in Key::ALL {
            assert_eq!(key.normalise(key.built_in()).unwrap(), key.built_in(), "{key:?}");
            assert_eq!(key.as_str().parse::<Key>().unwrap(), key);
        }
    }

    proptest! {
        #[test]
        fn the_most_specific_set_level_wins(s in proptest::option::of("[A-Z]{3}"), u in proptest::option::of("[A-Z]{3}"),
                                            p in proptest::option::of("[A-Z]{3}")) {
            let r = resolve(Key::Currency, s.as_deref(), u.as_deref(), p.as_deref());
            let expected = p.clone().map(|v| (v, Level::Project))
                .or(u.clone().map(|v| (v, Level::User)))
                .or(s.clone().map(|v| (v, Level::System)))
                .unwrap_or(("USD".into(), Level::BuiltIn));
            prop_assert_eq!((r.value, r.source), expected);
        }
    }
}
