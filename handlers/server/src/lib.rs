//! drain's local server: reads a request within the limits, hands it to `drain-core`, stores the
//! plan's objects in a folder (or S3), answers. Everything else is decided by the core. And the
//! read half: `drain logs` and `drain sql` (`read`), and `drain compact` (`compact`).

#![forbid(unsafe_code)]

pub mod app;
pub mod compact;
pub mod listen;
pub mod read;
pub mod store;

pub use app::{app, AppState, Settings};
pub use listen::serve;
pub use store::FolderOrBucket;
