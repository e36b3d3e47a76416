//! Loads the enabled budgets that apply to an operation chain and converts them to domain rules.

use crate::backend::engine::EngineError;
use crate::backend::entities::budget;
use chrono::Duration;
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use tollgate_domain::money::from_storage;
use tollgate_domain::{
    BudgetRules, BudgetScope, EnforcementMode, Limit, LimitKind, OperationChain, Period, ScopeKind, Usage,
};

#[derive(Debug, Clone)]
pub struct ApplicableBudget {
    pub model: budget::Model,
    pub scope: BudgetScope,
    pub period: Period,
    pub rules: BudgetRules,
}

/// Every enabled budget on the chain whose category matches, in budget-id order (the lock order).
pub async fn applicable(
    db: &impl ConnectionTrait,
    chain: &OperationChain,
) -> Result<Vec<ApplicableBudget>, EngineError> {
    let on_chain = ScopeKind::ALL.iter().fold(Condition::any(), |any, kind| {
        any.add(
            Condition::all()
                .add(budget::Column::ScopeKind.eq(kind.as_str()))
                .add(budget::Column::ScopeId.eq(chain.id_of(*kind))),
        )
    });
    let rows = budget::Entity::find()
        .filter(budget::Column::OrgId.eq(chain.organization))
        .filter(budget::Column::State.eq("enabled"))
        .filter(on_chain)
        .filter(
            Condition::any()
                .add(budget::Column::CategoryId.is_null())
                .add(budget::Column::CategoryId.eq(chain.category)),
        )
        .order_by_asc(budget::Column::Id)
        .all(db)
        .await?;
    rows.into_iter().map(to_domain).filter(|b| b.as_ref().map_or(true, |b| b.scope.applies_to(chain))).collect()
}

pub fn to_domain(model: budget::Model) -> Result<ApplicableBudget, EngineError> {
    let corrupt = |what: String| EngineError::InvalidInput(format!("budget {} has {what}", model.id));
    let kind: ScopeKind = model.scope_kind.parse().map_err(corrupt)?;
    let period: Period =
        model.period.parse().map_err(|e: tollgate_domain::period::UnknownPeriod| corrupt(e.to_string()))?;
    let mode: EnforcementMode = model.enforcement.parse().map_err(corrupt)?;
    let mut limits = Vec::new();
    let levels = [
        (LimitKind::Cost, model.cost_soft.map(from_storage), model.cost_hard.map(from_storage)),
        (LimitKind::Tokens, model.tokens_soft.map(Decimal::from), model.tokens_hard.map(Decimal::from)),
        (LimitKind::Operations, model.operations_soft.map(Decimal::from), model.operations_hard.map(Decimal::from)),
    ];
    for (limit_kind, soft, hard) in levels {
        if let Some(hard) = hard {
            limits.push(Limit::new(limit_kind, soft, hard).map_err(|e| corrupt(e.to_string()))?);
        }
    }
    let rules = BudgetRules {
        budget_id: model.id,
        limits,
        mode,
        grace: Duration::minutes(i64::from(model.grace_minutes)),
        emergency_reserve: Usage {
            cost: from_storage(model.reserve_cost),
            tokens: Decimal::from(model.reserve_tokens),
            operations: Decimal::from(model.reserve_operations),
        },
    };
    Ok(ApplicableBudget {
        scope: BudgetScope { kind, id: model.scope_id, category: model.category_id },
        period,
        rules,
        model,
    })
}
