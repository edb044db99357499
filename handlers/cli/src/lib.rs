//! What drain's command line means, with no runtime: the server's options and the limits they
//! set (`serve`), what `drain check-config` reports (`check`), `drain compact`'s options and
//! report (`compact`), and where each signal is stored (`Prefixes`). The `drain` binary parses
//! with these and hosts them on tokio; nothing here does IO beyond reading the config file.

#![forbid(unsafe_code)]

pub mod check;
pub mod compact;
mod prefixes;
pub mod serve;

pub use prefixes::{Prefixes, Signal};
pub use serve::{LogFormat, ServeArgs, Settings};
