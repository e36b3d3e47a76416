//! Alerts: raised with the write that causes them, fanned out to an outbox and inboxes, escalated.
//!
//! Delivery itself (SMTP, Slack, webhooks) is the server's dispatcher job; this module only writes.

pub mod crossings;
pub mod escalation;
pub mod forecasts;
pub mod inbox;
pub mod outbox;
pub mod raise;
pub mod recipients;

pub use raise::{raise, Audience, NewAlert};
