//! Consistent copies of an SQLite database while the app runs, and restoring one.

use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};

use super::{DatabaseUrl, DbConn, DbError};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} already exists; choose a new file name (backups never overwrite)")]
    Exists(PathBuf),
    #[error(
        "this database is PostgreSQL: back it up with pg_dump, for example\n    pg_dump --format=custom --file=physiocase.dump \"$DATABASE_URL\"\nand restore with pg_restore into an empty database:\n    createdb physiocase_restored && pg_restore --dbname=physiocase_restored physiocase.dump"
    )]
    Postgres,
    #[error("the copy failed its integrity check: {0}")]
    Integrity(String),
    #[error("{0}")]
    Database(#[from] DbError),
    #[error("{0}")]
    Query(#[from] diesel::result::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

#[derive(diesel::QueryableByName)]
struct Check {
    #[diesel(sql_type = diesel::sql_types::Text)]
    integrity_check: String,
}

fn integrity(path: &Path) -> Result<(), BackupError> {
    let path_text = path
        .to_str()
        .ok_or_else(|| BackupError::Integrity("path is not UTF-8".into()))?;
    let mut conn = SqliteConnection::establish(path_text)
        .map_err(|e| BackupError::Integrity(e.to_string()))?;
    let rows: Vec<Check> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut conn)
        .map_err(|e| BackupError::Integrity(e.to_string()))?;
    match rows.first() {
        Some(row) if row.integrity_check == "ok" && rows.len() == 1 => Ok(()),
        Some(row) => Err(BackupError::Integrity(row.integrity_check.clone())),
        None => Err(BackupError::Integrity("no answer".into())),
    }
}

/// Writes a consistent copy with `VACUUM INTO` (safe while the app writes), then checks it.
pub fn backup(conn: &mut DbConn, target: &Path) -> Result<(), BackupError> {
    let DbConn::Sqlite(sqlite) = conn else {
        return Err(BackupError::Postgres);
    };
    if target.exists() {
        return Err(BackupError::Exists(target.to_owned()));
    }
    let quoted = target
        .to_str()
        .ok_or_else(|| BackupError::Integrity("path is not UTF-8".into()))?
        .replace('\'', "''");
    sqlite.batch_execute(&format!("VACUUM INTO '{quoted}'"))?;
    if let Err(e) = integrity(target) {
        let _ = std::fs::remove_file(target);
        return Err(e);
    }
    Ok(())
}

/// Copies a checked backup to the database path, which must not exist yet.
pub fn restore(source: &Path, url: &DatabaseUrl) -> Result<PathBuf, BackupError> {
    let DatabaseUrl::Sqlite(target) = url else {
        return Err(BackupError::Postgres);
    };
    for path in [
        target.clone(),
        PathBuf::from(format!("{}-wal", target.display())),
    ] {
        if path.exists() {
            return Err(BackupError::Exists(path));
        }
    }
    integrity(source)?;
    // Copy to a temporary name first so a half-copied file is never taken for a database.
    let partial = PathBuf::from(format!("{}.restoring", target.display()));
    std::fs::copy(source, &partial)?;
    integrity(&partial)?;
    std::fs::rename(&partial, target)?;
    Ok(target.clone())
}
