//! Override and increase requests: what may be asked, what an approver may grant, when one is decided.

use crate::limits::Usage;
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Longest a temporary override may run.
pub const MAX_OVERRIDE_DAYS: i64 = 90;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// Extra allowance until a time, then gone.
    Override,
    /// A permanent raise of the hard levels, at once or from the next window.
    Increase,
    /// Unused allowance moved from a sibling budget until the current window ends.
    Reallocation,
}

impl RequestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Override => "override",
            RequestKind::Increase => "increase",
            RequestKind::Reallocation => "reallocation",
        }
    }

    pub fn parse(value: &str) -> Option<RequestKind> {
        [RequestKind::Override, RequestKind::Increase, RequestKind::Reallocation]
            .into_iter()
            .find(|k| k.as_str() == value)
    }
}

/// An amount of extra allowance, and for overrides the time it ends.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Ask {
    pub amount: Usage,
    pub until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("ask for a positive amount of cost, tokens or operations (none negative)")]
    NoAmount,
    #[error("an override needs an end time in the future, at most {MAX_OVERRIDE_DAYS} days away")]
    BadUntil,
    #[error("an increase is permanent and takes no end time")]
    UntilOnIncrease,
    #[error("an approval may grant less than was asked, never more, and never end later")]
    MoreThanAsked,
}

pub fn validate(kind: RequestKind, ask: &Ask, now: DateTime<Utc>) -> Result<(), RequestError> {
    let parts = [ask.amount.cost, ask.amount.tokens, ask.amount.operations];
    if parts.iter().any(|p| p.is_sign_negative()) || parts.iter().all(|p| p.is_zero()) {
        return Err(RequestError::NoAmount);
    }
    match (kind, ask.until) {
        (RequestKind::Override, Some(until)) if until > now && until <= now + Duration::days(MAX_OVERRIDE_DAYS) => {
            Ok(())
        }
        (RequestKind::Override, _) => Err(RequestError::BadUntil),
        (RequestKind::Increase, None) => Ok(()),
        (RequestKind::Increase, Some(_)) => Err(RequestError::UntilOnIncrease),
        // Ends with the window it was made in, whatever the period's length.
        (RequestKind::Reallocation, Some(until)) if until > now => Ok(()),
        (RequestKind::Reallocation, _) => Err(RequestError::BadUntil),
    }
}

/// What an approver grants: the ask, or less of it (each amount at most the ask, ending no later).
pub fn grant(kind: RequestKind, asked: &Ask, offered: Option<Ask>, now: DateTime<Utc>) -> Result<Ask, RequestError> {
    let Some(offered) = offered else { return Ok(*asked) };
    let (a, o) = (asked.amount, offered.amount);
    if o.cost > a.cost || o.tokens > a.tokens || o.operations > a.operations {
        return Err(RequestError::MoreThanAsked);
    }
    if let (Some(asked_until), Some(offered_until)) = (asked.until, offered.until) {
        if offered_until > asked_until {
            return Err(RequestError::MoreThanAsked);
        }
    }
    let granted = Ask { amount: o, until: offered.until.or(asked.until) };
    validate(kind, &granted, now)?;
    Ok(granted)
}

/// One approver, or two distinct ones when the cost asked is above the budget's threshold.
pub fn approvals_needed(two_approvers_above: Option<Decimal>, asked: &Ask) -> usize {
    match two_approvers_above {
        Some(threshold) if asked.amount.cost > threshold => 2,
        _ => 1,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Pending { approvals: usize, needed: usize },
    Approved(Ask),
    Rejected,
}

/// The state of a request from its decisions: any rejection rejects; enough approvals approve with
/// the smallest grant of each amount and the earliest end.
pub fn verdict(needed: usize, approvals: &[Ask], rejected: bool) -> Verdict {
    if rejected {
        return Verdict::Rejected;
    }
    if approvals.len() < needed {
        return Verdict::Pending { approvals: approvals.len(), needed };
    }
    let least = approvals
        .iter()
        .copied()
        .reduce(|x, y| Ask {
            amount: Usage {
                cost: x.amount.cost.min(y.amount.cost),
                tokens: x.amount.tokens.min(y.amount.tokens),
                operations: x.amount.operations.min(y.amount.operations),
            },
            until: match (x.until, y.until) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        })
        .expect("at least one approval");
    Verdict::Approved(least)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rust_decimal_macros::dec;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 18, 10, 0, 0).unwrap()
    }

    fn ask(cost: Decimal, hours: Option<i64>) -> Ask {
        let amount = Usage { cost, tokens: Decimal::ZERO, operations: Decimal::ZERO };
        Ask { amount, until: hours.map(|h| now() + Duration::hours(h)) }
    }

    #[test]
    fn asks_need_a_positive_amount_and_a_sensible_end() {
        assert_eq!(validate(RequestKind::Override, &ask(dec!(10), Some(24)), now()), Ok(()));
        assert_eq!(validate(RequestKind::Override, &ask(dec!(0), Some(24)), now()), Err(RequestError::NoAmount));
        assert_eq!(validate(RequestKind::Override, &ask(dec!(-1), Some(24)), now()), Err(RequestError::NoAmount));
        assert_eq!(validate(RequestKind::Override, &ask(dec!(10), None), now()), Err(RequestError::BadUntil));
        assert_eq!(validate(RequestKind::Override, &ask(dec!(10), Some(-1)), now()), Err(RequestError::BadUntil));
        assert_eq!(validate(RequestKind::Override, &ask(dec!(10), Some(24 * 91)), now()), Err(RequestError::BadUntil));
        assert_eq!(validate(RequestKind::Increase, &ask(dec!(10), None), now()), Ok(()));
        assert_eq!(validate(RequestKind::Increase, &ask(dec!(10), Some(1)), now()), Err(RequestError::UntilOnIncrease));
    }

    #[test]
    fn approvers_may_grant_less_but_never_more() {
        let asked = ask(dec!(100), Some(48));
        let kind = RequestKind::Override;
        assert_eq!(grant(kind, &asked, None, now()), Ok(asked));
        assert_eq!(grant(kind, &asked, Some(ask(dec!(40), Some(24))), now()), Ok(ask(dec!(40), Some(24))));
        assert_eq!(grant(kind, &asked, Some(ask(dec!(101), Some(24))), now()), Err(RequestError::MoreThanAsked));
        assert_eq!(grant(kind, &asked, Some(ask(dec!(50), Some(72))), now()), Err(RequestError::MoreThanAsked));
        assert_eq!(grant(kind, &asked, Some(ask(dec!(0), Some(24))), now()), Err(RequestError::NoAmount));
    }

    #[test]
    fn large_asks_need_two_approvers_and_get_the_smaller_grant() {
        assert_eq!(approvals_needed(None, &ask(dec!(1000000), None)), 1);
        assert_eq!(approvals_needed(Some(dec!(500)), &ask(dec!(500), None)), 1);
        assert_eq!(approvals_needed(Some(dec!(500)), &ask(dec!(500.01), None)), 2);
        let first = ask(dec!(800), Some(48));
        assert_eq!(verdict(2, &[first], false), Verdict::Pending { approvals: 1, needed: 2 });
        assert_eq!(verdict(2, &[first, ask(dec!(600), Some(72))], false), Verdict::Approved(ask(dec!(600), Some(48))));
        assert_eq!(verdict(2, &[first, first], true), Verdict::Rejected);
    }
}
