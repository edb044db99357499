//! drain's compaction Worker (`wrangler.compact.toml`): on its Cron Trigger, drain-compact's
//! protocol over the R2 bucket the drain Worker writes, bound as `LOGS`. A Worker of its own, so
//! the ingest Worker carries none of this code (its upload and start-up stay as they were).
//! The store is `drain-r2`'s, the ingest Worker's. Every R2 call is a subrequest: a run stops
//! at `DRAIN_COMPACT_BUDGET` calls (default 900, under the paid plan's 1,000) and the next Cron
//! run goes on from there (a generation takes at most a third of it in inputs; deletes go 1,000
//! keys to a call); outputs stay within 16 MiB of input and a Parquet output holds at most 24 MiB
//! of lines, well inside 128 MB.

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
    let mut settings = match Settings::from_vars(|v| env.var(v).ok().map(|x| x.to_string())) {
        Ok(s) => s,
        Err(e) => return worker::console_error!("compaction: {e}"),
    };
    let budget = env
        .var("DRAIN_COMPACT_BUDGET")
        .ok()
        .and_then(|v| v.to_string().parse().ok())
        .unwrap_or(900);
    let r2 = R2::from_env(env, budget);
    if let Err(e) = r2.binding() {
        return worker::console_error!("compaction: no R2 binding {}: {e}", drain_r2::BINDING);
    }
    // A generation costs a call per input and about ten more: a third of the budget lets a run
    // that begins with a pending one finish it and start the next.
    settings.max_inputs = (budget / 3).clamp(2, 300) as usize;
    settings.max_input_bytes = 16 << 20;
    // A Parquet output holds its lines while it sorts them, within the isolate's 128 MB.
    settings.max_table_bytes = 24 << 20;
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
    let mut line = r.json();
    line["errors"] = r.errors.len().into();
    line["unreadable"] = r.unreadable.len().into();
    line["r2_calls"] = r2.calls().into();
    worker::console_log!("{line}");
}
