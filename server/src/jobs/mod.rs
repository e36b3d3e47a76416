//! Background jobs, one file each, started with the server and stopped with it.

pub mod reservation_sweeper;
