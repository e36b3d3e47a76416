//! The tower-sessions store in Tollgate's own database (SQLite or PostgreSQL), through SeaORM.

use super::ACCOUNT_KEY;
use crate::backend::entities::session;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: DatabaseConnection,
}

impl DbSessionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        DbSessionStore { db }
    }
}

fn backend(error: sea_orm::DbErr) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

fn to_chrono(at: OffsetDateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(at.unix_timestamp(), at.nanosecond()).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn to_time(at: DateTime<Utc>) -> Result<OffsetDateTime, session_store::Error> {
    OffsetDateTime::from_unix_timestamp(at.timestamp()).map_err(|e| session_store::Error::Decode(e.to_string()))
}

#[async_trait::async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Ids are 128 random bits, so a collision is practically impossible; insert-or-fail makes sure.
        loop {
            match session::Entity::insert(row(record)?).exec_without_returning(&self.db).await {
                Ok(_) => return Ok(()),
                Err(e) if matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => {
                    record.id = Id::default();
                }
                Err(e) => return Err(backend(e)),
            }
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        session::Entity::insert(row(record)?)
            .on_conflict(
                OnConflict::column(session::Column::Id)
                    .update_columns([session::Column::AccountId, session::Column::Data, session::Column::ExpiresAt])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let found = session::Entity::find_by_id(id.to_string())
            .filter(session::Column::ExpiresAt.gt(Utc::now()))
            .one(&self.db)
            .await
            .map_err(backend)?;
        let Some(found) = found else { return Ok(None) };
        let data = serde_json::from_str(&found.data).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record { id: *id, data, expiry_date: to_time(found.expires_at)? }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        session::Entity::delete_by_id(id.to_string()).exec(&self.db).await.map_err(backend)?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl ExpiredDeletion for DbSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lte(Utc::now()))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

fn row(record: &Record) -> session_store::Result<session::ActiveModel> {
    let account_id = record.data.get(ACCOUNT_KEY).and_then(|v| serde_json::from_value::<Uuid>(v.clone()).ok());
    Ok(session::ActiveModel {
        id: Set(record.id.to_string()),
        account_id: Set(account_id),
        data: Set(serde_json::to_string(&record.data).map_err(|e| session_store::Error::Encode(e.to_string()))?),
        expires_at: Set(to_chrono(record.expiry_date)),
    })
}

/// Ends every session of an account (deactivation, password change), except `keep` if given.
pub async fn end_sessions(
    db: &impl sea_orm::ConnectionTrait,
    account_id: Uuid,
    keep: Option<&Id>,
) -> Result<(), sea_orm::DbErr> {
    let mut delete = session::Entity::delete_many().filter(session::Column::AccountId.eq(account_id));
    if let Some(keep) = keep {
        delete = delete.filter(session::Column::Id.ne(keep.to_string()));
    }
    delete.exec(db).await?;
    Ok(())
}
