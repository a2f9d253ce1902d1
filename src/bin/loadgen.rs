//! Load generator: builds a fresh clinic database of a chosen size, starts the server on
//! it as a child process, signs in therapists and patients, drives a realistic mix of
//! pages and writes for a fixed time, then prints per-route throughput and latency, the
//! server's peak memory, and whether every acknowledged write is stored exactly once.
//!
//! ```sh
//! cargo build --release --bin physiocase --bin loadgen
//! target/release/loadgen --patients 10000 --cases 20000 --scores 1000000 --versions 20000 \
//!     --database-url sqlite://target/loadgen/bench.db --seconds 30 --concurrency 32 --scenario mix
//! ```
//!
//! Every request goes to 127.0.0.1; every loop is bounded in time and in count.

#[path = "loadgen/generate.rs"]
mod generate;
#[path = "loadgen/report.rs"]
mod report;
#[path = "loadgen/server.rs"]
mod server;
#[path = "loadgen/traffic.rs"]
mod traffic;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use physiocase::db::DatabaseUrl;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// Therapists and patients doing everything they do in a day.
    Mix,
    /// Therapists opening case pages (timeline and pain chart) only.
    CasePage,
    /// Therapists searching patients only.
    Search,
    /// Therapists printing 10-exercise PDF sheets only.
    Pdf,
    /// Therapists and patients recording pain scores only.
    PainWrites,
    /// Page reads (dashboard, search, case page, portal) while fresh browsers sign in at
    /// --signins-per-second (0 gives the same pages without sign-ins, to compare).
    SigninUnderLoad,
}

/// Builds a fresh database, starts the server and measures it under load.
#[derive(Debug, Parser)]
#[command(version)]
pub struct Args {
    /// Patients in the generated clinic.
    #[arg(long, default_value_t = 10_000)]
    pub patients: u64,
    /// Cases (episodes of care); a patient's newest case is open, older ones discharged.
    #[arg(long, default_value_t = 20_000)]
    pub cases: u64,
    /// Pain scores over all cases (three per case come from the initial assessment).
    #[arg(long, default_value_t = 1_000_000)]
    pub scores: u64,
    /// Programme versions over all cases, each with 10 exercises.
    #[arg(long, default_value_t = 20_000)]
    pub versions: u64,
    /// sqlite://PATH or postgres://USER@HOST/DB. An existing database is replaced only if
    /// this tool made it; anything else is refused.
    #[arg(long, default_value = "sqlite://target/loadgen/bench.db")]
    pub database_url: String,
    /// Measured seconds of traffic (after the warm-up).
    #[arg(long, default_value_t = 30)]
    pub seconds: u64,
    /// Seconds of traffic before measuring starts (writes still count for the check).
    #[arg(long, default_value_t = 3)]
    pub warmup: u64,
    /// Signed-in virtual users, each with one request in flight at a time.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    #[arg(long, value_enum, default_value_t = Scenario::Mix)]
    pub scenario: Scenario,
    /// Open loop: send this many requests per second in all, spread evenly over the virtual
    /// users, and time each from when it was due (so a slow answer that delays the next
    /// request counts against the server). Without it, each user sends as soon as its last
    /// answer arrives (closed loop: the highest rate the server sustains).
    #[arg(long)]
    pub rate: Option<f64>,
    /// Sign-ins per second in the signin-under-load scenario.
    #[arg(long, default_value_t = 20)]
    pub signins_per_second: u32,
    /// The server binary (default: `physiocase` next to this program).
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
    /// Server worker threads (default: the server's own default, one per core).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Server database pool size (default: the server's own default).
    #[arg(long)]
    pub db_pool_size: Option<u32>,
    /// Extra environment for the server, KEY=VALUE (repeatable), e.g. MALLOC_ARENA_MAX=2
    /// to see what the allocator's per-thread arenas cost in memory.
    #[arg(long = "server-env", value_name = "KEY=VALUE")]
    pub server_env: Vec<String>,
    /// Threads of this load generator (they share the machine with the server).
    #[arg(long, default_value_t = 1)]
    pub client_threads: usize,
    /// Seed of the generated clinic and of the traffic.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(message) => {
            eprintln!("loadgen: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Ok(false) when a write was lost or duplicated.
fn run(args: &Args) -> Result<bool, String> {
    if args.concurrency == 0 || args.patients == 0 || args.cases < args.patients {
        return Err("need --concurrency ≥ 1, --patients ≥ 1 and --cases ≥ --patients".into());
    }
    let url = DatabaseUrl::parse(&args.database_url).map_err(|e| e.to_string())?;
    let server_bin = match &args.server_bin {
        Some(path) => path.clone(),
        None => std::env::current_exe()
            .map_err(|e| format!("where am I: {e}"))?
            .with_file_name("physiocase"),
    };
    if !server_bin.exists() {
        return Err(format!(
            "no server binary at {} (build it: cargo build --release --bin physiocase)",
            server_bin.display()
        ));
    }
    println!(
        "loadgen {} | scenario {:?} | {} s (+{} s warm-up) | concurrency {}{} | {} | {} cores",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        args.scenario,
        args.seconds,
        args.warmup,
        args.concurrency,
        match args.rate {
            Some(rate) => format!(", open loop at {rate} req/s"),
            None => ", closed loop".to_owned(),
        },
        url,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );

    let started = Instant::now();
    let sizes = generate::Sizes {
        patients: args.patients,
        cases: args.cases,
        scores: args.scores,
        versions: args.versions,
    };
    let clinic = std::sync::Arc::new(generate::build(&url, &sizes, args.seed)?);
    println!(
        "database built in {:.1} s: {}",
        started.elapsed().as_secs_f64(),
        clinic.counts
    );
    if let DatabaseUrl::Sqlite(path) = &url {
        match server::commit_probe(path) {
            Ok(probe) => println!("{probe}"),
            Err(e) => println!("commit probe skipped: {e}"),
        }
    }

    let server = server::Server::start(&server_bin, &url, args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads.max(1))
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let outcome = runtime.block_on(traffic::run(
        server.base_url(),
        server.pid(),
        clinic.clone(),
        args,
    ));
    let usage = server.stop();
    let outcome = outcome?;
    let check = generate::check_writes(&url, &clinic, &outcome.acks)?;
    report::print(&outcome, &usage, &check);
    Ok(check.lost == 0 && check.duplicated == 0)
}
