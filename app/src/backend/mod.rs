//! The only code that talks to the database: entities, read models, services and the budget engine.
//!
//! Pages' server functions and the REST API parse and authorize, then call one function of
//! `services` (or of `engine` for the usage API) per use case; nothing outside this module runs
//! SeaORM statements. `docs/architecture.md` draws the whole map.

pub mod engine;
pub mod entities;
pub mod queries;
pub mod services;
