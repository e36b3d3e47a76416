//! What-if replay: a window's real usage, in order, against a proposed budget — which alerts would
//! have fired and which operations would have been denied, decided by the engine's own rules.

use crate::enforcement::{evaluate, BudgetRules, CheckRequest, Decision, WindowUsage};
use crate::limits::{LimitKind, Usage};
use crate::thresholds::crossed;
use chrono::{DateTime, Utc};

/// One recorded operation, replayed as if its actual usage had been its estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplayEvent {
    pub at: DateTime<Utc>,
    pub usage: Usage,
}

/// Something the proposed budget would have done.
#[derive(Debug, Clone, PartialEq)]
pub enum Moment {
    /// Usage of one limit reached this percentage of its hard level.
    Alert { at: DateTime<Utc>, kind: LimitKind, threshold: u32 },
    /// The first operation that would have been denied.
    FirstDenial { at: DateTime<Utc>, reason: String },
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReplayOutcome {
    pub allowed: usize,
    /// Allowed with a warning (past the soft level, in grace, or `soft_warning` beyond hard).
    pub warned: usize,
    pub denied: usize,
    /// What the admitted operations would have spent.
    pub admitted: Usage,
    /// What the denied operations would have spent.
    pub refused: Usage,
    pub moments: Vec<Moment>,
}

/// Replays `events` (in time order) against `rules` with alert `thresholds`, from an empty window.
pub fn replay(rules: &BudgetRules, thresholds: &[u32], events: &[ReplayEvent]) -> ReplayOutcome {
    let mut window = WindowUsage::default();
    let mut outcome = ReplayOutcome::default();
    for event in events {
        let request = CheckRequest { amount: event.usage, critical: false, now: event.at };
        let verdict = evaluate(rules, &window, &request);
        if verdict.decision == Decision::Deny {
            if outcome.denied == 0 {
                outcome.moments.push(Moment::FirstDenial { at: event.at, reason: verdict.reasons.join("; ") });
            }
            outcome.denied += 1;
            outcome.refused = outcome.refused + event.usage;
            continue;
        }
        let before = window.spent;
        window.spent = window.spent + event.usage;
        if verdict.crosses_hard && window.hard_crossed_at.is_none() {
            window.hard_crossed_at = Some(event.at);
        }
        for limit in &rules.limits {
            for threshold in crossed(before.get(limit.kind), window.spent.get(limit.kind), limit.hard, thresholds) {
                outcome.moments.push(Moment::Alert { at: event.at, kind: limit.kind, threshold });
            }
        }
        match verdict.decision {
            Decision::Warn => outcome.warned += 1,
            _ => outcome.allowed += 1,
        }
        outcome.admitted = window.spent;
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{EnforcementMode, Limit};
    use chrono::{Duration, TimeZone};
    use rust_decimal::Decimal;
    use rust_decimal_macros::dec;
    use uuid::Uuid;

    fn rules(mode: EnforcementMode, grace_minutes: i64) -> BudgetRules {
        BudgetRules {
            budget_id: Uuid::nil(),
            limits: vec![Limit::new(LimitKind::Cost, Some(dec!(80)), dec!(100)).unwrap()],
            mode,
            grace: Duration::minutes(grace_minutes),
            emergency_reserve: Usage::default(),
        }
    }

    /// Ten operations of 15 each, ten minutes apart.
    fn events() -> Vec<ReplayEvent> {
        let start = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
        (0..10)
            .map(|i| ReplayEvent { at: start + Duration::minutes(10 * i), usage: Usage::new(dec!(15), 100, 1) })
            .collect()
    }

    #[test]
    fn hard_stop_denies_what_would_pass_the_hard_level() {
        let outcome = replay(&rules(EnforcementMode::HardStop, 0), &[50, 90], &events());
        // 6 × 15 = 90 fits, the seventh (105) would not; none after it either.
        assert_eq!((outcome.allowed + outcome.warned, outcome.denied), (6, 4));
        assert_eq!(outcome.warned, 1, "the sixth passes the soft level of 80");
        assert_eq!((outcome.admitted.cost, outcome.refused.cost), (dec!(90), dec!(60)));
        let start = events()[0].at;
        assert_eq!(
            outcome.moments[0],
            Moment::Alert { at: start + Duration::minutes(30), kind: LimitKind::Cost, threshold: 50 }
        );
        assert_eq!(
            outcome.moments[1],
            Moment::Alert { at: start + Duration::minutes(50), kind: LimitKind::Cost, threshold: 90 }
        );
        assert!(matches!(&outcome.moments[2], Moment::FirstDenial { at, .. } if *at == start + Duration::minutes(60)));
    }

    #[test]
    fn grace_admits_for_its_minutes_after_the_first_crossing() {
        // Crossing at 09:30 (105 > 100) with 25 minutes of grace: 09:30, :40, :50 pass; 10:00 on is denied.
        let mut r = rules(EnforcementMode::HardStop, 25);
        r.limits = vec![Limit::new(LimitKind::Cost, None, dec!(50)).unwrap()];
        let outcome = replay(&r, &[100], &events());
        assert_eq!((outcome.allowed, outcome.warned, outcome.denied), (3, 3, 4));
        assert_eq!(outcome.admitted.cost, dec!(90));
    }

    #[test]
    fn soft_warning_admits_everything_and_still_alerts() {
        let outcome = replay(&rules(EnforcementMode::SoftWarning, 0), &[100], &events());
        assert_eq!((outcome.denied, outcome.admitted.cost, outcome.refused.cost), (0, dec!(150), Decimal::ZERO));
        assert_eq!(outcome.moments.len(), 1, "one alert at 100 %, no denial");
    }
}
