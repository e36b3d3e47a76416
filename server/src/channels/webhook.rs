//! Generic webhooks: the alert as JSON, signed with HMAC-SHA256 over the timestamp and the body.
//!
//! Receivers verify `Tollgate-Signature: v1=<hex>` = HMAC-SHA256(secret, "<Tollgate-Timestamp>.<body>")
//! and reject old timestamps; `Tollgate-Delivery` is stable across retries, for de-duplication.

use super::{http_outcome, Channels};
use app::backend::entities::{alert, alert_delivery};
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

pub async fn send(
    channels: &Channels,
    delivery: &alert_delivery::Model,
    alert: &alert::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), String> {
    let detail: serde_json::Value = serde_json::from_str(&alert.detail).unwrap_or_default();
    let body = serde_json::to_vec(&serde_json::json!({
        "id": alert.id,
        "kind": alert.kind,
        "severity": alert.severity,
        "budget_id": alert.budget_id,
        "limit": alert.limit_kind,
        "threshold": alert.threshold,
        "window_start": alert.window_start,
        "title": alert.title,
        "body": alert.body,
        "detail": detail,
        "escalation_level": delivery.escalation_level,
        "created_at": alert.created_at,
        "link": channels.link(alert),
    }))
    .map_err(|e| e.to_string())?;
    let timestamp = now.timestamp();
    let signed = signature(delivery.secret.as_deref().unwrap_or_default(), timestamp, &body);
    let sent = channels
        .post(&delivery.target)?
        .header("content-type", "application/json")
        .header("Tollgate-Timestamp", timestamp.to_string())
        .header("Tollgate-Signature", format!("v1={signed}"))
        .header("Tollgate-Delivery", delivery.id.to_string())
        .body(body)
        .send()
        .await;
    http_outcome(sent).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn signature_matches_a_known_vector() {
        // HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog") from RFC 4231-style vectors.
        let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(b"key").unwrap();
        hmac::Mac::update(&mut mac, b"The quick brown fox jumps over the lazy dog");
        let hex: String = hmac::Mac::finalize(mac).into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
        assert_eq!(super::signature("key", 1, b"{}"), super::signature("key", 1, b"{}"));
        assert_ne!(super::signature("key", 1, b"{}"), super::signature("key", 2, b"{}"));
    }
}
