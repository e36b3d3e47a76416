//! Read models over the SeaORM entities, shared by the services and the engine (never above them).

pub mod budget;
pub mod overview;
pub mod preferences;

use sea_orm::sea_query::{Expr, Func, SimpleExpr};
use sea_orm::ColumnTrait;

/// `CAST(SUM(col) AS BIGINT)`: PostgreSQL sums BIGINT into NUMERIC, which would not decode as i64.
pub fn sum_i64(column: impl ColumnTrait) -> SimpleExpr {
    Func::cast_as(Func::sum(Expr::col(column)), "BIGINT").into()
}
