//! Alert thresholds: which percentages of a hard level a change in usage crosses.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// Default alert thresholds, in percent of the hard level.
pub const DEFAULT_THRESHOLDS: [u32; 4] = [50, 75, 90, 100];

/// The thresholds (in percent of `hard`) crossed when usage moves from `before` to `after`.
/// A threshold is crossed when usage reaches it: `before < level <= after`.
pub fn crossed(before: Decimal, after: Decimal, hard: Decimal, thresholds: &[u32]) -> Vec<u32> {
    if hard <= Decimal::ZERO || after <= before {
        return Vec::new();
    }
    let mut hit: Vec<u32> = thresholds
        .iter()
        .copied()
        .filter(|pct| {
            let level = hard * Decimal::from(*pct) / Decimal::ONE_HUNDRED;
            before < level && level <= after
        })
        .collect();
    hit.sort_unstable();
    hit.dedup();
    hit
}

/// The levels a limit alerts at, in percent of its hard level: the budget's thresholds, and always
/// the hard level (100) and the soft level (`soft`, rounded up to a whole percent so that its alert
/// never comes before the level is reached), each once.
pub fn alert_levels(thresholds: &[u32], soft: Option<Decimal>, hard: Decimal) -> Vec<u32> {
    let soft_pct = soft
        .filter(|_| hard > Decimal::ZERO)
        .and_then(|soft| (soft * Decimal::ONE_HUNDRED / hard).ceil().to_u32())
        .filter(|pct| (1..100).contains(pct));
    let mut levels: Vec<u32> = thresholds.iter().copied().chain([100]).chain(soft_pct).collect();
    levels.sort_unstable();
    levels.dedup();
    levels
}

/// Parses a list such as "50, 75, 90" into sorted, distinct percentages between 1 and 1000.
pub fn parse_thresholds(text: &str) -> Result<Vec<u32>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let pct: u32 = part.trim_end_matches('%').parse().map_err(|_| format!("'{part}' is not a whole percentage"))?;
        if !(1..=1000).contains(&pct) {
            return Err(format!("threshold {pct}% must be between 1% and 1000%"));
        }
        out.push(pct);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[test]
    fn crossing_is_reaching_a_level() {
        let t = DEFAULT_THRESHOLDS;
        assert_eq!(crossed(dec!(0), dec!(49.99), dec!(100), &t), Vec::<u32>::new());
        assert_eq!(crossed(dec!(0), dec!(50), dec!(100), &t), vec![50]);
        assert_eq!(crossed(dec!(50), dec!(95), dec!(100), &t), vec![75, 90]);
        assert_eq!(crossed(dec!(95), dec!(300), dec!(100), &t), vec![100]);
        assert_eq!(crossed(dec!(95), dec!(90), dec!(100), &t), Vec::<u32>::new());
    }

    #[test]
    fn the_hard_and_soft_levels_always_alert() {
        assert_eq!(alert_levels(&[50, 75, 90], None, dec!(100)), vec![50, 75, 90, 100]);
        assert_eq!(alert_levels(&[50, 75, 90], Some(dec!(80)), dec!(100)), vec![50, 75, 80, 90, 100]);
        assert_eq!(
            alert_levels(&[50, 100], Some(dec!(33.3)), dec!(100)),
            vec![34, 50, 100],
            "never before the soft level"
        );
        assert_eq!(alert_levels(&[], Some(dec!(7.5)), dec!(10)), vec![75, 100]);
        assert_eq!(alert_levels(&[120], Some(dec!(0)), dec!(10)), vec![100, 120]);
    }

    #[test]
    fn thresholds_parse_and_normalise() {
        assert_eq!(parse_thresholds("90, 50,75%, 50").unwrap(), vec![50, 75, 90]);
        assert!(parse_thresholds("0").is_err());
        assert!(parse_thresholds("half").is_err());
        assert_eq!(parse_thresholds("").unwrap(), Vec::<u32>::new());
    }

    proptest! {
        /// However usage is split into steps, each threshold is crossed exactly once on the way up.
        #[test]
        fn steps_cross_each_threshold_once(steps in prop::collection::vec(0_u32..40, 1..50)) {
            let mut seen = Vec::new();
            let mut used = Decimal::ZERO;
            for step in steps {
                let next = used + Decimal::from(step);
                seen.extend(crossed(used, next, dec!(100), &DEFAULT_THRESHOLDS));
                used = next;
            }
            let expected: Vec<u32> = DEFAULT_THRESHOLDS.iter().copied()
                .filter(|p| Decimal::from(*p) <= used).collect();
            prop_assert_eq!(seen, expected);
        }
    }
}
