//! The server under test as a child process: start, wait for health, measure, stop.

use std::fs::File;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};
use physiocase::db::DatabaseUrl;

use crate::Args;

pub struct Server {
    child: Child,
    base_url: String,
    log: PathBuf,
    /// The SQLite WAL file, whose size never shrinks while the server runs: its size at
    /// the end is the most the WAL held.
    wal: Option<PathBuf>,
}

pub struct Usage {
    /// Peak resident memory (VmHWM) in KiB.
    pub peak_kib: Option<u64>,
    /// The rest of /proc/PID/status that explains memory: resident kinds and threads.
    pub detail: String,
    pub log: PathBuf,
    pub warnings: usize,
    /// The SQLite WAL file's size at the end, in bytes.
    pub wal_bytes: Option<u64>,
}

fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind(("127.0.0.1", 0)).map_err(|e| format!("find a free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("find a free port: {e}"))
}

/// One plain HTTP/1.0 GET of /healthz; true on a 200.
fn healthy(addr: SocketAddr) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0_u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.") && &head[9..12] == b"200"
}

/// How long the server may take to start: it reads the whole SQLite file once
/// (`PRAGMA quick_check`) before it serves, and a slow disk reads 3 GB in minutes.
fn startup_allowance(url: &DatabaseUrl) -> Duration {
    let file_bytes = match url {
        DatabaseUrl::Sqlite(path) => std::fs::metadata(path).map_or(0, |m| m.len()),
        DatabaseUrl::Postgres(_) => 0,
    };
    // 60 s, plus a second for every 5 MB: at least 5 MB/s, however slow the sitting.
    Duration::from_secs(60 + file_bytes / 5_000_000)
}

impl Server {
    pub fn start(bin: &Path, url: &DatabaseUrl, args: &Args) -> Result<Self, String> {
        let port = free_port()?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let log = std::env::temp_dir().join(format!("loadgen-server-{port}.log"));
        let log_file = File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let log_err = log_file
            .try_clone()
            .map_err(|e| format!("{}: {e}", log.display()))?;
        let url_text = match url {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(raw) => raw.clone(),
        };
        let mut command = Command::new(bin);
        command
            .arg("serve")
            .arg("--bind")
            .arg(addr.to_string())
            .arg("--database-url")
            .arg(url_text)
            // One address signs everyone in: the per-address and per-account limits would
            // otherwise refuse the virtual users. The hashing itself is unchanged.
            .arg("--signin-per-ip-per-minute")
            .arg("1000000")
            .arg("--signin-per-account-per-minute")
            .arg("100000")
            .env("RUST_LOG", "warn")
            // As the README's deployment sets it.
            .env("MIMALLOC_PURGE_DELAY", "100")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log_file))
            .stderr(Stdio::from(log_err));
        for pair in &args.server_env {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("--server-env {pair:?} is not KEY=VALUE"))?;
            command.env(key, value);
        }
        if let Some(workers) = args.workers {
            command.arg("--workers").arg(workers.to_string());
        }
        if let Some(pool) = args.db_pool_size {
            command.arg("--db-pool-size").arg(pool.to_string());
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("start {}: {e}", bin.display()))?;
        let allowed = startup_allowance(url);
        let started = Instant::now();
        let deadline = started + allowed;
        loop {
            if healthy(addr) {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                let output = std::fs::read_to_string(&log).unwrap_or_default();
                return Err(format!("the server exited ({status}) at start:\n{output}"));
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "the server did not answer /healthz within {} s",
                    allowed.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        println!(
            "server pid {} on {addr}, answering after {:.1} s, log {}",
            child.id(),
            started.elapsed().as_secs_f64(),
            log.display()
        );
        let wal = match url {
            DatabaseUrl::Sqlite(path) => Some(PathBuf::from(format!("{}-wal", path.display()))),
            DatabaseUrl::Postgres(_) => None,
        };
        Ok(Self {
            child,
            base_url: format!("http://{addr}"),
            log,
            wal,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Reads the peak memory, then stops the server.
    pub fn stop(mut self) -> Usage {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse::<u64>().ok())
        };
        let peak_kib = field("VmHWM:");
        let wal_bytes = self
            .wal
            .as_ref()
            .and_then(|wal| std::fs::metadata(wal).ok())
            .map(|m| m.len());
        let detail = format!(
            "now: RssAnon {:.1} MB, RssFile {:.1} MB, RssShmem {:.1} MB, {} threads",
            field("RssAnon:").unwrap_or(0) as f64 / 1024.0,
            field("RssFile:").unwrap_or(0) as f64 / 1024.0,
            field("RssShmem:").unwrap_or(0) as f64 / 1024.0,
            field("Threads:").unwrap_or(0)
        );
        let _ = self.child.kill();
        let _ = self.child.wait();
        let warnings = std::fs::read_to_string(&self.log)
            .map(|text| {
                text.lines()
                    .filter(|l| l.contains("WARN") || l.contains("ERROR"))
                    .count()
            })
            .unwrap_or(0);
        Usage {
            peak_kib,
            detail,
            log: self.log.clone(),
            warnings,
            wal_bytes,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn cpu_of(stat_path: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(stat_path).ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // The kernel's USER_HZ is 100 on every Linux this runs on.
    Some((utime + stime) / 100.0)
}

/// (server, this program, the whole machine) CPU seconds used so far.
pub fn cpu_sample(server_pid: u32) -> Option<(f64, f64, f64)> {
    Some((
        cpu_of(&format!("/proc/{server_pid}/stat"))?,
        cpu_of("/proc/self/stat")?,
        machine_cpu_seconds()?,
    ))
}

/// CPU seconds the whole machine has been busy (every process), from /proc/stat.
fn machine_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let fields: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal: all but idle and iowait.
    let busy: f64 = [0, 1, 2, 5, 6, 7]
        .iter()
        .filter_map(|i| fields.get(*i))
        .sum();
    Some(busy / 100.0)
}

/// Times small write transactions with the app's settings (WAL, synchronous=FULL) on a
/// scratch file next to the database: the floor under every audited request.
pub fn commit_probe(database: &Path) -> Result<String, String> {
    let dir = database
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let path = dir.join(format!("loadgen-probe-{}.db", std::process::id()));
    let path_text = path
        .to_str()
        .ok_or_else(|| "the probe path is not UTF-8".to_owned())?;
    let result = (|| {
        let mut conn = SqliteConnection::establish(path_text).map_err(|e| e.to_string())?;
        conn.batch_execute(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
             CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);",
        )
        .map_err(|e| e.to_string())?;
        let mut times = Vec::new();
        for i in 0..300 {
            let started = Instant::now();
            conn.batch_execute(&format!(
                "BEGIN IMMEDIATE; INSERT INTO t (v) VALUES ('{i}'); COMMIT;"
            ))
            .map_err(|e| e.to_string())?;
            times.push(started.elapsed());
        }
        times.sort();
        let at = |p: usize| times[(times.len() - 1) * p / 100].as_secs_f64() * 1000.0;
        Ok::<_, String>(format!(
            "commit probe (WAL, synchronous=FULL, one-row write transactions on this disk): \
             p50 {:.3} ms, p99 {:.3} ms → at most ~{:.0} serial commits/s",
            at(50),
            at(99),
            1000.0 / at(50).max(0.001)
        ))
    })();
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
    result
}
