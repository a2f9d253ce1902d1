//! The database: one connection type over SQLite and PostgreSQL, chosen by URL scheme.

pub mod backup;
pub mod disk;
pub mod schema;
pub mod stamp;
pub mod writer;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to whichever backend the configured URL names.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

/// Runs one query on the backend's own connection: `native!(conn, |c| query.load(c))`.
///
/// Through the `DbConn` enum, diesel writes a query's whole SQL text again every time the
/// query runs (to collect its bind values), even when its prepared statement is cached:
/// on a case page that was a tenth of the server's time. On the backend's own connection
/// a cached statement is found by the query's type and no SQL is written. The query is
/// written once and compiled for each backend; the queries every request runs use this.
macro_rules! native {
    ($conn:expr, |$c:ident| $query:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite($c) => $query,
            $crate::db::DbConn::Pg($c) => $query,
        }
    };
}
pub(crate) use native;

/// The backend a boxed query names: one type for SQLite and PostgreSQL alike.
pub type DbBackend = <DbConn as diesel::Connection>::Backend;
pub type DbPool = r2d2::Pool<DbManager>;
pub type PooledConn = r2d2::PooledConnection<DbManager>;

/// Where the data lives. Parsed from the URL scheme, never guessed.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(
        "unsupported database URL scheme {0:?}: use sqlite://PATH, a plain file path, or postgres://…"
    )]
    UnknownScheme(String),
    #[error("could not open the database: {0}")]
    Connect(String),
    #[error("database migrations failed: {0}")]
    Migrate(String),
    #[error("the database file is not a usable SQLite database: {0}")]
    NotADatabase(String),
    #[error(
        "the disk holding the database is full (in {0}): free some space and start again; the database file itself is not at fault"
    )]
    DiskFull(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("no database connection available: {0}")]
    Pool(#[from] r2d2::PoolError),
}

impl From<DbError> for crate::error::AppError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Query(e) => e.into(),
            DbError::Pool(e) => Self::Unavailable(e.to_string()),
            // A new connection could not be opened: the server is down or restarting.
            DbError::Connect(e) => Self::Unavailable(e),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, DbError> {
        let raw = raw.trim();
        if let Some(rest) = raw
            .strip_prefix("postgres://")
            .or_else(|| raw.strip_prefix("postgresql://"))
        {
            let _ = rest;
            return Ok(Self::Postgres(raw.to_owned()));
        }
        if let Some(path) = raw.strip_prefix("sqlite://") {
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if let Some(path) = raw.strip_prefix("sqlite:") {
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        // Anything else with a scheme is a mistake, not a file name.
        if let Some((scheme, _)) = raw.split_once("://") {
            return Err(DbError::UnknownScheme(scheme.to_owned()));
        }
        if raw.is_empty() {
            return Err(DbError::UnknownScheme(String::new()));
        }
        Ok(Self::Sqlite(PathBuf::from(raw)))
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, Self::Sqlite(_))
    }
}

// Never print a PostgreSQL password into logs.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            Self::Postgres(url) => match url::Url::parse(url) {
                Ok(mut parsed) => {
                    if parsed.password().is_some() {
                        let _ = parsed.set_password(Some("***"));
                    }
                    write!(f, "{parsed}")
                }
                Err(_) => f.write_str("postgres://(unparsable)"),
            },
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// How long a SQLite connection waits for a lock before its request fails cleanly. The
/// writer sets it back to this after its brief wait for readers (see `writer`).
const SQLITE_BUSY_TIMEOUT: &str = "PRAGMA busy_timeout = 5000";

/// Opens connections for the pool and applies SQLite's per-connection settings.
#[derive(Debug, Clone)]
pub struct DbManager {
    url: DatabaseUrl,
}

impl DbManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }

    fn is_sqlite(&self) -> bool {
        self.url.is_sqlite()
    }

    /// The writer's connection. On SQLite it never copies the WAL back into the database
    /// file itself: the checkpointer does that on its own thread (see `writer`). It keeps
    /// SQLite's usual 2 MiB page cache: its own commits leave its cache valid.
    fn open_writer(&self) -> Result<DbConn, DbError> {
        let mut conn = self.open()?;
        if let DbConn::Sqlite(sqlite) = &mut conn {
            sqlite.batch_execute("PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -2000;")?;
        }
        Ok(conn)
    }

    fn open(&self) -> Result<DbConn, DbError> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                let path = path
                    .to_str()
                    .ok_or_else(|| DbError::Connect("the SQLite path is not UTF-8".into()))?;
                let mut conn = SqliteConnection::establish(path)
                    .map_err(|e| DbError::Connect(e.to_string()))?;
                // foreign_keys and busy_timeout are per connection; WAL persists in the file.
                // A reader's page cache is emptied by every commit of another connection,
                // several hundred times a second under load, so 1 MiB (a page's reads
                // need a few dozen pages) serves as well as SQLite's usual 2 MiB.
                conn.batch_execute(&format!(
                    "{SQLITE_BUSY_TIMEOUT};
                     PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = FULL;
                     PRAGMA foreign_keys = ON;
                     PRAGMA cache_size = -1024;"
                ))
                .map_err(|e| DbError::NotADatabase(e.to_string()))?;
                Ok(DbConn::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => {
                let mut conn =
                    PgConnection::establish(url).map_err(|e| DbError::Connect(e.to_string()))?;
                conn.batch_execute("SET TIME ZONE 'UTC'")?;
                Ok(DbConn::Pg(conn))
            }
        }
    }
}

impl ManageConnection for DbManager {
    type Connection = DbConn;
    type Error = DbError;

    fn connect(&self) -> Result<DbConn, DbError> {
        self.open()
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), DbError> {
        conn.batch_execute("SELECT 1").map_err(DbError::from)
    }

    /// A connection whose transaction could not be closed (the server went away mid-way,
    /// diesel then answers "the transaction manager is broken" to everything) is dropped
    /// when it comes back to the pool, never handed out again.
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        std::thread::panicking() || is_broken(conn)
    }
}

/// Whether a connection can no longer run a transaction: one was left open, or closing it
/// failed (diesel's transaction manager is then in error for good).
pub fn is_broken(conn: &mut DbConn) -> bool {
    diesel::r2d2::R2D2Connection::is_broken(conn)
}

/// Short reads on SQLite run on the thread that asks, over that thread's own connection.
///
/// SQLite is in-process and, in WAL mode, a reader never waits for the write lock, so a
/// page's reads cost less than handing them to another thread and back. PostgreSQL reads
/// wait on the network and keep going through the pool (this is `None` for PostgreSQL).
#[derive(Debug, Clone)]
pub struct InlineReader {
    /// Tells this app's connections from another app's in the same process (tests run many).
    app: u64,
    manager: DbManager,
}

thread_local! {
    static INLINE_READERS: std::cell::RefCell<Vec<(u64, DbConn)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

impl InlineReader {
    pub fn for_url(url: &DatabaseUrl) -> Option<Self> {
        static NEXT_APP: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        url.is_sqlite().then(|| Self {
            app: NEXT_APP.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            manager: DbManager::new(url.clone()),
        })
    }

    /// Runs `f` in a read transaction on this thread's connection, opening it the first time.
    pub fn read<T, E>(&self, f: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
    where
        E: From<DbError> + From<diesel::result::Error>,
    {
        INLINE_READERS.with(|cell| {
            // A read never starts another read, so the cell is free unless that rule breaks.
            let mut readers = cell
                .try_borrow_mut()
                .map_err(|_| DbError::Connect("a read was started inside another read".into()))?;
            let index = match readers.iter().position(|(app, _)| *app == self.app) {
                Some(index) => index,
                None => {
                    readers.push((self.app, self.manager.open()?));
                    readers.len() - 1
                }
            };
            read_tx(&mut readers[index].1, f)
        })
    }
}

/// Builds the pool, checks the file is a database, and runs the embedded migrations.
pub fn connect_and_migrate(url: &DatabaseUrl, max_size: u32) -> Result<DbPool, DbError> {
    let manager = DbManager::new(url.clone());
    // Open one connection first so a corrupt file or a wrong URL fails with its own message.
    let mut first = manager.open()?;
    run_migrations(&mut first)?;
    if let DbConn::Sqlite(_) = first {
        // Reads every page once: on a large file this is most of the start-up time.
        tracing::info!("checking the database file (PRAGMA quick_check)");
        check_sqlite_integrity(&mut first)?;
    }
    drop(first);
    r2d2::Pool::builder()
        .max_size(max_size)
        // Open connections as load needs them rather than all at start.
        .min_idle(Some(max_size.min(2)))
        // A PostgreSQL connection the server closed (a restart, a terminated backend) looks
        // like any other until it is used, and a failed `BEGIN` leaves nothing for
        // `has_broken` to see: a `SELECT 1` on checkout (one round trip) drops it and opens
        // a new one. A SQLite file does not go away under its connections. (Beginning the
        // read's transaction by hand and replacing the connection when that fails instead
        // gained 3 % on PostgreSQL's case page, 1,273 → 1,310/s: not worth the code.)
        .test_on_check_out(!url.is_sqlite())
        .connection_timeout(Duration::from_secs(10))
        .build(manager)
        .map_err(|e| DbError::Connect(e.to_string()))
}

fn run_migrations(conn: &mut DbConn) -> Result<(), DbError> {
    let outcome = match conn {
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
        DbConn::Pg(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
    };
    outcome.map_err(|e| DbError::Migrate(e.to_string()))
}

#[derive(diesel::QueryableByName)]
struct QuickCheck {
    #[diesel(sql_type = diesel::sql_types::Text)]
    quick_check: String,
}

fn check_sqlite_integrity(conn: &mut DbConn) -> Result<(), DbError> {
    let rows: Vec<QuickCheck> = diesel::sql_query("PRAGMA quick_check")
        .load(conn)
        .map_err(|e| DbError::NotADatabase(e.to_string()))?;
    match rows.first() {
        Some(row) if row.quick_check == "ok" => Ok(()),
        Some(row) => Err(DbError::NotADatabase(row.quick_check.clone())),
        None => Err(DbError::NotADatabase("quick_check returned nothing".into())),
    }
}

/// Runs `f` in one write transaction: `BEGIN IMMEDIATE` on SQLite (so it never
/// fails half-way on a lock upgrade), a plain transaction on PostgreSQL.
pub fn write_tx<T, E>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConn::Pg(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    match f(conn) {
        Ok(value) => match <DbConn as Connection>::TransactionManager::commit_transaction(conn) {
            Ok(()) => Ok(value),
            Err(commit_error) => {
                let _ = <DbConn as Connection>::TransactionManager::rollback_transaction(conn);
                Err(commit_error.into())
            }
        },
        Err(error) => {
            let _ = <DbConn as Connection>::TransactionManager::rollback_transaction(conn);
            Err(error)
        }
    }
}

/// Runs `f` in a read transaction so that a page sees one consistent snapshot.
pub fn read_tx<T, E>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    conn.transaction(f)
}

/// Throwaway SQLite files for unit tests.
#[cfg(test)]
pub(crate) mod test_files {
    /// A fresh database path in the temporary folder, unique to this test run.
    pub fn temp_database(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!(
            "physiocase-{name}-{}-{}.db",
            std::process::id(),
            crate::secrets::random_token()
        ))
    }

    /// Removes the database and its WAL and shared-memory files.
    pub fn remove_database(path: &std::path::Path) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_schemes_are_explicit() {
        assert!(matches!(
            DatabaseUrl::parse("postgres://u@h/db"),
            Ok(DatabaseUrl::Postgres(_))
        ));
        assert!(matches!(
            DatabaseUrl::parse("postgresql://u@h/db"),
            Ok(DatabaseUrl::Postgres(_))
        ));
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/x.db").ok(),
            Some(DatabaseUrl::Sqlite(PathBuf::from("data/x.db")))
        );
        assert_eq!(
            DatabaseUrl::parse("physiocase.db").ok(),
            Some(DatabaseUrl::Sqlite(PathBuf::from("physiocase.db")))
        );
        assert!(matches!(
            DatabaseUrl::parse("mysql://root@localhost/db"),
            Err(DbError::UnknownScheme(s)) if s == "mysql"
        ));
        assert!(matches!(
            DatabaseUrl::parse("postgre://typo@localhost/db"),
            Err(DbError::UnknownScheme(_))
        ));
    }

    #[test]
    fn postgres_password_is_hidden_when_printed() {
        let url = DatabaseUrl::parse("postgres://user:secret@localhost/db").ok();
        let shown = url.map(|u| u.to_string()).unwrap_or_default();
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("user"));
    }
}

/// Whether the database answers a query (the health check).
pub fn answers(conn: &mut DbConn) -> diesel::QueryResult<()> {
    conn.batch_execute("SELECT 1")
}
