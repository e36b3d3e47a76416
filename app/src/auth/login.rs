//! Signing in: password check, rate limits per account and per address, and the audit of attempts.

use super::{load_account, Account};
use crate::backend::engine::events;
use crate::backend::entities::{login_attempt, user};
use crate::backend::services::accounts::{normalize_email, verify_password};
use crate::errors::AppError;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryTrait, Set,
};
use serde_json::json;
use uuid::Uuid;

/// Failed attempts within this window count toward the limits.
pub const LOCKOUT_MINUTES: i64 = 15;
/// Failures for one account from one address: counted per pair, so someone else's wrong guesses
/// never lock a person out of their own account.
pub const MAX_FAILURES_PER_ACCOUNT: u64 = 5;
/// Failures from one address, whatever the accounts (guessing across many accounts).
pub const MAX_FAILURES_PER_ADDRESS: u64 = 20;
/// The one message for every wrong combination: it never says which half was wrong.
pub const BAD_CREDENTIALS: &str = "that email and password do not match an active account";

/// A well-formed argon2id hash of a random password, verified when the email is unknown so that
/// unknown and known emails take the same time.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2Yq7Tw0Ek2Cq5d5mQ9kqzJ5Qn8E3b2Hq4j6p1y8Zr0w";

pub async fn sign_in(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<Account, AppError> {
    let email = normalize_email(email).unwrap_or_else(|_| email.trim().to_lowercase());
    let since = now - Duration::minutes(LOCKOUT_MINUTES);
    let failures = |account: Option<&str>| {
        login_attempt::Entity::find()
            .filter(login_attempt::Column::Address.eq(address))
            .apply_if(account, |query, email| query.filter(login_attempt::Column::Email.eq(email)))
            .filter(login_attempt::Column::Succeeded.eq(false))
            .filter(login_attempt::Column::AttemptedAt.gt(since))
            .count(db)
    };
    if failures(Some(&email)).await? >= MAX_FAILURES_PER_ACCOUNT || failures(None).await? >= MAX_FAILURES_PER_ADDRESS {
        return Err(AppError::TooManyAttempts(format!(
            "too many failed sign-ins; try again in {LOCKOUT_MINUTES} minutes"
        )));
    }

    let candidate = user::Entity::find()
        .filter(user::Column::Email.eq(email.clone()))
        .filter(user::Column::PasswordHash.is_not_null())
        .one(db)
        .await?;
    let stored_hash = candidate.as_ref().and_then(|u| u.password_hash.clone());
    let password = password.to_owned();
    let password_matches =
        tokio::task::spawn_blocking(move || verify_password(&password, stored_hash.as_deref().unwrap_or(DECOY_HASH)))
            .await
            .map_err(AppError::internal)?;
    // Failed sign-ins to a real account go to that organization's audit log.
    let candidate_org = candidate.as_ref().map(|u| u.org_id);
    let account = match candidate.filter(|u| password_matches && u.active) {
        Some(found) => load_account(db, found.id).await?,
        None => None,
    };

    let txn = crate::backend::engine::begin_write(db).await?;
    record_attempt(&txn, &email, address, account.is_some(), now).await?;
    if let Some(org_id) = candidate_org {
        let kind = if account.is_some() { "login" } else { "login_failed" };
        let detail = json!({ "email": email, "address": address });
        events::record_by(&txn, org_id, None, kind, detail, &email, now).await?;
    }
    txn.commit().await?;
    account.ok_or_else(|| AppError::Invalid(BAD_CREDENTIALS.to_owned()))
}

async fn record_attempt(
    db: &impl ConnectionTrait,
    email: &str,
    address: &str,
    succeeded: bool,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let attempt = login_attempt::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email.to_owned()),
        address: Set(address.to_owned()),
        succeeded: Set(succeeded),
        attempted_at: Set(now),
    };
    login_attempt::Entity::insert(attempt).exec_without_returning(db).await?;
    Ok(())
}

/// A local path to go to after signing in; anything else (other sites, `//host`, `/\t/host`)
/// becomes `/`. The path is parsed the way browsers parse a `Location` (WHATWG URL: tabs and
/// newlines dropped, backslashes read as slashes) and kept only if it stays on this origin; what
/// comes back is that parsed form, so it is always a valid header value.
pub fn safe_next(next: &str) -> String {
    let base = url::Url::parse("http://tollgate.invalid/").expect("a valid base URL");
    match base.join(next) {
        Ok(target) if next.starts_with('/') && target.origin() == base.origin() => {
            let mut local = target.path().to_owned();
            if let Some(query) = target.query() {
                local.push('?');
                local.push_str(query);
            }
            if let Some(fragment) = target.fragment() {
                local.push('#');
                local.push_str(fragment);
            }
            local
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next("/budgets?x=1"), "/budgets?x=1");
        assert_eq!(safe_next("https://evil.example/"), "/");
        assert_eq!(safe_next("//evil.example/"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(safe_next(""), "/");
        assert_eq!(safe_next("/%09/evil.example"), "/%09/evil.example");
        assert_eq!(safe_next("/\t/evil.example"), "/");
        assert_eq!(safe_next("/\n/evil.example"), "/");
        assert_eq!(safe_next("\t//evil.example"), "/");
        assert_eq!(safe_next("/\\/evil.example"), "/");
    }

    #[test]
    fn every_control_character_gives_a_valid_header_value() {
        for code in (0u8..0x20).chain([0x7f]) {
            let c = char::from(code);
            for next in [format!("/a{c}b"), format!("/{c}/evil.example"), format!("{c}/x"), format!("/x?q={c}")] {
                let kept = safe_next(&next);
                assert!(kept.starts_with('/') && !kept.starts_with("//"), "{next:?} gave {kept:?}");
                assert!(http::HeaderValue::from_str(&kept).is_ok(), "{next:?} gave {kept:?}");
            }
        }
    }

    #[test]
    fn the_decoy_hash_is_a_valid_argon2id_hash() {
        assert!(argon2::PasswordHash::new(DECOY_HASH).is_ok());
        assert!(!verify_password("anything", DECOY_HASH));
    }
}
