//! One writer: every write transaction of a request goes through one thread, which
//! commits whatever is waiting together.
//!
//! Each write still runs as if alone: it gets its own savepoint, so a write that fails is
//! undone without touching the others, and its caller hears back only once the commit
//! holding it is durable. Many writes share one commit (one fsync), and no two threads of
//! this process ever wait on each other for the database's write lock. On PostgreSQL the
//! audit chain head is locked by every write anyway, so one writer costs nothing there.
//!
//! On SQLite a checkpointer thread copies committed pages from the WAL back into the
//! database file. SQLite would otherwise do that copy (and its fsync) inside whichever
//! commit takes the WAL past 1,000 pages, and every write of that batch would wait for it.
//! Those copies never block anyone, so they cannot make the WAL start over while readers
//! keep arriving: under steady load the WAL grew by 75 MB a second (1.6 GB in 24 s of case
//! pages), on towards a full disk. When it passes `RESTART_AFTER_FRAMES`, the writer
//! itself, between two batches, brings the database file up to date so that its next
//! commit starts the WAL over (see `WalRestart`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use diesel::Connection;
use diesel::RunQueryDsl;
use diesel::connection::{AnsiTransactionManager, TransactionManager};

use super::{DbConn, DbManager};
use crate::error::AppError;

/// One queued write. It may run more than once: when PostgreSQL aborts its batch's
/// transaction to break a deadlock or a serialization conflict, the whole batch runs
/// again, and its caller hears only the outcome of the run that was settled.
trait QueuedWrite: Send {
    /// Runs the write on the open batch, in place of any earlier run's outcome.
    fn attempt(&mut self, conn: &mut DbConn) -> Attempt;
    /// Forgets the outcome of a run whose transaction was rolled back.
    fn forget(&mut self);
    /// Tells the caller how the write ended: its own outcome, unless the batch failed.
    fn finish(self: Box<Self>, batch_error: Option<AppError>);
}

enum Attempt {
    Succeeded,
    Failed,
    /// The database aborted the whole transaction; the batch may run again.
    Aborted(AppError),
}

struct Write<T, F> {
    work: F,
    outcome: Option<Result<T, AppError>>,
    reply: tokio::sync::oneshot::Sender<Result<T, AppError>>,
}

impl<T, F> QueuedWrite for Write<T, F>
where
    T: Send,
    F: FnOnce(&mut DbConn) -> Result<T, AppError> + Clone + Send,
{
    fn attempt(&mut self, conn: &mut DbConn) -> Attempt {
        let outcome = (self.work.clone())(conn);
        let attempt = match &outcome {
            Ok(_) => Attempt::Succeeded,
            Err(AppError::Retryable(detail)) => {
                Attempt::Aborted(AppError::Retryable(detail.clone()))
            }
            Err(_) => Attempt::Failed,
        };
        self.outcome = Some(outcome);
        attempt
    }

    fn forget(&mut self) {
        self.outcome = None;
    }

    fn finish(self: Box<Self>, batch_error: Option<AppError>) {
        let result = match (self.outcome, batch_error) {
            (Some(Err(own)), _) => Err(own),
            (_, Some(batch_error)) => Err(batch_error),
            (Some(Ok(value)), None) => Ok(value),
            (None, None) => Err(AppError::Internal("the write did not run".into())),
        };
        let _ = self.reply.send(result);
    }
}

type Job = Box<dyn QueuedWrite>;

/// The most writes one commit carries.
const BATCH_LIMIT: usize = 256;
/// How many times a batch runs when the database keeps aborting it (a deadlock or a
/// serialization failure) before its writes are answered with the abort (a 503).
const BATCH_ATTEMPTS: u32 = 5;
/// How long the checkpointer lets commits gather before copying them back: a few
/// checkpoints (and database-file fsyncs) a second under load.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);
/// WAL pages (4 KiB each) past which the writer makes the WAL start over: 256 MiB, some
/// seconds of the heaviest load measured, so the pause it takes (up to ~30 ms, the
/// copy and the database file's fsync) comes rarely. The tests use 4 MiB.
const RESTART_AFTER_FRAMES: i64 = if cfg!(test) { 1024 } else { 65_536 };
/// How many batches in a row may try to start the WAL over without waiting for readers
/// (see `WalRestart`); then one try waits for them, and after that the tries pause for
/// `RESTART_RETRY_AFTER`.
const RESTART_TRIES: u32 = 20;
const RESTART_RETRY_AFTER: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct WriteQueue {
    jobs: mpsc::Sender<Job>,
}

impl WriteQueue {
    pub fn start(manager: DbManager) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let restart_due = Arc::new(AtomicBool::new(false));
        let checkpoint_due = if manager.is_sqlite() {
            Some(start_checkpointer(manager.clone(), restart_due.clone())?)
        } else {
            None
        };
        std::thread::Builder::new()
            .name("db-writer".into())
            .spawn(move || {
                let mut writer = Writer {
                    manager,
                    conn: None,
                    wal_restart: WalRestart::new(restart_due),
                };
                // Ends when every sender (every clone of the app state) is gone.
                while let Ok(first) = queue.recv() {
                    let mut batch = vec![first];
                    while batch.len() < BATCH_LIMIT {
                        match queue.try_recv() {
                            Ok(next) => batch.push(next),
                            Err(_) => break,
                        }
                    }
                    let batch_error = writer.settle(&mut batch);
                    if let (Some(due), true) = (&checkpoint_due, writer.conn.is_some()) {
                        // Full: a checkpoint is already on its way.
                        let _ = due.try_send(());
                    }
                    for job in batch {
                        job.finish(batch_error.clone());
                    }
                }
            })?;
        Ok(Self { jobs })
    }

    /// Runs `work` in a write transaction shared with other waiting writes, and returns
    /// once that transaction has committed (or with the error that stopped it). `work`
    /// is cloned for each run: it runs again if the database aborts its transaction.
    pub async fn write<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Clone + Send + 'static,
    {
        self.submit(work)?.durable().await
    }

    /// Queues `work` for the next shared write transaction now, so the caller can do
    /// other work while it commits; `Pending::durable` waits for the outcome.
    pub fn submit<T, F>(&self, work: F) -> Result<Pending<T>, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Clone + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel::<Result<T, AppError>>();
        let job: Job = Box::new(Write {
            work,
            outcome: None,
            reply,
        });
        self.jobs
            .send(job)
            .map_err(|_| AppError::Unavailable("the database writer has stopped".into()))?;
        Ok(Pending(answer))
    }
}

/// A write handed to the writer, not yet known to be durable.
pub struct Pending<T>(tokio::sync::oneshot::Receiver<Result<T, AppError>>);

impl<T> Pending<T> {
    /// Waits until the write's transaction has committed, or for the error that stopped it.
    pub async fn durable(self) -> Result<T, AppError> {
        self.0
            .await
            .map_err(|_| AppError::Unavailable("the database writer has stopped".into()))?
    }

    /// `durable`, for a thread outside the async runtime.
    pub fn wait(self) -> Result<T, AppError> {
        self.0
            .blocking_recv()
            .map_err(|_| AppError::Unavailable("the database writer has stopped".into()))?
    }
}

/// The writer thread's state: its connection, replaced whenever it is lost.
struct Writer {
    manager: DbManager,
    conn: Option<DbConn>,
    wal_restart: WalRestart,
}

impl Writer {
    /// Runs a batch until it commits or fails for good, and returns the error its writes
    /// hear (`None` if it committed).
    fn settle(&mut self, batch: &mut [Job]) -> Option<AppError> {
        let mut aborts = 0;
        let mut reopened = false;
        loop {
            if self.conn.as_mut().is_some_and(super::is_broken) {
                self.conn = None;
            }
            let conn = match &mut self.conn {
                Some(conn) => conn,
                slot @ None => match self.manager.open_writer() {
                    Ok(conn) => slot.insert(conn),
                    Err(error) => {
                        tracing::warn!(%error, "the writer could not open the database");
                        return Some(AppError::Unavailable(
                            "the database cannot be opened".into(),
                        ));
                    }
                },
            };
            self.wal_restart.before_batch(conn);
            let is_postgres = matches!(conn, DbConn::Pg(_));
            let failure = match run_batch(conn, batch) {
                Ok(()) => return None,
                Err(failure) => failure,
            };
            if !failure.healthy {
                // Start the next run on a fresh connection, whatever state this one is in.
                self.conn = None;
            }
            match failure.error {
                AppError::Retryable(_) if aborts + 1 < BATCH_ATTEMPTS => {
                    aborts += 1;
                    tracing::info!(
                        attempt = aborts + 1,
                        writes = batch.len(),
                        "the database aborted a write batch (deadlock or serialization failure); running it again"
                    );
                }
                // On PostgreSQL a transaction that could not even start found its connection
                // closed (a server restart, a terminated backend); nothing of it ran, so it
                // runs once more on a new connection. On SQLite it met a lock held elsewhere
                // for the whole busy timeout, and waiting again would only double the wait.
                _ if !failure.started && is_postgres && !reopened => {
                    reopened = true;
                    self.conn = None;
                }
                error => return Some(error),
            }
            for job in batch.iter_mut() {
                job.forget();
            }
        }
    }
}

/// The writer's side of starting the WAL over. SQLite starts it over by itself in a
/// commit that begins when every WAL page is already in the database file and no reader
/// still reads the WAL. So before a batch, the writer copies what the checkpointer has not
/// yet copied (the commits of the last few milliseconds); readers that start after that
/// read the database file alone, and the batch's commit then writes the WAL from its start.
/// A reader caught mid-read leaves the WAL as it is, and the next batch tries again; only
/// after `RESTART_TRIES` such tries does the writer wait for readers, briefly.
struct WalRestart {
    /// Raised by the checkpointer when the WAL is past `RESTART_AFTER_FRAMES`.
    due: Arc<AtomicBool>,
    tries: u32,
    /// After `RESTART_TRIES` tries in a row (a long read, an export, holds the WAL), the
    /// next ones wait until then.
    paused_until: Instant,
}

impl WalRestart {
    fn new(due: Arc<AtomicBool>) -> Self {
        Self {
            due,
            tries: 0,
            paused_until: Instant::now(),
        }
    }

    fn before_batch(&mut self, conn: &mut DbConn) {
        if !self.due.load(Ordering::Relaxed) || Instant::now() < self.paused_until {
            return;
        }
        let copied = if self.tries == RESTART_TRIES {
            // Readers keep arriving that each read longer than a batch takes: wait for
            // the ones reading the WAL, ~10 ms at most.
            restart_checkpoint(conn)
        } else {
            passive_checkpoint(conn)
        };
        match copied {
            // The last batch started it over.
            Ok(result) if result.log < RESTART_AFTER_FRAMES => self.done(),
            Ok(_) if self.tries <= RESTART_TRIES => self.tries += 1,
            Ok(_) => {
                self.done();
                self.paused_until = Instant::now() + RESTART_RETRY_AFTER;
            }
            Err(error) => {
                tracing::warn!(%error, "WAL checkpoint failed; a later one retries it");
                self.done();
            }
        }
    }

    fn done(&mut self) {
        self.tries = 0;
        self.due.store(false, Ordering::Relaxed);
    }
}

/// Copies what no reader still needs from the WAL into the database file, never waiting
/// for anyone; the rest is left for the next time.
fn passive_checkpoint(conn: &mut DbConn) -> diesel::QueryResult<CheckpointResult> {
    diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result::<CheckpointResult>(conn)
}

/// Copies the whole WAL into the database file and waits until no reader reads the WAL,
/// for 10 ms at most: a long read (an export) may hold it for seconds, and every write
/// waits meanwhile.
fn restart_checkpoint(conn: &mut DbConn) -> diesel::QueryResult<CheckpointResult> {
    diesel::sql_query("PRAGMA busy_timeout = 10").execute(conn)?;
    let result =
        diesel::sql_query("PRAGMA wal_checkpoint(RESTART)").get_result::<CheckpointResult>(conn);
    diesel::sql_query(super::SQLITE_BUSY_TIMEOUT).execute(conn)?;
    result
}

#[derive(diesel::QueryableByName)]
struct CheckpointResult {
    /// How many pages the WAL holds.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    log: i64,
}

/// Starts the thread that checkpoints the WAL after commits; it ends with the writer.
fn start_checkpointer(
    manager: DbManager,
    restart_due: Arc<AtomicBool>,
) -> std::io::Result<mpsc::SyncSender<()>> {
    let (due, notices) = mpsc::sync_channel::<()>(1);
    std::thread::Builder::new()
        .name("db-checkpoint".into())
        .spawn(move || {
            let mut conn: Option<DbConn> = None;
            while notices.recv().is_ok() {
                std::thread::sleep(CHECKPOINT_EVERY);
                // Notices that came during the sleep are served by this round. If the writer
                // has stopped (the app is closing, or a test removed its files), opening a
                // connection now would create the database file anew.
                let writer_stopped = loop {
                    match notices.try_recv() {
                        Ok(()) => continue,
                        Err(mpsc::TryRecvError::Empty) => break false,
                        Err(mpsc::TryRecvError::Disconnected) => break true,
                    }
                };
                if writer_stopped {
                    break;
                }
                if conn.is_none() {
                    conn = manager.open().ok();
                }
                let Some(c) = conn.as_mut() else { continue };
                match passive_checkpoint(c) {
                    Ok(result) if result.log >= RESTART_AFTER_FRAMES => {
                        restart_due.store(true, Ordering::Relaxed);
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(%error, "WAL checkpoint failed; the next commit retries it");
                        conn = None;
                    }
                }
            }
        })?;
    Ok(due)
}

/// Why a run of a batch did not commit; its transaction is rolled back.
struct BatchFailure {
    error: AppError,
    /// Whether the transaction began (and any write of the batch ran).
    started: bool,
    /// Whether the connection is still in a known state.
    healthy: bool,
}

/// Begins a batch's transaction. On PostgreSQL its first lock is the audit chain head,
/// which nearly every write takes anyway: taken first, before any row a write touches,
/// it orders the transactions of every app instance on the database, so none holds a
/// row another waits for while waiting for the head itself (a deadlock).
fn begin(conn: &mut DbConn) -> diesel::QueryResult<()> {
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE"),
        DbConn::Pg(c) => {
            use crate::db::schema::audit_chain_head;
            use diesel::prelude::*;
            AnsiTransactionManager::begin_transaction(c)?;
            audit_chain_head::table
                .find(1)
                .select(audit_chain_head::last_id)
                .for_update()
                .first::<i64>(c)
                .map(|_| ())
        }
    }
}

/// One transaction for the whole batch, one savepoint per write.
fn run_batch(conn: &mut DbConn, batch: &mut [Job]) -> Result<(), BatchFailure> {
    if let Err(error) = begin(conn) {
        // A lock held elsewhere or a lost server: the next run starts on a new connection.
        return Err(BatchFailure {
            error: error.into(),
            started: false,
            healthy: false,
        });
    }
    // Set when the transaction itself is lost (SQLite rolls the whole transaction back on
    // a full disk or an I/O error; PostgreSQL aborts it to break a deadlock): then nothing
    // in the batch may be reported as stored.
    let mut lost: Option<AppError> = None;
    for job in batch.iter_mut() {
        if let Err(error) = run(conn, "SAVEPOINT physiocase_write") {
            lost = Some(error.into());
            break;
        }
        // A panicking write loses the batch, never the writer thread.
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.attempt(conn)));
        let closed = match ran {
            Ok(Attempt::Succeeded) => run(conn, "RELEASE physiocase_write"),
            Ok(Attempt::Failed) => run(conn, "ROLLBACK TO physiocase_write")
                .and_then(|()| run(conn, "RELEASE physiocase_write")),
            Ok(Attempt::Aborted(error)) => {
                lost = Some(error);
                break;
            }
            Err(_) => {
                lost = Some(AppError::Internal("a write panicked".into()));
                break;
            }
        };
        if let Err(error) = closed {
            lost = Some(error.into());
            break;
        }
    }
    let committed = match lost {
        Some(error) => Err(error),
        None => <DbConn as Connection>::TransactionManager::commit_transaction(conn)
            .map_err(AppError::from),
    };
    let Err(error) = committed else {
        return Ok(());
    };
    let healthy = <DbConn as Connection>::TransactionManager::rollback_transaction(conn).is_ok();
    if !matches!(error, AppError::Retryable(_)) {
        tracing::warn!(%error, writes = batch.len(), "a write batch was not committed");
    }
    Err(BatchFailure {
        error,
        started: true,
        healthy,
    })
}

/// Runs one fixed statement as a prepared statement, which the connection keeps: a
/// savepoint per write then costs a step, not a parse.
fn run(conn: &mut DbConn, statement: &'static str) -> diesel::QueryResult<()> {
    diesel::sql_query(statement).execute(conn).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::DatabaseUrl;
    use crate::db::test_files::{remove_database, temp_database};
    use diesel::sql_types::BigInt;

    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    fn count(conn: &mut DbConn) -> Result<i64, AppError> {
        Ok(diesel::sql_query("SELECT count(*) AS n FROM notes")
            .get_result::<Count>(conn)?
            .n)
    }

    #[derive(diesel::QueryableByName)]
    struct CompileOption {
        #[diesel(sql_type = diesel::sql_types::Text)]
        compile_options: String,
    }

    #[test]
    fn sqlite_is_built_as_the_config_says() -> Result<(), AppError> {
        let mut conn = DbConn::Sqlite(
            <diesel::SqliteConnection as Connection>::establish(":memory:")
                .map_err(|e| AppError::Internal(e.to_string()))?,
        );
        let options: Vec<String> = diesel::sql_query("PRAGMA compile_options")
            .load::<CompileOption>(&mut conn)?
            .into_iter()
            .map(|o| o.compile_options)
            .collect();
        for wanted in ["THREADSAFE=2", "ENABLE_QPSG", "DEFAULT_MEMSTATUS=0"] {
            assert!(
                options.iter().any(|o| o == wanted),
                "{wanted} missing from {options:?}"
            );
        }
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_checkpointer_lets_the_wal_start_over() -> Result<(), AppError> {
        let path = temp_database("checkpoint");
        let wal = std::path::PathBuf::from(format!("{}-wal", path.display()));
        let queue = WriteQueue::start(DbManager::new(DatabaseUrl::Sqlite(path.clone())))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        queue
            .write(|c| Ok(run(c, "CREATE TABLE notes (body BLOB NOT NULL)")?))
            .await?;
        // Each round commits ~60 writes of 8 KiB one by one: ~180 WAL pages.
        let round = |queue: WriteQueue| async move {
            for _ in 0..60 {
                queue
                    .write(|c| Ok(run(c, "INSERT INTO notes (body) VALUES (zeroblob(8192))")?))
                    .await?;
            }
            Ok::<_, AppError>(())
        };
        round(queue.clone()).await?;
        let after_first = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        // The writer never checkpoints itself; the checkpointer copies the round back.
        tokio::time::sleep(CHECKPOINT_EVERY * 4).await;
        round(queue.clone()).await?;
        let after_second = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        assert!(after_first > 500_000, "the first round filled the WAL");
        assert!(
            after_second < after_first + after_first / 4,
            "the second round reused the checkpointed WAL ({after_first} -> {after_second} bytes)"
        );
        drop(queue);
        remove_database(&path);
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_starts_over_while_readers_never_stop() -> Result<(), AppError> {
        let path = temp_database("restart");
        let wal = std::path::PathBuf::from(format!("{}-wal", path.display()));
        let manager = DbManager::new(DatabaseUrl::Sqlite(path.clone()));
        let queue =
            WriteQueue::start(manager.clone()).map_err(|e| AppError::Internal(e.to_string()))?;
        queue
            .write(|c| Ok(run(c, "CREATE TABLE notes (body BLOB NOT NULL)")?))
            .await?;
        // Two readers whose 1 ms read transactions overlap: some reader always holds a
        // snapshot, as on a busy clinic's case pages.
        let reading = Arc::new(AtomicBool::new(true));
        let readers: Vec<_> = (0..2)
            .map(|n| {
                let manager = manager.clone();
                let reading = reading.clone();
                std::thread::spawn(move || -> Result<(), AppError> {
                    let mut conn = manager.open()?;
                    std::thread::sleep(Duration::from_micros(500 * n));
                    while reading.load(Ordering::Relaxed) {
                        crate::db::read_tx(&mut conn, |c| {
                            count(c)?;
                            std::thread::sleep(Duration::from_millis(1));
                            Ok::<(), AppError>(())
                        })?;
                    }
                    Ok(())
                })
            })
            .collect();
        // 800 writes of 32 KiB, one a millisecond: some 7,000 WAL pages (28 MiB) in all.
        let mut largest_wal = 0;
        for _ in 0..800 {
            queue
                .write(|c| Ok(run(c, "INSERT INTO notes (body) VALUES (zeroblob(32768))")?))
                .await?;
            tokio::time::sleep(Duration::from_millis(1)).await;
            largest_wal = largest_wal.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
        }
        reading.store(false, Ordering::Relaxed);
        for reader in readers {
            reader
                .join()
                .map_err(|_| AppError::Internal("a reader panicked".into()))??;
        }
        let limit = (RESTART_AFTER_FRAMES as u64) * 4096 * 3;
        assert!(
            largest_wal < limit,
            "the WAL reached {largest_wal} bytes; it should start over near {} bytes",
            RESTART_AFTER_FRAMES * 4096
        );
        assert_eq!(queue.write(count).await?, 800);
        drop(queue);
        remove_database(&path);
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_write_is_undone_alone_and_the_others_are_stored() -> Result<(), AppError> {
        let path = temp_database("writer");
        let url = DatabaseUrl::Sqlite(path.clone());
        let queue = WriteQueue::start(DbManager::new(url.clone()))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        queue
            .write(|c| Ok(run(c, "CREATE TABLE notes (n INTEGER NOT NULL)")?))
            .await?;
        // Sent together, so most share a batch; write 7 inserts and then fails.
        let writes = (0..20).map(|i| {
            let queue = queue.clone();
            tokio::spawn(async move {
                queue
                    .write(move |c| {
                        diesel::sql_query(format!("INSERT INTO notes (n) VALUES ({i})"))
                            .execute(c)?;
                        if i == 7 {
                            return Err(AppError::BadRequest("refused after writing".into()));
                        }
                        Ok(i)
                    })
                    .await
            })
        });
        let mut stored = 0;
        for write in writes.collect::<Vec<_>>() {
            match write.await.map_err(|e| AppError::Internal(e.to_string()))? {
                Ok(_) => stored += 1,
                Err(AppError::BadRequest(_)) => {}
                Err(other) => return Err(other),
            }
        }
        assert_eq!(stored, 19);
        let rows = queue.write(count).await?;
        assert_eq!(
            rows, 19,
            "the failed write left nothing, the others are all there"
        );
        drop(queue);
        remove_database(&path);
        // The checkpointer, woken by the last batch, must not open (and so create) the
        // database again once the writer has stopped.
        tokio::time::sleep(CHECKPOINT_EVERY * 2).await;
        assert!(!path.exists(), "{} was created again", path.display());
        Ok(())
    }
}
