//! drain's compaction Worker (`wrangler.compact.toml`): on its Cron Trigger, drain-compact's
//! protocol over the R2 bucket the drain Worker writes, bound as `LOGS`. A Worker of its own, so
//! the ingest Worker carries none of this code (its upload and start-up stay as they were).
//! The store is `drain-r2`'s, the ingest Worker's. Every R2 call is a subrequest: a run stops
//! at `DRAIN_COMPACT_BUDGET` calls (default 900, under the paid plan's 1,000) and the next Cron
//! run goes on from there (`Settings::for_workers`; deletes go 1,000 keys to a call).

#![forbid(unsafe_code)]

use drain_compact::Settings;
use drain_r2::R2;
use worker::{event, Env, ScheduleContext, ScheduledEvent};

#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    run(&env).await;
}

/// One compaction run; its summary goes to Workers Logs. The prefixes, format and tables prefix
/// are the vars of `Settings::from_vars`: the drain Worker's config's.
async fn run(env: &Env) {
    let (settings, budget) = match Settings::for_workers(|v| env.var(v).ok().map(|x| x.to_string())) {
        Ok(s) => s,
        Err(e) => return worker::console_error!("compaction: {e}"),
    };
    let r2 = R2::from_env(env, budget);
    if let Err(e) = r2.binding() {
        return worker::console_error!("compaction: no R2 binding {}: {e}", drain_r2::BINDING);
    }
    let now_ms = worker::Date::now().as_millis();
    let r = match drain_compact::run_checked(
        &r2,
        &settings,
        (now_ms / 1000) as i64,
        &format!("worker-{now_ms}"),
        &|_, _| {},
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return worker::console_error!("{e}"),
    };
    for w in r.warnings() {
        worker::console_warn!("{w}");
    }
    // The lists are in the warnings above; the summary line counts them.
    let mut line = r.counted_json();
    line["r2_calls"] = r2.calls().into();
    worker::console_log!("{line}");
}
