//! Importing a price list into the catalog: what it would change, then, when asked, the change.

use super::{audit, Change};
use crate::backend::engine::{begin_write, EngineError};
use crate::backend::entities::price;
use crate::backend::services::ServiceError;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::Serialize;
use tollgate_domain::price_import::{self, ListedPrice, ProviderFilter, Summary};
use tollgate_domain::pricing::Price;
use uuid::Uuid;

/// A price list and how to import it.
pub struct PriceImport<'a> {
    /// The file's text: a JSON price map or Tollgate's CSV.
    pub text: &'a str,
    /// Which providers to take (`openai, anthropic`); empty takes all.
    pub providers: &'a str,
    /// When the new prices take effect; the moment of the import when none is given.
    pub effective_from: Option<DateTime<Utc>>,
    /// False: a dry run, which reports the plan and changes nothing.
    pub apply: bool,
}

/// Reads `import.text`, compares it with the prices in force from its date, and applies the new
/// and changed prices as catalog rows from that date when asked: all of them or, on any problem, none.
pub async fn import_prices(
    db: &DatabaseConnection,
    org_id: Uuid,
    import: PriceImport<'_>,
    change: Change<'_>,
) -> Result<Summary, ServiceError> {
    let list = price_import::read(import.text, &ProviderFilter::parse(import.providers))
        .map_err(|e| ServiceError::invalid(format!("this price list cannot be imported: {e}")))?;
    let from = import.effective_from.unwrap_or(change.now);
    let txn = begin_write(db).await?;
    let rows = price::Entity::find().filter(price::Column::OrgId.eq(org_id)).all(&txn).await?;
    let plan = price_import::plan(&list, &in_force(&rows, from)?);
    let summary =
        Summary { format: list.format, effective_from: from, applied: import.apply, plan, skipped: list.skipped };
    if !import.apply || summary.plan.to_add().next().is_none() {
        return Ok(summary);
    }
    // A row at this very instant would be changed in place, and prices never change after the fact.
    if let Some(clash) = summary.plan.changed.iter().find(|r| {
        rows.iter()
            .any(|row| row.provider == r.listed.provider && row.model == r.listed.model && row.effective_from == from)
    }) {
        return Err(ServiceError::invalid(format!(
            "{} has another price from {from} already; import from a later date",
            clash.listed.model
        )));
    }
    let added: Vec<_> = summary.plan.to_add().map(|p| new_row(org_id, p, from)).collect::<Result<_, _>>()?;
    // Chunks stay under SQLite's limit of variables per statement.
    for chunk in added.chunks(400) {
        price::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
    }
    audit(&txn, org_id, "prices_imported", &Audited::of(&summary), change).await?;
    txn.commit().await?;
    Ok(summary)
}

/// For each provider and model, the price in force at `at`.
fn in_force(rows: &[price::Model], at: DateTime<Utc>) -> Result<Vec<(String, String, Price)>, EngineError> {
    let mut latest: Vec<&price::Model> = Vec::new();
    for row in rows.iter().filter(|r| r.effective_from <= at) {
        match latest.iter_mut().find(|l| l.provider == row.provider && l.model == row.model) {
            Some(l) if l.effective_from < row.effective_from => *l = row,
            Some(_) => {}
            None => latest.push(row),
        }
    }
    latest.into_iter().map(|r| Ok((r.provider.clone(), r.model.clone(), r.price()?))).collect()
}

fn new_row(org_id: Uuid, listed: &ListedPrice, from: DateTime<Utc>) -> Result<price::ActiveModel, EngineError> {
    Ok(price::ActiveModel::new_price(org_id, &listed.provider, &listed.model, &listed.price, from)?)
}

/// What the audit trail keeps of an import: counts and the models, not the whole file.
#[derive(Serialize)]
struct Audited<'a> {
    format: &'static str,
    effective_from: DateTime<Utc>,
    new: Vec<&'a str>,
    changed: Vec<&'a str>,
    unchanged: usize,
}

impl<'a> Audited<'a> {
    fn of(summary: &'a Summary) -> Self {
        Audited {
            format: summary.format.label(),
            effective_from: summary.effective_from,
            new: summary.plan.new.iter().map(|p| p.model.as_str()).collect(),
            changed: summary.plan.changed.iter().map(|r| r.listed.model.as_str()).collect(),
            unchanged: summary.plan.unchanged,
        }
    }
}
