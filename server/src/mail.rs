//! Outgoing mail through lettre: SMTP in production, a recording stub in tests.

use lettre::transport::stub::AsyncStubTransport;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Records every message instead of sending it (tests, or no SMTP configured).
    Recording(AsyncStubTransport),
}

impl Mailer {
    pub fn from_url(url: Option<&str>) -> anyhow::Result<Self> {
        match url {
            Some(url) if !url.is_empty() => {
                Ok(Mailer::Smtp(AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.build()))
            }
            _ => Ok(Mailer::recording()),
        }
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
        }
        Ok(())
    }

    /// Messages recorded by the stub transport, as (envelope, raw message) pairs.
    pub async fn recorded(&self) -> Vec<(lettre::address::Envelope, String)> {
        match self {
            Mailer::Recording(stub) => stub.messages().await,
            Mailer::Smtp(_) => Vec::new(),
        }
    }
}
