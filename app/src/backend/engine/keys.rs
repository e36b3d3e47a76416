//! API keys: generated once, stored as a SHA-256 hash, looked up by their public prefix; the engine
//! authenticates every caller with them (from its cache, verified again in each batch).

use crate::backend::engine::prepare::config_version::version_read;
use crate::backend::entities::{api_key, organization};
use chrono::{DateTime, Duration, Utc};
use rand::distr::{Alphanumeric, SampleString};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, IdenStatic,
    JoinType, QueryFilter, QuerySelect, QueryTrait, SelectA, SelectB, Set,
};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt::Write;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// check, reservations, usage, status
    Ingest,
    /// also the management API
    Admin,
}

impl Permission {
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Ingest => "ingest",
            Permission::Admin => "admin",
        }
    }
}

/// A key that authenticated a request.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub key_id: Uuid,
    /// The key's name, as its creator gave it.
    pub name: String,
    pub org: organization::Model,
    pub permission: Permission,
    pub project_id: Option<Uuid>,
}

impl Authenticated {
    /// Who acted, as history, audit log and inbox show it: the key by name, never its id.
    pub fn actor(&self) -> String {
        format!("API key “{}”", self.name)
    }
}

/// Creates a key and returns it with the full secret, which is never stored and never shown again.
pub async fn create(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    name: &str,
    permission: Permission,
    project_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(api_key::Model, String), DbErr> {
    let prefix = Alphanumeric.sample_string(&mut rand::rng(), 10);
    let secret = format!("tg_{prefix}_{}", Alphanumeric.sample_string(&mut rand::rng(), 40));
    let key = api_key::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        name: Set(name.trim().to_owned()),
        prefix: Set(prefix),
        secret_hash: Set(secret_hash(&secret)),
        permission: Set(permission.as_str().to_owned()),
        project_id: Set(project_id),
        created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok((key, secret))
}

/// Finds the live key for a presented secret; `None` for unknown, malformed or revoked keys.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    presented: &str,
    now: DateTime<Utc>,
) -> Result<Option<Authenticated>, DbErr> {
    let Some(prefix) = presented.strip_prefix("tg_").and_then(|rest| rest.split_once('_')).map(|(p, _)| p) else {
        return Ok(None);
    };
    let found = with_organization().filter(api_key::Column::Prefix.eq(prefix)).one(db).await?;
    let Some((key, Some(org))) = found else { return Ok(None) };
    if key.revoked_at.is_some() || !constant_time_eq(secret_hash(presented).as_bytes(), key.secret_hash.as_bytes()) {
        return Ok(None);
    }
    touch(db, [&key], now).await?;
    let permission = if key.permission == "admin" { Permission::Admin } else { Permission::Ingest };
    Ok(Some(Authenticated { key_id: key.id, name: key.name, org, permission, project_id: key.project_id }))
}

/// The live keys among `ids`, each with its organization as stored now: what a batch of checks
/// authenticated from the process's cache verifies inside its transaction. Revoked and deleted
/// keys are missing from the answer. Last use is noted, as `authenticate` does.
pub async fn live_keys(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, organization::Model>, DbErr> {
    Ok(live_keys_and_version(db, ids, now).await?.0)
}

/// `live_keys`, and in the same read the configuration version the caller's transaction sees
/// (`None` when no key is live): a batch of checks needs both first, in one round trip.
pub async fn live_keys_and_version(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<(HashMap<Uuid, organization::Model>, Option<i64>), DbErr> {
    const VERSION: &str = "config_version";
    let query = with_organization()
        .filter(api_key::Column::Id.is_in(ids.iter().copied()))
        .filter(api_key::Column::RevokedAt.is_null())
        .expr_as(Expr::SubQuery(None, Box::new(version_read().into())), VERSION)
        .build(db.get_database_backend());
    let (mut found, mut version) = (Vec::new(), None);
    for row in db.query_all_raw(query).await? {
        let key = api_key::Model::from_query_result(&row, SelectA.as_str())?;
        found.push((key, organization::Model::from_query_result_optional(&row, SelectB.as_str())?));
        version = row.try_get::<Option<i64>>("", VERSION)?;
    }
    touch(db, found.iter().map(|(key, _)| key), now).await?;
    Ok((found.into_iter().filter_map(|(key, org)| Some((key.id, org?))).collect(), version))
}

/// The key and its organization in one read: every API request makes it.
fn with_organization() -> sea_orm::SelectTwo<api_key::Entity, organization::Entity> {
    let of_org =
        api_key::Entity::belongs_to(organization::Entity).from(api_key::Column::OrgId).to(organization::Column::Id);
    api_key::Entity::find().select_also(organization::Entity).join(JoinType::InnerJoin, of_org.into())
}

/// How often a key's last use is noted at most.
const NOTE_USE_EVERY: Duration = Duration::minutes(1);

/// Keys whose last use is due to be noted again at `now` (see `touch`).
pub fn last_use_due(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(api_key::Column::LastUsedAt.is_null())
        .add(api_key::Column::LastUsedAt.lt(now - NOTE_USE_EVERY))
}

/// Last use is informational: it is written at most once a minute per key, not on every request.
async fn touch<'a>(
    db: &impl ConnectionTrait,
    keys: impl IntoIterator<Item = &'a api_key::Model>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let stale: Vec<Uuid> = keys
        .into_iter()
        .filter(|key| key.last_used_at.is_none_or(|at| now - at > NOTE_USE_EVERY))
        .map(|key| key.id)
        .collect();
    if !stale.is_empty() {
        api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
            .filter(api_key::Column::Id.is_in(stale))
            .exec(db)
            .await?;
    }
    Ok(())
}

pub async fn revoke(db: &impl ConnectionTrait, org_id: Uuid, key_id: Uuid, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let result = api_key::Entity::update_many()
        .col_expr(api_key::Column::RevokedAt, Expr::value(now))
        .filter(api_key::Column::Id.eq(key_id))
        .filter(api_key::Column::OrgId.eq(org_id))
        .filter(api_key::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Revokes the live key with this prefix (the shell's way, until the admin page exists).
pub async fn revoke_by_prefix(db: &impl ConnectionTrait, prefix: &str, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let result = api_key::Entity::update_many()
        .col_expr(api_key::Column::RevokedAt, Expr::value(now))
        .filter(api_key::Column::Prefix.eq(prefix))
        .filter(api_key::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The stored form of a secret (hex SHA-256); also what the process's key cache is keyed by.
pub fn secret_hash(secret: &str) -> String {
    // Every check request hashes its key: write the hex digits into one buffer.
    Sha256::digest(secret.as_bytes()).iter().fold(String::with_capacity(64), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_hex_sha256_and_comparison_is_exact() {
        assert_eq!(secret_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(constant_time_eq(b"same", b"same"));
        assert!(!constant_time_eq(b"same", b"sama"));
        assert!(!constant_time_eq(b"short", b"longer"));
    }
}
