//! Slack incoming webhooks: the alert as a short message with a link.

use super::{http_outcome, Channels};
use app::backend::entities::alert;

pub async fn send(channels: &Channels, url: &str, alert: &alert::Model) -> Result<(), String> {
    let icon = match alert.severity.as_str() {
        "critical" => ":rotating_light:",
        "warning" => ":warning:",
        _ => ":information_source:",
    };
    let text = format!("{icon} *{}*\n{}\n<{}|Open in Tollgate>", alert.title, alert.body, channels.link(alert));
    http_outcome(channels.post(url)?.json(&serde_json::json!({ "text": text })).send().await).await
}
