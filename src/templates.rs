//! Budget templates: reusable limits, period and enforcement, with Tollgate's built-in starting points.

use crate::limits::{EnforcementMode, Limit, LimitKind};
use crate::period::Period;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Everything a template fixes about a budget; scope, category and name come from where it is applied,
/// and what it leaves open (enforcement, thresholds) comes from the resolved preferences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateSpec {
    pub period: Period,
    #[serde(default)]
    pub cost_soft: Option<Decimal>,
    #[serde(default)]
    pub cost_hard: Option<Decimal>,
    #[serde(default)]
    pub tokens_soft: Option<i64>,
    #[serde(default)]
    pub tokens_hard: Option<i64>,
    #[serde(default)]
    pub operations_soft: Option<i64>,
    #[serde(default)]
    pub operations_hard: Option<i64>,
    #[serde(default)]
    pub enforcement: Option<EnforcementMode>,
    #[serde(default)]
    pub grace_minutes: Option<u32>,
    #[serde(default)]
    pub reserve_cost: Decimal,
    #[serde(default)]
    pub thresholds: Option<Vec<u32>>,
}

impl TemplateSpec {
    /// Checks the limits the way a budget would: at least one, each hard level positive, soft below hard.
    pub fn check(&self) -> Result<(), String> {
        let limits = [
            (LimitKind::Cost, self.cost_soft, self.cost_hard),
            (LimitKind::Tokens, self.tokens_soft.map(Decimal::from), self.tokens_hard.map(Decimal::from)),
            (LimitKind::Operations, self.operations_soft.map(Decimal::from), self.operations_hard.map(Decimal::from)),
        ];
        let mut any = false;
        for (kind, soft, hard) in limits {
            match (soft, hard) {
                (_, Some(hard)) => {
                    Limit::new(kind, soft, hard).map_err(|e| e.to_string())?;
                    any = true;
                }
                (Some(_), None) => return Err(format!("a soft {kind} level needs a hard {kind} level")),
                (None, None) => {}
            }
        }
        if !any {
            return Err("a template needs at least one hard limit (cost, tokens or operations)".into());
        }
        if self.reserve_cost < Decimal::ZERO {
            return Err("the emergency reserve must not be negative".into());
        }
        Ok(())
    }
}

/// A template shipped with Tollgate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltIn {
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub spec: TemplateSpec,
}

fn money(units: i64) -> Option<Decimal> {
    Some(Decimal::from(units))
}

/// The built-in templates, in the order they are offered.
pub fn built_ins() -> Vec<BuiltIn> {
    vec![
        BuiltIn {
            key: "starter-team",
            name: "Starter team",
            description: "A monthly cost budget for a team getting started: warns at 400, stops at 500.",
            spec: TemplateSpec {
                period: Period::Monthly,
                cost_soft: money(400),
                cost_hard: money(500),
                tokens_soft: None,
                tokens_hard: None,
                operations_soft: None,
                operations_hard: None,
                enforcement: None,
                grace_minutes: None,
                reserve_cost: Decimal::ZERO,
                thresholds: None,
            },
        },
        BuiltIn {
            key: "production-service",
            name: "Production service",
            description: "A monthly budget for a live service: stops at 2,000 after two hours' grace, \
                          with a 200 emergency reserve for critical calls and an alert at 100 %.",
            spec: TemplateSpec {
                period: Period::Monthly,
                cost_soft: money(1600),
                cost_hard: money(2000),
                tokens_soft: None,
                tokens_hard: None,
                operations_soft: None,
                operations_hard: None,
                enforcement: Some(EnforcementMode::HardStop),
                grace_minutes: Some(120),
                reserve_cost: Decimal::from(200),
                thresholds: Some(vec![50, 75, 90, 100]),
            },
        },
        BuiltIn {
            key: "experimentation",
            name: "Experimentation",
            description: "A small weekly budget for trying things out: 50 in cost and 5 million tokens, hard stop.",
            spec: TemplateSpec {
                period: Period::Weekly,
                cost_soft: money(40),
                cost_hard: money(50),
                tokens_soft: None,
                tokens_hard: Some(5_000_000),
                operations_soft: None,
                operations_hard: None,
                enforcement: Some(EnforcementMode::HardStop),
                grace_minutes: Some(0),
                reserve_cost: Decimal::ZERO,
                thresholds: None,
            },
        },
    ]
}

pub fn built_in(key: &str) -> Option<BuiltIn> {
    built_ins().into_iter().find(|t| t.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_ins_are_valid_and_distinct() {
        let all = built_ins();
        assert_eq!(
            all.iter().map(|t| t.name).collect::<Vec<_>>(),
            ["Starter team", "Production service", "Experimentation"]
        );
        for t in &all {
            t.spec.check().unwrap_or_else(|e| panic!("{}: {e}", t.name));
            assert_eq!(built_in(t.key).as_ref(), Some(t));
        }
    }

    #[test]
    fn check_explains_what_is_wrong() {
        let mut spec = built_in("starter-team").unwrap().spec;
        spec.cost_soft = Some(Decimal::from(600));
        assert!(spec.check().unwrap_err().contains("soft cost"));
        spec.cost_soft = None;
        spec.cost_hard = None;
        assert!(spec.check().unwrap_err().contains("at least one hard limit"));
        spec.tokens_soft = Some(5);
        assert!(spec.check().unwrap_err().contains("needs a hard tokens level"));
    }
}
