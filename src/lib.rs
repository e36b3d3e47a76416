//! Tollgate's pure budget domain: money, periods, limits, enforcement decisions and thresholds.
//!
//! Nothing here performs IO or reads the system clock: callers pass time in, so every rule is
//! testable with fixed instants.

pub mod access;
pub mod alerting;
pub mod approval;
pub mod clock;
pub mod enforcement;
pub mod figures;
pub mod forecast;
pub mod limits;
pub mod model_names;
pub mod money;
pub mod outbound;
pub mod period;
pub mod preferences;
pub mod price_import;
pub mod pricing;
pub mod reallocation;
pub mod replay;
pub mod reports;
pub mod scope;
pub mod suggestions;
pub mod templates;
pub mod thresholds;
pub mod time_face;

pub use access::{Actor, Role};
pub use clock::{Clock, ManualClock, SystemClock};
pub use enforcement::{evaluate, BudgetRules, BudgetVerdict, CheckRequest, Decision, WindowUsage};
pub use limits::{EnforcementMode, Limit, LimitKind, Status, Usage};
pub use money::{Currency, MoneyError};
pub use period::{Period, Window};
pub use scope::{BudgetScope, OperationChain, ScopeKind};
pub use time_face::TimeFace;
