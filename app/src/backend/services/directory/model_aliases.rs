//! Model aliases an admin defines: a name services send that a catalog entry prices
//! (`chat-default` → `gpt-4o`). Resolution tries an alias right after the name itself.

use super::{audit, check_name, invalid, taken, Change};
use crate::backend::engine::{begin_write, EngineError};
use crate::backend::entities::{model_alias, price};
use crate::backend::services::ServiceError;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelAliasInput {
    /// The name as services send it.
    pub alias: String,
    /// The catalog entry that prices it.
    pub model: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ModelAliasView {
    pub id: Uuid,
    pub alias: String,
    pub model: String,
}

pub async fn model_aliases(db: &impl ConnectionTrait, org_id: Uuid) -> Result<Vec<ModelAliasView>, EngineError> {
    let rows = model_alias::Entity::find()
        .filter(model_alias::Column::OrgId.eq(org_id))
        .order_by_asc(model_alias::Column::Alias)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|a| ModelAliasView { id: a.id, alias: a.alias, model: a.model }).collect())
}

/// Adds an alias of a catalog entry, in one write transaction, audited.
pub async fn add_model_alias(
    db: &DatabaseConnection,
    org_id: Uuid,
    input: ModelAliasInput,
    change: Change<'_>,
) -> Result<ModelAliasView, ServiceError> {
    let alias = check_name(&input.alias, "alias")?;
    let model = check_name(&input.model, "model")?;
    if alias == model {
        return Err(invalid(format!("'{alias}' is already the catalog's name; an alias names it differently")).into());
    }
    let txn = begin_write(db).await?;
    let listed = price::Entity::find()
        .filter(price::Column::OrgId.eq(org_id))
        .filter(price::Column::Model.eq(&model))
        .count(&txn);
    if listed.await? == 0 {
        return Err(invalid(format!("the catalog has no model '{model}': add its price first")).into());
    }
    let view = ModelAliasView { id: Uuid::now_v7(), alias, model };
    let row = model_alias::ActiveModel {
        id: Set(view.id),
        org_id: Set(org_id),
        alias: Set(view.alias.clone()),
        model: Set(view.model.clone()),
        created_at: Set(change.now),
    };
    row.insert(&txn).await.map_err(|e| taken(e, format!("an alias '{}'", view.alias)))?;
    audit(&txn, org_id, "model_alias_added", &view, change).await?;
    txn.commit().await?;
    Ok(view)
}

/// Removes an alias; usage already recorded keeps the entry that priced it. False when none.
pub async fn remove_model_alias(
    db: &DatabaseConnection,
    org_id: Uuid,
    id: Uuid,
    change: Change<'_>,
) -> Result<bool, ServiceError> {
    let txn = begin_write(db).await?;
    let Some(found) = model_alias::Entity::find_by_id(id).one(&txn).await?.filter(|a| a.org_id == org_id) else {
        return Ok(false);
    };
    let view = ModelAliasView { id: found.id, alias: found.alias.clone(), model: found.model.clone() };
    model_alias::Entity::delete_by_id(id).exec(&txn).await?;
    audit(&txn, org_id, "model_alias_removed", &view, change).await?;
    txn.commit().await?;
    Ok(true)
}
