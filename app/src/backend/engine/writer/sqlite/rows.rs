//! Values and rows between SeaQuery and rusqlite, stored exactly as sqlx stores them (a UUID as
//! 16 bytes, a time as RFC 3339 text), for the SQLite check writer's Direct route (`writer/sqlite/direct`).

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use rusqlite::types::{Value as Sql, ValueRef};
use sea_orm::sea_query::{ColumnType, Value};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IdenStatic, Iterable, TryIntoModel};
use uuid::Uuid;

/// A value to bind, as sqlx binds it; an error for the kinds the check writer never writes.
pub fn bound(value: Value) -> Result<Sql, String> {
    let integer = |v: Option<i64>| v.map_or(Sql::Null, Sql::Integer);
    Ok(match value {
        Value::Bool(v) => integer(v.map(i64::from)),
        Value::TinyInt(v) => integer(v.map(i64::from)),
        Value::SmallInt(v) => integer(v.map(i64::from)),
        Value::Int(v) => integer(v.map(i64::from)),
        Value::BigInt(v) => integer(v),
        Value::Double(v) => v.map_or(Sql::Null, Sql::Real),
        Value::String(v) => v.map_or(Sql::Null, Sql::Text),
        Value::Bytes(v) => v.map_or(Sql::Null, Sql::Blob),
        Value::Uuid(v) => v.map_or(Sql::Null, |id| Sql::Blob(id.as_bytes().to_vec())),
        Value::ChronoDateTimeUtc(v) => {
            v.map_or(Sql::Null, |at| Sql::Text(at.to_rfc3339_opts(SecondsFormat::AutoSi, false)))
        }
        Value::ChronoDate(v) => v.map_or(Sql::Null, |day| Sql::Text(day.format("%F").to_string())),
        Value::Json(v) => v.map_or(Sql::Null, |json| Sql::Text(json.to_string())),
        other => return Err(format!("a value of a kind it does not bind: {other:?}")),
    })
}

/// A model of `A`'s entity from a row whose columns are labelled with the entity's column names.
pub fn model_of<A>(row: &rusqlite::Row<'_>, labels: &[&str]) -> Result<<A::Entity as EntityTrait>::Model, String>
where
    A: ActiveModelTrait + TryIntoModel<<A::Entity as EntityTrait>::Model>,
{
    let mut model = <A as ActiveModelTrait>::default();
    for column in <A::Entity as EntityTrait>::Column::iter() {
        let at = labels
            .iter()
            .position(|label| *label == column.as_str())
            .ok_or_else(|| format!("no column {}", column.as_str()))?;
        let value = typed(column.def().get_column_type(), row.get_ref(at).map_err(|e| e.to_string())?)
            .map_err(|why| format!("column {}: {why}", column.as_str()))?;
        model.try_set(column, value).map_err(|e| e.to_string())?;
    }
    model.try_into_model().map_err(|e| e.to_string())
}

/// A value of a column of this type, as SeaORM carries it.
pub fn typed(column_type: &ColumnType, value: ValueRef<'_>) -> Result<Value, String> {
    let null = matches!(value, ValueRef::Null);
    let text = || value.as_str().map_err(|e| e.to_string());
    let integer = || value.as_i64().map_err(|e| e.to_string());
    Ok(match column_type {
        ColumnType::Uuid => Value::Uuid(match value {
            ValueRef::Null => None,
            ValueRef::Blob(bytes) => Some(Uuid::from_slice(bytes).map_err(|e| e.to_string())?),
            _ => Some(Uuid::parse_str(text()?).map_err(|e| e.to_string())?),
        }),
        ColumnType::TimestampWithTimeZone | ColumnType::Timestamp | ColumnType::DateTime => {
            Value::ChronoDateTimeUtc(if null { None } else { Some(date_time(text()?)?) })
        }
        ColumnType::Date => Value::ChronoDate(if null {
            None
        } else {
            Some(NaiveDate::parse_from_str(text()?, "%F").map_err(|e| e.to_string())?)
        }),
        ColumnType::BigInteger => Value::BigInt(if null { None } else { Some(integer()?) }),
        ColumnType::Integer => {
            Value::Int(if null { None } else { Some(i32::try_from(integer()?).map_err(|e| e.to_string())?) })
        }
        ColumnType::Boolean => Value::Bool(if null { None } else { Some(integer()? != 0) }),
        ColumnType::String(_) | ColumnType::Text | ColumnType::Char(_) => {
            Value::String(if null { None } else { Some(text()?.to_owned()) })
        }
        ColumnType::Json | ColumnType::JsonBinary => Value::Json(if null {
            None
        } else {
            Some(Box::new(serde_json::from_str(text()?).map_err(|e| e.to_string())?))
        }),
        other => return Err(format!("a column type it does not read: {other:?}")),
    })
}

/// A time as sqlx writes it (RFC 3339), or as SQLite's own functions do (`YYYY-MM-DD HH:MM:SS`).
fn date_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%F %T%.f").map(|at| at.and_utc()))
        .map_err(|_| format!("not a time: {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_back(column_type: ColumnType, value: Value) -> Value {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let value = conn.query_row("SELECT ?", [bound(value).unwrap()], |row| Ok(typed(&column_type, row.get_ref(0)?)));
        value.unwrap().unwrap()
    }

    #[test]
    fn values_read_back_as_the_type_their_column_declares() {
        let id = Uuid::now_v7();
        let at = "2026-12-04T13:05:01.123456Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(read_back(ColumnType::Uuid, Value::Uuid(Some(id))), Value::Uuid(Some(id)));
        assert_eq!(read_back(ColumnType::TimestampWithTimeZone, at.into()), at.into());
        assert_eq!(read_back(ColumnType::Integer, Value::BigInt(Some(7))), Value::Int(Some(7)));
        assert_eq!(read_back(ColumnType::BigInteger, Value::BigInt(Some(1 << 40))), Value::BigInt(Some(1 << 40)));
        assert_eq!(read_back(ColumnType::Boolean, Value::Bool(Some(true))), Value::Bool(Some(true)));
        assert_eq!(read_back(ColumnType::Text, Value::String(None)), Value::String(None));
        assert_eq!(
            read_back(ColumnType::TimestampWithTimeZone, Value::ChronoDateTimeUtc(None)),
            Value::ChronoDateTimeUtc(None)
        );
        let json = serde_json::json!({"reasons": ["over"]});
        assert_eq!(read_back(ColumnType::Json, json.clone().into()), json.into());
    }

    #[test]
    fn times_are_stored_as_sqlx_stores_them() {
        let at = "2026-12-04T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(bound(at.into()).unwrap(), Sql::Text("2026-12-04T00:00:00+00:00".into()));
        assert_eq!(date_time("2026-12-04 00:00:00").unwrap(), at);
    }

    #[test]
    fn an_integer_too_large_for_its_column_is_an_error_not_a_wrong_number() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let read = conn.query_row("SELECT 5000000000", [], |row| Ok(typed(&ColumnType::Integer, row.get_ref(0)?)));
        assert!(read.unwrap().is_err());
    }
}
