//! Alerts as people use them: recipients, inboxes, the outbox the dispatcher sends from, escalation
//! and forecast alerts. Raising an alert with the write that causes it is `engine::alerts`.

pub mod escalation;
pub mod forecasts;
pub mod inbox;
pub mod outbox;
pub mod recipients;
