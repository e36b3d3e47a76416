//! Outgoing mail through lettre: SMTP in production, a recording stub in tests, off without a server.

use lettre::transport::stub::AsyncStubTransport;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Records every message instead of sending it (tests).
    Recording(AsyncStubTransport),
    /// No SMTP server is configured: nothing is sent, and deliveries say so.
    Off,
}

/// Why an email was not sent when mail is off, as deliveries show it.
pub const MAIL_OFF: &str = "mail is off: no SMTP server is configured (TOLLGATE_SMTP_URL)";

impl Mailer {
    pub fn from_url(url: Option<&str>) -> anyhow::Result<Self> {
        match url {
            Some(url) if !url.is_empty() => {
                Ok(Mailer::Smtp(AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.build()))
            }
            _ => Ok(Mailer::Off),
        }
    }

    pub fn is_off(&self) -> bool {
        matches!(self, Mailer::Off)
    }

    pub fn recording() -> Self {
        Mailer::Recording(AsyncStubTransport::new_ok())
    }

    pub async fn send(&self, message: Message) -> anyhow::Result<()> {
        match self {
            Mailer::Smtp(transport) => {
                transport.send(message).await?;
            }
            Mailer::Recording(stub) => {
                stub.send(message).await?;
            }
            Mailer::Off => anyhow::bail!(MAIL_OFF),
        }
        Ok(())
    }

    /// Messages recorded by the stub transport, as (envelope, raw message) pairs.
    pub async fn recorded(&self) -> Vec<(lettre::address::Envelope, String)> {
        match self {
            Mailer::Recording(stub) => stub.messages().await,
            Mailer::Smtp(_) | Mailer::Off => Vec::new(),
        }
    }
}
