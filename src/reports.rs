//! Report arithmetic: variance against a limit, moving averages, period-over-period change,
//! shared-cost attribution and return on investment.

use rust_decimal::Decimal;

const HUNDRED: Decimal = Decimal::ONE_HUNDRED;

/// Actual against a limit. A positive variance means over the limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Variance {
    pub limit: Decimal,
    pub actual: Decimal,
    /// actual − limit
    pub amount: Decimal,
    /// amount as a percentage of the limit; none for a zero limit.
    pub percent: Option<Decimal>,
}

impl Variance {
    pub fn of(limit: Decimal, actual: Decimal) -> Self {
        let amount = actual - limit;
        let percent = (!limit.is_zero()).then(|| (amount * HUNDRED / limit).round_dp(1));
        Variance { limit, actual, amount, percent }
    }

    pub fn is_over(&self) -> bool {
        self.amount > Decimal::ZERO
    }
}

/// Trailing moving average of `width` points; none until `width` points exist.
pub fn moving_average(values: &[Decimal], width: usize) -> Vec<Option<Decimal>> {
    if width == 0 {
        return vec![None; values.len()];
    }
    let divisor = Decimal::from(width as u64);
    let mut sum = Decimal::ZERO;
    values
        .iter()
        .enumerate()
        .map(|(i, value)| {
            sum += value;
            if i >= width {
                sum -= values[i - width];
            }
            (i + 1 >= width).then(|| (sum / divisor).round_dp(4))
        })
        .collect()
}

/// A total compared with the same-length period before it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Change {
    pub current: Decimal,
    pub previous: Decimal,
    pub amount: Decimal,
    /// none when the previous period had nothing (growth from zero has no percentage).
    pub percent: Option<Decimal>,
}

impl Change {
    pub fn between(previous: Decimal, current: Decimal) -> Self {
        let amount = current - previous;
        let percent = (!previous.is_zero()).then(|| (amount * HUNDRED / previous).round_dp(1));
        Change { current, previous, amount, percent }
    }
}

/// Splits a shared amount across consumers in proportion to their weights (usage, or a fixed
/// split). Shares are rounded to `dp` places and the rounding remainder goes to the largest
/// consumer, so the shares always add up to the amount exactly. No weight, no attribution.
pub fn attribute<K: Clone>(amount: Decimal, weights: &[(K, Decimal)], dp: u32) -> Vec<(K, Decimal)> {
    let total: Decimal = weights.iter().map(|(_, w)| (*w).max(Decimal::ZERO)).sum();
    if total.is_zero() {
        return Vec::new();
    }
    let mut shares: Vec<(K, Decimal)> = weights
        .iter()
        .map(|(key, weight)| (key.clone(), (amount * (*weight).max(Decimal::ZERO) / total).round_dp(dp)))
        .collect();
    let remainder = amount - shares.iter().map(|(_, s)| *s).sum::<Decimal>();
    // On a tie the first of the largest takes it, so the result does not depend on iteration quirks.
    if let Some(largest) = (0..weights.len()).max_by(|&a, &b| weights[a].1.cmp(&weights[b].1).then(b.cmp(&a))) {
        shares[largest].1 += remainder;
    }
    shares
}

/// A shared project's spend and who it is attributed to: in proportion to the consumers' own
/// spend (`by_usage`), or by the fixed weights given.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedSplit<K> {
    pub shared: K,
    pub by_usage: bool,
    pub consumers: Vec<(K, Decimal)>,
}

/// How attribution changes each key's cost: a shared project gives its whole cost away, its
/// consumers receive shares (to the cent, adding up exactly). Costs are those recorded, so a
/// consumer that is itself shared passes on only what it recorded. A split with nothing to weigh
/// by (no consumer spent anything) leaves the cost where it was.
pub fn attribute_shared<K: Clone + Eq + std::hash::Hash>(
    costs: &std::collections::HashMap<K, Decimal>,
    splits: &[SharedSplit<K>],
) -> std::collections::HashMap<K, Decimal> {
    let mut change: std::collections::HashMap<K, Decimal> = std::collections::HashMap::new();
    for split in splits {
        let amount = costs.get(&split.shared).copied().unwrap_or_default();
        let weights: Vec<(K, Decimal)> = split
            .consumers
            .iter()
            .filter(|(k, _)| *k != split.shared)
            .map(|(k, w)| (k.clone(), if split.by_usage { costs.get(k).copied().unwrap_or_default() } else { *w }))
            .collect();
        let shares = attribute(amount, &weights, 2);
        if amount.is_zero() || shares.is_empty() {
            continue;
        }
        *change.entry(split.shared.clone()).or_default() -= amount;
        for (k, share) in shares {
            *change.entry(k).or_default() += share;
        }
    }
    change
}

/// (value − cost) / cost as a percentage; none when nothing was spent.
pub fn roi_percent(cost: Decimal, value: Decimal) -> Option<Decimal> {
    (!cost.is_zero()).then(|| ((value - cost) * HUNDRED / cost).round_dp(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[test]
    fn variance_is_signed_and_relative_to_the_limit() {
        let over = Variance::of(dec!(200), dec!(230));
        assert_eq!((over.amount, over.percent, over.is_over()), (dec!(30), Some(dec!(15.0)), true));
        let under = Variance::of(dec!(200), dec!(150));
        assert_eq!((under.amount, under.percent, under.is_over()), (dec!(-50), Some(dec!(-25.0)), false));
        assert_eq!(Variance::of(dec!(0), dec!(5)).percent, None);
    }

    #[test]
    fn moving_average_starts_once_the_window_is_full() {
        let values = [dec!(1), dec!(2), dec!(3), dec!(4), dec!(10)];
        assert_eq!(moving_average(&values, 3), vec![None, None, Some(dec!(2)), Some(dec!(3)), Some(dec!(5.6667))]);
        assert_eq!(moving_average(&values, 1)[4], Some(dec!(10)));
    }

    #[test]
    fn change_from_zero_has_no_percentage() {
        assert_eq!(Change::between(dec!(80), dec!(100)).percent, Some(dec!(25.0)));
        assert_eq!(Change::between(dec!(100), dec!(80)).amount, dec!(-20));
        assert_eq!(Change::between(dec!(0), dec!(3)).percent, None);
    }

    #[test]
    fn shared_costs_follow_usage_and_the_remainder_goes_to_the_largest_user() {
        let shares = attribute(dec!(100), &[("a", dec!(1)), ("b", dec!(1)), ("c", dec!(1))], 2);
        assert_eq!(shares, vec![("a", dec!(33.34)), ("b", dec!(33.33)), ("c", dec!(33.33))]);
        let split = attribute(dec!(90), &[("a", dec!(70)), ("b", dec!(20)), ("c", dec!(0))], 2);
        assert_eq!(split, vec![("a", dec!(70)), ("b", dec!(20)), ("c", dec!(0))]);
        assert!(attribute(dec!(10), &[("a", dec!(0))], 2).is_empty());
    }

    #[test]
    fn roi_relates_value_to_cost() {
        assert_eq!(roi_percent(dec!(200), dec!(500)), Some(dec!(150.0)));
        assert_eq!(roi_percent(dec!(200), dec!(100)), Some(dec!(-50.0)));
        assert_eq!(roi_percent(dec!(0), dec!(100)), None);
    }

    #[test]
    fn shared_spend_moves_to_its_consumers_by_usage_or_fixed_split() {
        let costs: std::collections::HashMap<&str, Decimal> =
            [("platform", dec!(100)), ("a", dec!(30)), ("b", dec!(10)), ("c", dec!(0))].into();
        let by_usage = SharedSplit {
            shared: "platform",
            by_usage: true,
            consumers: vec![("a", dec!(1)), ("b", dec!(1)), ("c", dec!(1))],
        };
        let change = attribute_shared(&costs, &[by_usage]);
        assert_eq!(
            (change["platform"], change["a"], change["b"], change["c"]),
            (dec!(-100), dec!(75), dec!(25), dec!(0))
        );
        let fixed =
            SharedSplit { shared: "platform", by_usage: false, consumers: vec![("a", dec!(1)), ("c", dec!(3))] };
        let change = attribute_shared(&costs, &[fixed]);
        assert_eq!((change["a"], change["c"]), (dec!(25), dec!(75)));
        let idle = SharedSplit { shared: "platform", by_usage: true, consumers: vec![("c", dec!(1))] };
        assert!(attribute_shared(&costs, &[idle]).is_empty(), "no usage to weigh by: nothing moves");
    }

    proptest! {
        #[test]
        fn attributed_shares_always_add_up(cents in 0i64..10_000_000, weights in prop::collection::vec(0i64..1_000, 1..8)) {
            let amount = Decimal::new(cents, 2);
            let weights: Vec<(usize, Decimal)> = weights.into_iter().map(Decimal::from).enumerate().collect();
            let shares = attribute(amount, &weights, 2);
            if weights.iter().any(|(_, w)| !w.is_zero()) {
                prop_assert_eq!(shares.iter().map(|(_, s)| *s).sum::<Decimal>(), amount);
            } else {
                prop_assert!(shares.is_empty());
            }
        }
    }
}
