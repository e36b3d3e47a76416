//! Unit and property tests of the enforcement rules.

use super::*;
use crate::limits::LimitKind;
use chrono::TimeZone;
use proptest::prelude::*;
use rust_decimal_macros::dec;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap()
}

fn cost_budget(mode: EnforcementMode, grace_minutes: i64, reserve: Decimal) -> BudgetRules {
    BudgetRules {
        budget_id: Uuid::nil(),
        limits: vec![Limit::new(LimitKind::Cost, Some(dec!(80)), dec!(100)).unwrap()],
        mode,
        grace: Duration::minutes(grace_minutes),
        emergency_reserve: Usage { cost: reserve, ..Usage::ZERO },
    }
}

fn spent(cost: Decimal) -> WindowUsage {
    WindowUsage { spent: Usage { cost, ..Usage::ZERO }, ..WindowUsage::default() }
}

fn ask(cost: Decimal, critical: bool) -> CheckRequest {
    CheckRequest { amount: Usage { cost, ..Usage::ZERO }, critical, now: now() }
}

#[test]
fn allows_within_warns_past_soft_denies_past_hard() {
    let rules = cost_budget(EnforcementMode::HardStop, 0, Decimal::ZERO);
    assert_eq!(evaluate(&rules, &spent(dec!(10)), &ask(dec!(5), false)).decision, Decision::Allow);
    let warn = evaluate(&rules, &spent(dec!(75)), &ask(dec!(10), false));
    assert_eq!((warn.decision, warn.status_after), (Decision::Warn, Status::ApproachingLimit));
    assert_eq!(evaluate(&rules, &spent(dec!(90)), &ask(dec!(10), false)).decision, Decision::Warn);
    let deny = evaluate(&rules, &spent(dec!(90)), &ask(dec!(10.01), false));
    assert_eq!(deny.decision, Decision::Deny);
    assert!(deny.reasons[0].contains("would exceed the hard limit of 100"), "{:?}", deny.reasons);
}

#[test]
fn reservations_count_like_spend() {
    let rules = cost_budget(EnforcementMode::HardStop, 0, Decimal::ZERO);
    let window = WindowUsage { reserved: Usage { cost: dec!(95), ..Usage::ZERO }, ..WindowUsage::default() };
    assert_eq!(evaluate(&rules, &window, &ask(dec!(6), false)).decision, Decision::Deny);
}

#[test]
fn overrides_extend_the_hard_level() {
    let rules = cost_budget(EnforcementMode::HardStop, 0, Decimal::ZERO);
    let mut window = spent(dec!(100));
    window.overrides.cost = dec!(20);
    assert_eq!(evaluate(&rules, &window, &ask(dec!(20), false)).decision, Decision::Warn);
    assert_eq!(evaluate(&rules, &window, &ask(dec!(21), false)).decision, Decision::Deny);
}

#[test]
fn soft_warning_mode_never_denies() {
    let rules = cost_budget(EnforcementMode::SoftWarning, 0, Decimal::ZERO);
    let v = evaluate(&rules, &spent(dec!(500)), &ask(dec!(50), false));
    assert_eq!((v.decision, v.status_after), (Decision::Warn, Status::OverBudget));
}

#[test]
fn grace_period_runs_from_the_first_crossing() {
    let rules = cost_budget(EnforcementMode::HardStop, 30, Decimal::ZERO);
    let first = evaluate(&rules, &spent(dec!(99)), &ask(dec!(5), false));
    assert_eq!(first.decision, Decision::Warn);
    assert!(first.crosses_hard);
    let mut window = spent(dec!(104));
    window.hard_crossed_at = Some(now() - Duration::minutes(29));
    let inside = evaluate(&rules, &window, &ask(dec!(5), false));
    assert_eq!(inside.decision, Decision::Warn);
    assert!(!inside.crosses_hard);
    window.hard_crossed_at = Some(now() - Duration::minutes(30));
    assert_eq!(evaluate(&rules, &window, &ask(dec!(5), false)).decision, Decision::Deny);
}

#[test]
fn only_critical_operations_use_the_emergency_reserve() {
    let rules = cost_budget(EnforcementMode::HardStop, 0, dec!(10));
    assert_eq!(evaluate(&rules, &spent(dec!(100)), &ask(dec!(5), false)).decision, Decision::Deny);
    let critical = evaluate(&rules, &spent(dec!(100)), &ask(dec!(5), true));
    assert_eq!(critical.decision, Decision::Warn);
    assert!(critical.uses_reserve);
    assert_eq!(evaluate(&rules, &spent(dec!(100)), &ask(dec!(11), true)).decision, Decision::Deny);
}

#[test]
fn every_limit_kind_is_enforced() {
    let mut rules = cost_budget(EnforcementMode::HardStop, 0, Decimal::ZERO);
    rules.limits.push(Limit::new(LimitKind::Tokens, None, dec!(1000)).unwrap());
    let request = CheckRequest { amount: Usage::new(dec!(1), 1001, 1), critical: false, now: now() };
    let v = evaluate(&rules, &WindowUsage::default(), &request);
    assert_eq!(v.decision, Decision::Deny);
    assert!(v.reasons.iter().any(|r| r.starts_with("tokens")));
}

#[test]
fn the_cascade_names_the_denying_budget() {
    let ok = evaluate(&cost_budget(EnforcementMode::HardStop, 0, Decimal::ZERO), &spent(dec!(1)), &ask(dec!(1), false));
    let mut tight = cost_budget(EnforcementMode::HardStop, 0, Decimal::ZERO);
    tight.budget_id = Uuid::from_u128(7);
    let denied = evaluate(&tight, &spent(dec!(100)), &ask(dec!(1), false));
    assert_eq!(combine(&[ok.clone(), denied]), (Decision::Deny, Some(Uuid::from_u128(7))));
    assert_eq!(combine(&[ok]), (Decision::Allow, None));
    assert_eq!(combine(&[]), (Decision::Allow, None));
}

proptest! {
    /// Admitted reservations never exceed hard + overrides + reserve (without grace or soft mode).
    #[test]
    fn admitted_total_never_exceeds_allowance(
        hard in 1_u32..10_000,
        override_extra in 0_u32..1_000,
        reserve in 0_u32..1_000,
        requests in prop::collection::vec((1_u32..500, any::<bool>()), 1..200),
    ) {
        let rules = BudgetRules {
            budget_id: Uuid::nil(),
            limits: vec![Limit::new(LimitKind::Cost, None, Decimal::from(hard)).unwrap()],
            mode: EnforcementMode::HardStop,
            grace: Duration::zero(),
            emergency_reserve: Usage { cost: Decimal::from(reserve), ..Usage::ZERO },
        };
        let mut window = WindowUsage { overrides: Usage { cost: Decimal::from(override_extra), ..Usage::ZERO }, ..WindowUsage::default() };
        for (amount, critical) in requests {
            let req = ask(Decimal::from(amount), critical);
            let v = evaluate(&rules, &window, &req);
            if v.decision != Decision::Deny {
                window.reserved = window.reserved + req.amount;
            }
            prop_assert!(window.reserved.cost <= Decimal::from(hard + override_extra + reserve));
            if !critical {
                prop_assert!(v.decision == Decision::Deny || window.reserved.cost <= Decimal::from(hard + override_extra));
            }
        }
    }
}
