//! Background jobs, one file each, started with the server and stopped with it.

pub mod request_expiry;
pub mod reservation_sweeper;
