//! The digest outbox as the digests job sees it: what is due for delivery, and each attempt's result
//! (retried with backoff, given up after the last attempt, or not sent at all when mail is off).

use crate::backend::entities::digest_send;
use crate::backend::services::alerts::outbox::Attempt;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

/// Waits before each retry; after the last one the digest is marked failed.
const BACKOFF_MINUTES: [i64; 4] = [1, 5, 15, 60];

pub async fn due(db: &DatabaseConnection, now: DateTime<Utc>, limit: u64) -> Result<Vec<digest_send::Model>, DbErr> {
    digest_send::Entity::find()
        .filter(digest_send::Column::Status.eq("pending"))
        .filter(digest_send::Column::NextAttemptAt.lte(now))
        .order_by_asc(digest_send::Column::NextAttemptAt)
        .limit(limit)
        .all(db)
        .await
}

pub async fn record_attempt(
    db: &DatabaseConnection,
    sent: digest_send::Model,
    outcome: Attempt,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let attempts = sent.attempts + 1;
    let mut row = sent.into_active_model();
    row.attempts = Set(attempts);
    match outcome {
        Attempt::Sent => {
            row.status = Set("sent".into());
            row.sent_at = Set(Some(now));
            row.last_error = Set(None);
        }
        Attempt::NotSent(why) => {
            row.status = Set("not_sent".into());
            row.last_error = Set(Some(why));
        }
        Attempt::Failed(error) => {
            row.last_error = Set(Some(error));
            match BACKOFF_MINUTES.get(attempts as usize - 1) {
                Some(minutes) => row.next_attempt_at = Set(now + Duration::minutes(*minutes)),
                None => row.status = Set("failed".into()),
            }
        }
    }
    row.update(db).await?;
    Ok(())
}
