//! The read half: `drain logs` (events back in time order) and `drain sql` (statements for the
//! query engines), over the folder or bucket the handlers write.

mod blocking;
mod line;
pub mod logs;
mod merge;
pub mod query;
pub mod sql;
pub mod ui;

pub use drain_cli::{Prefixes, Signal};
