//! Criterion benchmark of the pure enforcement decision over four applicable budgets.

use chrono::{Duration, TimeZone, Utc};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rust_decimal::Decimal;
use tollgate_domain::enforcement::combine;
use tollgate_domain::{evaluate, BudgetRules, CheckRequest, EnforcementMode, Limit, LimitKind, Usage, WindowUsage};
use uuid::Uuid;

fn four_budgets() -> Vec<(BudgetRules, WindowUsage)> {
    (0..4)
        .map(|i| {
            let rules = BudgetRules {
                budget_id: Uuid::from_u128(i),
                limits: vec![
                    Limit::new(LimitKind::Cost, Some(Decimal::new(800, 0)), Decimal::new(1000, 0)).unwrap(),
                    Limit::new(LimitKind::Tokens, None, Decimal::new(5_000_000, 0)).unwrap(),
                ],
                mode: EnforcementMode::HardStop,
                grace: Duration::minutes(15),
                emergency_reserve: Usage::ZERO,
            };
            let window =
                WindowUsage { spent: Usage::new(Decimal::new(4_205, 1), 2_000_000, 900), ..Default::default() };
            (rules, window)
        })
        .collect()
}

fn bench_decision(c: &mut Criterion) {
    let budgets = four_budgets();
    let request = CheckRequest {
        amount: Usage::new(Decimal::new(12, 3), 1500, 1),
        critical: false,
        now: Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap(),
    };
    c.bench_function("evaluate_4_budgets", |b| {
        b.iter(|| {
            let verdicts: Vec<_> = budgets.iter().map(|(r, w)| evaluate(r, w, black_box(&request))).collect();
            black_box(combine(&verdicts))
        })
    });
}

criterion_group!(benches, bench_decision);
criterion_main!(benches);
