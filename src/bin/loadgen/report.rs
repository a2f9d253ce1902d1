//! The printed result: per-route rate and latency, server memory and CPU, the write check.

use crate::generate::WriteCheck;
use crate::server::Usage;
use crate::traffic::Outcome;

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    let index = rank.clamp(1, sorted.len()) - 1;
    f64::from(sorted[index]) / 1000.0
}

pub fn print(outcome: &Outcome, usage: &Usage, check: &WriteCheck) {
    let seconds = outcome.measured.as_secs_f64().max(0.001);
    println!();
    println!(
        "measured {:.1} s with {} therapists and {} patients signed in",
        seconds, outcome.users.0, outcome.users.1
    );
    println!(
        "{:<44} {:>8} {:>9} {:>8} {:>8} {:>8} {:>8} {:>7}",
        "route", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors"
    );
    let mut total = 0_usize;
    let mut errors = 0_u64;
    for (route, stats) in &outcome.routes {
        let mut sorted = stats.micros.clone();
        sorted.sort_unstable();
        total += sorted.len();
        errors += stats.errors;
        println!(
            "{:<44} {:>8} {:>9.1} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>7}",
            route,
            sorted.len(),
            sorted.len() as f64 / seconds,
            percentile(&sorted, 0.50),
            percentile(&sorted, 0.95),
            percentile(&sorted, 0.99),
            percentile(&sorted, 1.0),
            stats.errors
        );
        for example in &stats.error_examples {
            println!("    error: {example}");
        }
    }
    println!(
        "{:<44} {:>8} {:>9.1} {:>44}",
        "all routes",
        total,
        total as f64 / seconds,
        errors
    );
    if outcome.signins_skipped > 0 {
        println!(
            "sign-ins skipped because {} were already waiting: {}",
            200, outcome.signins_skipped
        );
    }
    match usage.peak_kib {
        Some(kib) => println!(
            "server peak memory (VmHWM): {:.1} MB ({})",
            kib as f64 / 1024.0,
            usage.detail
        ),
        None => println!("server peak memory: unavailable"),
    }
    if let Some(bytes) = usage.wal_bytes {
        println!(
            "SQLite WAL file at the end (the most it held): {:.1} MB",
            bytes as f64 / 1_048_576.0
        );
    }
    if let Some((server, client, machine)) = outcome.cpu {
        println!(
            "CPU while measured: server {:.2} cores, load generator {:.2} cores, \
             other processes on the machine {:.2} cores",
            server / seconds,
            client / seconds,
            ((machine - server - client) / seconds).max(0.0)
        );
    }
    println!(
        "server log: {} ({} warnings or errors)",
        usage.log.display(),
        usage.warnings
    );
    println!(
        "write check: pain scores acknowledged {}, lost {}, duplicated {}, \
         unacknowledged but stored {}; programme versions acknowledged {}, lost {}, \
         beyond the saves sent {}, with a wrong item count {} → {}",
        check.pain_acked,
        check.pain_lost,
        check.pain_duplicated,
        check.pain_unacked_stored,
        check.versions_acked,
        check.versions_lost,
        check.versions_extra,
        check.versions_wrong_items,
        if check.lost == 0 && check.duplicated == 0 {
            "OK"
        } else {
            "FAILED"
        }
    );
}
