//! The request path, parsed once (SPEC section 1): the health check, a host-root route, or a
//! named source with the endpoint that follows its name. A query string is not part of it.

use crate::format::otlp::Signal;
use crate::kinds::Endpoint;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route<'p> {
    /// `/healthz`.
    Health,
    /// The host root: `/` (`Endpoint::Bare`), `/v1/{signal}`, `/services/collector/…`,
    /// `/api/v2/logs`, `/loki/api/v1/push`; `None` for another path.
    Root(Option<Endpoint>),
    /// `/{name}` or `/{name}/{endpoint}`; `endpoint` is `None` when what follows the name is
    /// none of the endpoints.
    Named { name: &'p str, endpoint: Option<Endpoint> },
}

/// The path without its query string.
pub(crate) fn path_of(target: &str) -> &str {
    target.split('?').next().unwrap_or_default()
}

/// The query string of a request target (`""` when it has none).
pub(crate) fn query_of(target: &str) -> &str {
    target.split_once('?').map_or("", |(_, q)| q)
}

pub(crate) fn parse(target: &str) -> Route<'_> {
    let trimmed = path_of(target).trim_start_matches('/').trim_end_matches('/');
    if trimmed == "healthz" {
        return Route::Health;
    }
    if trimmed.is_empty() {
        return Route::Root(Some(Endpoint::Bare));
    }
    // The host-root endpoints begin with a reserved name (SPEC section 7: no source has one).
    if let Some(e) = endpoint(trimmed) {
        return Route::Root(Some(e));
    }
    let (first, rest) = trimmed.split_once('/').unwrap_or((trimmed, ""));
    if ["v1", "services", "api", "loki"].contains(&first) {
        return Route::Root(None);
    }
    Route::Named {
        name: first,
        endpoint: if rest.is_empty() {
            Some(Endpoint::Bare)
        } else {
            endpoint(rest)
        },
    }
}

/// The endpoint a path (after a source's name, or at the root) names.
fn endpoint(rest: &str) -> Option<Endpoint> {
    if let Some(signal) = rest.strip_prefix("v1/") {
        return Signal::from_path(signal).map(Endpoint::Signal);
    }
    Some(match rest {
        "services/collector" | "services/collector/event" | "services/collector/event/1.0" => Endpoint::HecEvent,
        "services/collector/raw" | "services/collector/raw/1.0" => Endpoint::HecRaw,
        "services/collector/health" | "services/collector/health/1.0" => Endpoint::HecHealth,
        "api/v2/logs" => Endpoint::DatadogLogs,
        "loki/api/v1/push" => Endpoint::LokiPush,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(parse("/healthz"), Route::Health);
        assert_eq!(parse("/healthz/?x"), Route::Health);
        assert_eq!(parse("/"), Route::Root(Some(Endpoint::Bare)));
        assert_eq!(parse(""), Route::Root(Some(Endpoint::Bare)));
        assert_eq!(parse("/v1/traces"), Route::Root(Some(Endpoint::Signal(Signal::Traces))));
        assert_eq!(parse("/v1/nope"), Route::Root(None));
        assert_eq!(
            parse("/services/collector?channel=x"),
            Route::Root(Some(Endpoint::HecEvent))
        );
        assert_eq!(
            parse("/services/collector/raw/1.0"),
            Route::Root(Some(Endpoint::HecRaw))
        );
        assert_eq!(
            parse("/api/v2/logs?dd-api-key=k"),
            Route::Root(Some(Endpoint::DatadogLogs))
        );
        assert_eq!(parse("/loki/api/v1/push"), Route::Root(Some(Endpoint::LokiPush)));
        assert_eq!(parse("/api/v1/logs"), Route::Root(None));
        assert_eq!(
            parse("/app?x=1"),
            Route::Named {
                name: "app",
                endpoint: Some(Endpoint::Bare)
            }
        );
        assert_eq!(
            parse("/app/"),
            Route::Named {
                name: "app",
                endpoint: Some(Endpoint::Bare)
            }
        );
        assert_eq!(
            parse("/otel/v1/logs"),
            Route::Named {
                name: "otel",
                endpoint: Some(Endpoint::Signal(Signal::Logs))
            }
        );
        assert_eq!(
            parse("/hec/services/collector/event/1.0"),
            Route::Named {
                name: "hec",
                endpoint: Some(Endpoint::HecEvent)
            }
        );
        assert_eq!(
            parse("/otel/x"),
            Route::Named {
                name: "otel",
                endpoint: None
            }
        );
        assert_eq!(query_of("/a/b?x=1&y"), "x=1&y");
        assert_eq!(query_of("/a/b"), "");
    }
}
