//! Tollgate's server: start-up, configuration, database, HTTP routes, commands and mail.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod api;
pub mod channels;
pub mod cli;
pub mod config;
pub mod database;
pub mod health;
pub mod jobs;
pub mod mail;
pub mod price_commands;
pub mod reports;
pub mod seed;
pub mod startup;
pub mod telemetry;
pub mod wal_checkpoint;
pub mod web;
