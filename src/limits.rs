//! Limit kinds, usage quantities, soft/hard levels, enforcement modes and window status.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, Sub};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum LimitKind {
    Cost,
    Tokens,
    Operations,
}

impl LimitKind {
    pub const ALL: [LimitKind; 3] = [LimitKind::Cost, LimitKind::Tokens, LimitKind::Operations];

    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::Cost => "cost",
            LimitKind::Tokens => "tokens",
            LimitKind::Operations => "operations",
        }
    }
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LimitKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LimitKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown limit type '{s}' (expected cost, tokens or operations)"))
    }
}

/// An amount of each limit kind: cost in the budget's currency, tokens, operations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Usage {
    pub cost: Decimal,
    pub tokens: Decimal,
    pub operations: Decimal,
}

impl Usage {
    pub const ZERO: Usage = Usage { cost: Decimal::ZERO, tokens: Decimal::ZERO, operations: Decimal::ZERO };

    pub fn new(cost: Decimal, tokens: i64, operations: i64) -> Self {
        Usage { cost, tokens: Decimal::from(tokens), operations: Decimal::from(operations) }
    }

    pub fn get(&self, kind: LimitKind) -> Decimal {
        match kind {
            LimitKind::Cost => self.cost,
            LimitKind::Tokens => self.tokens,
            LimitKind::Operations => self.operations,
        }
    }

    pub fn is_negative(&self) -> bool {
        LimitKind::ALL.iter().any(|k| self.get(*k).is_sign_negative() && !self.get(*k).is_zero())
    }
}

impl Add for Usage {
    type Output = Usage;
    fn add(self, o: Usage) -> Usage {
        Usage { cost: self.cost + o.cost, tokens: self.tokens + o.tokens, operations: self.operations + o.operations }
    }
}

impl Sub for Usage {
    type Output = Usage;
    fn sub(self, o: Usage) -> Usage {
        Usage { cost: self.cost - o.cost, tokens: self.tokens - o.tokens, operations: self.operations - o.operations }
    }
}

/// Largest token count one operation may report (input or output): far beyond any model's context,
/// and small enough that sums over a window can never overflow.
pub const MAX_TOKENS_PER_OPERATION: i64 = 1_000_000_000_000;
/// Largest operation count one usage event may report.
pub const MAX_OPERATIONS_PER_EVENT: i64 = 1_000_000;

/// Checks the quantities one operation reports: none negative, none absurdly large.
pub fn check_quantities(input_tokens: i64, output_tokens: i64, operations: i64) -> Result<(), String> {
    if input_tokens < 0 || output_tokens < 0 || operations < 0 {
        return Err("tokens and operations must not be negative".into());
    }
    if input_tokens > MAX_TOKENS_PER_OPERATION || output_tokens > MAX_TOKENS_PER_OPERATION {
        return Err(format!("at most {MAX_TOKENS_PER_OPERATION} tokens per operation"));
    }
    if operations > MAX_OPERATIONS_PER_EVENT {
        return Err(format!("at most {MAX_OPERATIONS_PER_EVENT} operations per event"));
    }
    Ok(())
}

/// One limit of a budget: a soft (warning) level and a hard (enforcement) level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    pub kind: LimitKind,
    pub soft: Option<Decimal>,
    pub hard: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("the hard {0} limit must be greater than zero")]
    HardNotPositive(LimitKind),
    #[error("the soft {0} level must be positive and below the hard level")]
    SoftOutOfRange(LimitKind),
}

impl Limit {
    pub fn new(kind: LimitKind, soft: Option<Decimal>, hard: Decimal) -> Result<Self, LimitError> {
        if hard <= Decimal::ZERO {
            return Err(LimitError::HardNotPositive(kind));
        }
        if soft.is_some_and(|s| s <= Decimal::ZERO || s > hard) {
            return Err(LimitError::SoftOutOfRange(kind));
        }
        Ok(Limit { kind, soft, hard })
    }

    pub fn status(&self, used: Decimal) -> Status {
        if used >= self.hard {
            Status::OverBudget
        } else if self.soft.is_some_and(|s| used >= s) {
            Status::ApproachingLimit
        } else {
            Status::WithinBudget
        }
    }

    /// The status against what may be spent now: the hard level plus `overrides`. Beyond the hard
    /// level but within an override is approaching the limit, not over it.
    pub fn status_with_overrides(&self, used: Decimal, overrides: Decimal) -> Status {
        if used >= self.hard + overrides {
            Status::OverBudget
        } else if used >= self.hard {
            Status::ApproachingLimit
        } else {
            self.status(used)
        }
    }

    /// Percentage of the hard level used, rounded to two places.
    pub fn percent_used(&self, used: Decimal) -> Decimal {
        (used * Decimal::ONE_HUNDRED / self.hard).round_dp(2)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EnforcementMode {
    /// Deny operations beyond the hard level (after any grace period).
    HardStop,
    /// Allow operations beyond the hard level, with a warning.
    SoftWarning,
}

impl EnforcementMode {
    pub fn as_str(self) -> &'static str {
        match self {
            EnforcementMode::HardStop => "hard_stop",
            EnforcementMode::SoftWarning => "soft_warning",
        }
    }
}

impl FromStr for EnforcementMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "hard_stop" => Ok(EnforcementMode::HardStop),
            "soft_warning" => Ok(EnforcementMode::SoftWarning),
            other => Err(format!("unknown enforcement mode '{other}' (expected hard_stop or soft_warning)")),
        }
    }
}

/// Status of a budget window, the worst over its limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Status {
    WithinBudget,
    ApproachingLimit,
    OverBudget,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::WithinBudget => "within_budget",
            Status::ApproachingLimit => "approaching_limit",
            Status::OverBudget => "over_budget",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::WithinBudget => "Within budget",
            Status::ApproachingLimit => "Approaching limit",
            Status::OverBudget => "Over budget",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn limits_validate_their_levels() {
        assert!(Limit::new(LimitKind::Cost, Some(dec!(80)), dec!(100)).is_ok());
        assert_eq!(Limit::new(LimitKind::Cost, None, dec!(0)), Err(LimitError::HardNotPositive(LimitKind::Cost)));
        assert_eq!(
            Limit::new(LimitKind::Tokens, Some(dec!(200)), dec!(100)),
            Err(LimitError::SoftOutOfRange(LimitKind::Tokens))
        );
    }

    #[test]
    fn status_follows_soft_and_hard_levels() {
        let limit = Limit::new(LimitKind::Cost, Some(dec!(80)), dec!(100)).unwrap();
        assert_eq!(limit.status(dec!(79.99)), Status::WithinBudget);
        assert_eq!(limit.status(dec!(80)), Status::ApproachingLimit);
        assert_eq!(limit.status(dec!(100)), Status::OverBudget);
        assert_eq!(limit.percent_used(dec!(33.333)), dec!(33.33));
        assert!(Status::OverBudget > Status::ApproachingLimit);
        assert_eq!(limit.status_with_overrides(dec!(100), dec!(5)), Status::ApproachingLimit, "within the override");
        assert_eq!(limit.status_with_overrides(dec!(105), dec!(5)), Status::OverBudget);
        assert_eq!(limit.status_with_overrides(dec!(10), dec!(5)), limit.status(dec!(10)));
    }

    #[test]
    fn quantities_are_bounded() {
        assert!(check_quantities(0, 0, 0).is_ok());
        assert!(check_quantities(MAX_TOKENS_PER_OPERATION, MAX_TOKENS_PER_OPERATION, MAX_OPERATIONS_PER_EVENT).is_ok());
        assert!(check_quantities(-1, 0, 1).is_err());
        assert!(check_quantities(0, MAX_TOKENS_PER_OPERATION + 1, 1).is_err());
        assert!(check_quantities(0, 0, MAX_OPERATIONS_PER_EVENT + 1).is_err());
    }

    #[test]
    fn usage_adds_per_kind() {
        let a = Usage::new(dec!(1.5), 10, 1);
        let b = Usage::new(dec!(0.5), 5, 2);
        assert_eq!(a + b, Usage::new(dec!(2.0), 15, 3));
        assert_eq!((a - b).get(LimitKind::Operations), dec!(-1));
        assert!((b - a).is_negative());
    }
}
