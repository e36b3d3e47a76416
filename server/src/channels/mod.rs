//! Delivery channels of the alert outbox: email over SMTP, Slack incoming webhooks, signed webhooks.

mod email;
mod guarded_dns;
mod slack;
pub mod webhook;

use crate::mail::Mailer;
use app::backend::entities::{alert, alert_delivery};
use app::backend::services::outbound::OutboundPolicy;
use lettre::message::Mailbox;
use std::sync::Arc;
use std::time::Duration;

/// Everything needed to send an outbox message; cheap to clone into a task.
#[derive(Clone)]
pub struct Channels {
    pub mailer: Mailer,
    pub http: reqwest::Client,
    pub mail_from: Mailbox,
    /// Base of links back to Tollgate in messages, e.g. `https://tollgate.example.com`.
    pub public_url: String,
    outbound: OutboundPolicy,
}

impl Channels {
    pub fn new(mailer: Mailer, mail_from: &str, public_url: &str, outbound: OutboundPolicy) -> anyhow::Result<Self> {
        // Names are resolved by a resolver that refuses internal addresses: checked at the moment of
        // sending, so a name that changed its address since it was saved cannot reach inside.
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(guarded_dns::GuardedDns(outbound.clone())))
            .user_agent(concat!("Tollgate/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Channels {
            mailer,
            http,
            mail_from: mail_from.parse()?,
            public_url: public_url.trim_end_matches('/').to_owned(),
            outbound,
        })
    }

    /// A POST to a recipient's URL, refused if the URL names an internal address itself (names
    /// are checked by the client's resolver when it connects).
    pub fn post(&self, url: &str) -> Result<reqwest::RequestBuilder, String> {
        self.outbound.check_literal(url)?;
        Ok(self.http.post(url))
    }

    /// Sends one message: the alert of a single delivery, or every alert of a digest.
    pub async fn send(
        &self,
        deliveries: &[alert_delivery::Model],
        alerts: &[alert::Model],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), String> {
        let first = deliveries.first().ok_or("nothing to send")?;
        match first.channel.as_str() {
            "email" | "email_digest" => email::send(self, &first.target, alerts).await,
            "slack" => slack::send(self, &first.target, alerts.first().ok_or("alert is gone")?).await,
            "webhook" => {
                let alert = alerts.first().ok_or("alert is gone")?;
                webhook::send(self, first, alert, now).await
            }
            other => Err(format!("unknown channel '{other}'")),
        }
    }

    pub fn link(&self, alert: &alert::Model) -> String {
        let path = serde_json::from_str::<serde_json::Value>(&alert.detail)
            .ok()
            .and_then(|d| d.get("link").and_then(|l| l.as_str()).map(str::to_owned))
            .unwrap_or_else(|| "/inbox".to_owned());
        format!("{}{path}", self.public_url)
    }
}

/// Turns an HTTP answer into the outcome of an attempt (any 2xx is delivered).
pub(crate) async fn http_outcome(sent: Result<reqwest::Response, reqwest::Error>) -> Result<(), String> {
    let response = sent.map_err(|e| format!("request failed: {e}"))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let body: String = response.text().await.unwrap_or_default().chars().take(200).collect();
    Err(format!("receiver answered {status}: {body}"))
}
