//! The request path, parsed once (SPEC section 3): the health check, a host-root route, or a
//! named source with what follows its name. A query string is ignored.

use crate::format::otlp::Signal;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route<'p> {
    /// `/healthz`.
    Health,
    /// The host root: `/` (`signal: None`), or `/v1/{signal}` (`Some(None)` for a path under
    /// `/v1/` that names no signal).
    Root { signal: Option<Option<Signal>> },
    /// `/{name}`, or `/{name}/{rest}`; `rest` read as `v1/{signal}` (`Some(None)` when it is
    /// something else).
    Named {
        name: &'p str,
        rest: Option<Option<Signal>>,
    },
}

pub(crate) fn parse(path: &str) -> Route<'_> {
    let path = path.split('?').next().unwrap_or_default();
    let trimmed = path.trim_start_matches('/').trim_end_matches('/');
    if trimmed == "healthz" {
        return Route::Health;
    }
    let (first, rest) = trimmed.split_once('/').unwrap_or((trimmed, ""));
    let signal = |rest: &str| rest.strip_prefix("v1/").and_then(Signal::from_path);
    if first.is_empty() {
        return Route::Root { signal: None };
    }
    if first == "v1" {
        return Route::Root {
            signal: Some(Signal::from_path(rest)),
        };
    }
    Route::Named {
        name: first,
        rest: (!rest.is_empty()).then(|| signal(rest)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(parse("/healthz"), Route::Health);
        assert_eq!(parse("/healthz/?x"), Route::Health);
        assert_eq!(parse("/"), Route::Root { signal: None });
        assert_eq!(parse(""), Route::Root { signal: None });
        assert_eq!(
            parse("/v1/traces"),
            Route::Root {
                signal: Some(Some(Signal::Traces))
            }
        );
        assert_eq!(parse("/v1/nope"), Route::Root { signal: Some(None) });
        assert_eq!(
            parse("/app?x=1"),
            Route::Named {
                name: "app",
                rest: None
            }
        );
        assert_eq!(
            parse("/app/"),
            Route::Named {
                name: "app",
                rest: None
            }
        );
        assert_eq!(
            parse("/otel/v1/logs"),
            Route::Named {
                name: "otel",
                rest: Some(Some(Signal::Logs))
            }
        );
        assert_eq!(
            parse("/otel/x"),
            Route::Named {
                name: "otel",
                rest: Some(None)
            }
        );
    }
}
