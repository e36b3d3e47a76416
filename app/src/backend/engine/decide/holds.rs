//! The budget windows a reservation holds its estimate on, stored in the reservation's row.
//!
//! A check reserves on every applicable budget's current window. Those windows used to be rows of
//! their own (`reservation_holds`), four or more per reservation, each with its index entry and
//! foreign-key check: on PostgreSQL most of a check's write. They are read only with their
//! reservation (to release it, and to reconcile counters), so they are stored with it, as JSON:
//! `[{"budget_id": "…", "window_start": "…"}]`, the time written as the database drivers write
//! times (RFC 3339 with `+00:00`), so a migration can copy stored times to and from it verbatim.

use crate::backend::engine::EngineError;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One budget window a reservation holds its estimate on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hold {
    pub budget_id: Uuid,
    pub window_start: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
struct StoredHold {
    budget_id: Uuid,
    window_start: String,
}

/// The stored form of a reservation's holds.
pub fn to_column(holds: &[Hold]) -> String {
    let stored: Vec<StoredHold> = holds
        .iter()
        .map(|hold| StoredHold {
            budget_id: hold.budget_id,
            window_start: hold.window_start.to_rfc3339_opts(SecondsFormat::AutoSi, false),
        })
        .collect();
    serde_json::to_string(&stored).expect("holds serialize to JSON")
}

/// A reservation's holds read back from their stored form.
pub fn from_column(stored: &str) -> Result<Vec<Hold>, EngineError> {
    let corrupt = |what: String| EngineError::Database(sea_orm::DbErr::Type(format!("stored holds: {what}")));
    let stored: Vec<StoredHold> = serde_json::from_str(stored).map_err(|e| corrupt(e.to_string()))?;
    stored
        .into_iter()
        .map(|hold| {
            let at = DateTime::parse_from_rfc3339(&hold.window_start).map_err(|e| corrupt(e.to_string()))?;
            Ok(Hold { budget_id: hold.budget_id, window_start: at.with_timezone(&Utc) })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn holds_read_back_as_they_were_written() {
        let holds = [
            Hold { budget_id: Uuid::now_v7(), window_start: Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap() },
            Hold { budget_id: Uuid::now_v7(), window_start: Utc.with_ymd_and_hms(2026, 11, 30, 23, 0, 0).unwrap() },
        ];
        let stored = to_column(&holds);
        assert!(stored.contains("\"window_start\":\"2026-12-01T00:00:00+00:00\""), "{stored}");
        assert_eq!(from_column(&stored).unwrap(), holds);
        assert_eq!(from_column("[]").unwrap(), []);
    }

    #[test]
    fn holds_written_by_hand_or_by_a_database_read_back() {
        let budget_id = Uuid::now_v7();
        let simple = budget_id.simple().to_string();
        let stored = format!(r#"[{{"budget_id":"{simple}","window_start":"2026-12-01T00:00:00Z"}}]"#);
        let expected = Hold { budget_id, window_start: Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap() };
        assert_eq!(from_column(&stored).unwrap(), [expected]);
    }

    #[test]
    fn corrupt_holds_are_an_error_not_an_empty_list() {
        assert!(from_column("").is_err());
        assert!(from_column(r#"[{"budget_id":"x","window_start":"2026-12-01T00:00:00Z"}]"#).is_err());
        assert!(from_column(r#"[{"budget_id":"0192b3a4-5c6d-7e8f-9a0b-1c2d3e4f5a6b","window_start":"soon"}]"#).is_err());
    }
}
