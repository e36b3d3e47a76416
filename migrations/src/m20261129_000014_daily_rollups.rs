//! Coarser daily roll-ups of `daily_usage` (per project, per model) so dashboards read a month in
//! a few thousand rows instead of hundreds of thousands; filled from the existing aggregates.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SUMS: &str = "SUM(cost), SUM(input_tokens), SUM(output_tokens), SUM(operations), SUM(events)";
const SUM_COLUMNS: &str = "cost, input_tokens, output_tokens, operations, events";

fn rollup(name: &str, keys: Vec<ColumnDef>) -> TableCreateStatement {
    let mut table = Table::create();
    table.table(name.to_owned()).col(uuid("org_id")).col(date("day"));
    let mut primary = Index::create();
    primary.col("org_id").col("day");
    for mut key in keys {
        primary.col(key.get_column_name());
        table.col(&mut key);
    }
    for sum in SUM_COLUMNS.split(", ") {
        table.col(big_integer(sum));
    }
    table.primary_key(&mut primary).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(rollup("daily_project_usage", vec![uuid("project_id")])).await?;
        m.create_table(rollup("daily_model_usage", vec![string("provider"), string("model")])).await?;
        let db = m.get_connection();
        db.execute_unprepared(&format!(
            "INSERT INTO daily_project_usage (org_id, day, project_id, {SUM_COLUMNS}) \
             SELECT org_id, day, project_id, {SUMS} FROM daily_usage GROUP BY org_id, day, project_id"
        ))
        .await?;
        db.execute_unprepared(&format!(
            "INSERT INTO daily_model_usage (org_id, day, provider, model, {SUM_COLUMNS}) \
             SELECT org_id, day, provider, model, {SUMS} FROM daily_usage GROUP BY org_id, day, provider, model"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in ["daily_model_usage", "daily_project_usage"] {
            m.drop_table(Table::drop().table(table.to_owned()).to_owned()).await?;
        }
        Ok(())
    }
}
