//! Telling a full disk apart from a damaged file. SQLite reports both at start as an
//! I/O error; an operator who reads "not a usable database" may restore a backup over a
//! sound file, when all it needed was room.

use std::io::Write;
use std::path::Path;

use super::{DatabaseUrl, DbError};

/// `error`, or a plainer account of what stopped an SQLite start: a full disk, or a path
/// that cannot be opened as a file (SQLite says only "unable to open database file").
/// Either way the message names the path.
pub fn explain_start_failure(url: &DatabaseUrl, error: DbError) -> DbError {
    let DatabaseUrl::Sqlite(path) = url else {
        return error;
    };
    let could_be_space = matches!(
        error,
        DbError::NotADatabase(_) | DbError::Connect(_) | DbError::Migrate(_)
    );
    let folder = folder_of(url).unwrap_or_else(|| Path::new(".").to_path_buf());
    if could_be_space && !has_room(&folder) {
        return DbError::DiskFull(folder.display().to_string());
    }
    match error {
        DbError::Connect(message) => DbError::Connect(
            why_unopenable(path).unwrap_or_else(|| format!("{}: {message}", path.display())),
        ),
        DbError::NotADatabase(message) => {
            DbError::NotADatabase(format!("{}: {message}", path.display()))
        }
        other => other,
    }
}

/// Why `path` cannot be opened as a database file, when the file system can say.
fn why_unopenable(path: &Path) -> Option<String> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            return Some(format!(
                "{} is a folder, not a database file",
                path.display()
            ));
        }
        Ok(_) => {
            return std::fs::File::open(path)
                .err()
                .map(|e| format!("cannot read {}: {e}", path.display()));
        }
        Err(_) => {}
    }
    // The file is missing or out of reach: name the nearest part of the path that exists
    // and is not a folder, or the folder that is missing.
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty())?;
    let existing = folder.ancestors().find(|p| p.exists())?;
    if !existing.is_dir() {
        return Some(format!("{} is a file, not a folder", existing.display()));
    }
    if existing != folder {
        return Some(format!("the folder {} does not exist", folder.display()));
    }
    std::fs::metadata(folder)
        .err()
        .map(|e| format!("cannot reach {}: {e}", folder.display()))
}

/// The folder an SQLite database (and its WAL) lives in.
pub fn folder_of(url: &DatabaseUrl) -> Option<std::path::PathBuf> {
    let DatabaseUrl::Sqlite(path) = url else {
        return None;
    };
    Some(
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf(),
    )
}

/// Whether 64 KiB can be written and synced in `folder` (then removed again). A write
/// probe of the database alone can pass on a full disk: SQLite reuses the space its WAL
/// already holds, while any larger change needs more.
pub fn has_room(folder: &Path) -> bool {
    let probe = folder.join(format!(".physiocase-space-check-{}", std::process::id()));
    let written = std::fs::File::create(&probe).and_then(|mut file| {
        file.write_all(&[0_u8; 64 * 1024])?;
        file.sync_all()
    });
    let _ = std::fs::remove_file(&probe);
    !matches!(written, Err(e) if e.kind() == std::io::ErrorKind::StorageFull)
}

/// Rewrites the one probe row: fails exactly when this instance cannot commit a change.
pub fn write_probe(conn: &mut super::DbConn) -> diesel::QueryResult<()> {
    use diesel::prelude::*;

    use super::schema::write_probes;
    let now = chrono::Utc::now().naive_utc();
    let updated = diesel::update(write_probes::table.filter(write_probes::id.eq(1)))
        .set(write_probes::probed_at.eq(now))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(write_probes::table)
            .values((write_probes::id.eq(1), write_probes::probed_at.eq(now)))
            .execute(conn)?;
    }
    Ok(())
}
