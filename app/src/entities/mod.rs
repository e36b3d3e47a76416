//! SeaORM entities, one per table, mirroring `migrations/` column for column.

pub mod api_key;
pub mod budget;
pub mod budget_counter;
pub mod budget_event;
pub mod budget_override;
pub mod budget_request;
pub mod category;
pub mod daily_usage;
pub mod login_attempt;
pub mod organization;
pub mod price;
pub mod project;
pub mod project_member;
pub mod request_decision;
pub mod reservation;
pub mod reservation_hold;
pub mod session;
pub mod team;
pub mod team_member;
pub mod usage_event;
pub mod user;
pub mod user_role;
