//! The site's pages, each with the server functions it uses.

pub mod not_found;
pub mod overview;
