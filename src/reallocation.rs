//! Moving unused allowance of the current window between sibling budgets: what may be moved, and when it needs an approver.

use rust_decimal::Decimal;

/// One budget's cost in the current window: its allowance (hard level plus overrides) and what is
/// spent or reserved against it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Allowance {
    pub allowed: Decimal,
    pub used: Decimal,
}

impl Allowance {
    pub fn unused(&self) -> Decimal {
        (self.allowed - self.used).max(Decimal::ZERO)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReallocationError {
    #[error("move a positive amount")]
    NotPositive,
    #[error("only {unused} of the source budget is unused in this window")]
    MoreThanUnused { unused: Decimal },
    #[error("the target would be allowed more than its parent budget ({parent}); at most {room} can be moved")]
    BeyondParent { parent: Decimal, room: Decimal },
}

/// Checks a move of `amount` from `source` to `target`; `parent` is the allowance of the budget
/// both belong to (their team's or the organization's), if there is one.
pub fn check(
    amount: Decimal,
    source: Allowance,
    target: Allowance,
    parent: Option<Decimal>,
) -> Result<(), ReallocationError> {
    if amount <= Decimal::ZERO {
        return Err(ReallocationError::NotPositive);
    }
    if amount > source.unused() {
        return Err(ReallocationError::MoreThanUnused { unused: source.unused() });
    }
    if let Some(parent) = parent {
        if target.allowed + amount > parent {
            let room = (parent - target.allowed).max(Decimal::ZERO);
            return Err(ReallocationError::BeyondParent { parent, room });
        }
    }
    Ok(())
}

/// Moves above the organization's free amount wait for an approver; without one, none do.
pub fn needs_approval(amount: Decimal, free_up_to: Option<Decimal>) -> bool {
    free_up_to.is_some_and(|free| amount > free)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const SOURCE: Allowance = Allowance { allowed: dec!(100), used: dec!(60) };
    const TARGET: Allowance = Allowance { allowed: dec!(100), used: dec!(95) };

    #[test]
    fn only_unused_allowance_moves() {
        assert_eq!(check(dec!(40), SOURCE, TARGET, None), Ok(()));
        assert_eq!(
            check(dec!(40.01), SOURCE, TARGET, None),
            Err(ReallocationError::MoreThanUnused { unused: dec!(40) })
        );
        assert_eq!(check(dec!(0), SOURCE, TARGET, None), Err(ReallocationError::NotPositive));
        assert_eq!(check(dec!(-5), SOURCE, TARGET, None), Err(ReallocationError::NotPositive));
        let overspent = Allowance { allowed: dec!(100), used: dec!(120) };
        assert_eq!(overspent.unused(), dec!(0));
    }

    #[test]
    fn never_beyond_the_parent() {
        assert_eq!(check(dec!(30), SOURCE, TARGET, Some(dec!(130))), Ok(()));
        assert_eq!(
            check(dec!(31), SOURCE, TARGET, Some(dec!(130))),
            Err(ReallocationError::BeyondParent { parent: dec!(130), room: dec!(30) })
        );
    }

    #[test]
    fn approval_above_the_free_amount() {
        assert!(!needs_approval(dec!(1000), None));
        assert!(!needs_approval(dec!(50), Some(dec!(50))));
        assert!(needs_approval(dec!(50.01), Some(dec!(50))));
    }
}
