//! Background jobs, one file each, started with the server and stopped with it.

pub mod alert_dispatcher;
pub mod alert_escalation;
pub mod digests;
pub mod event_push;
pub mod forecast_alerts;
pub mod housekeeping;
pub mod request_expiry;
pub mod reservation_sweeper;
pub mod runner;
pub mod window_close;
