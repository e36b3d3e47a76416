//! Alerts the engine raises inside the write that causes them: threshold and level crossings, the
//! emergency reserve's use; each once per dedup key, fanned out to the outbox and inboxes.
//!
//! Delivery (SMTP, Slack, webhooks) is the server's dispatcher job, escalation and forecast alerts
//! are `services::alerts`; this module only writes.

pub mod crossings;
pub mod forecast;
pub mod raise;
pub mod reserve;
pub mod targets;

pub use raise::{raise, Audience, NewAlert};
