//! Backups and restores of the database file, and the lock `steward serve` holds on it.
//!
//! A backup uses SQLite's online backup API in one step: it copies every page inside one read
//! transaction, so in WAL mode it sees one consistent snapshot while `serve`, cron ingests and
//! CLI commands keep writing. It writes a temporary file next to the target (journal mode
//! `DELETE`, so the backup is one self-contained file), checks it, syncs it and renames it into
//! place: a crash never leaves half a backup under the target's name.
//!
//! A restore copies a backup into the database through the same API (so the live file's WAL
//! stays coherent), after checking that the file is a Steward database of a schema version this
//! build knows. It refuses while a server holds the database: `serve` takes a shared advisory
//! lock (`flock`) on `<db>.serve.lock` for its lifetime, and a restore needs it exclusively.

use super::{BUSY_TIMEOUT, SCHEMA_VERSION};
use crate::error::{InputError, InputErrorKind, quoted};
use anyhow::{Context, Result};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Tables every Steward database has had since its first schema.
const STEWARD_TABLES: &[&str] = &["issues", "events", "outbox"];

/// What a backup or a restore copied.
#[derive(Debug, Clone, Serialize)]
pub struct Copied {
    /// The file written: the backup, or the database restored into.
    pub file: String,
    pub schema_version: i64,
    pub pages: i64,
    pub bytes: u64,
}

/// The lock file next to a database: `<db>.serve.lock`.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".serve.lock");
    PathBuf::from(name)
}

/// The advisory lock a running server holds on its database (released when dropped, or when
/// the process dies: the kernel drops `flock` locks with the file descriptor).
#[derive(Debug)]
pub struct ServeLock {
    _file: File,
    pub path: PathBuf,
}

impl ServeLock {
    /// Takes the shared lock of a server: several servers may share a database, a restore may
    /// not run under any of them.
    pub fn acquire(db: &Path) -> Result<ServeLock> {
        let path = lock_path(db);
        let file = open_lock(&path)?;
        match file.try_lock_shared() {
            Ok(()) => Ok(ServeLock { _file: file, path }),
            Err(TryLockError::WouldBlock) => Err(InputError::new(
                db.display().to_string(),
                format!(
                    "a restore is running on this database (it holds {}); start serve when it ends",
                    path.display()
                ),
            )
            .kind(InputErrorKind::Conflict)
            .into()),
            Err(TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("locking {}", path.display()))
            }
        }
    }
}

fn open_lock(path: &Path) -> Result<File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the database folder {}", dir.display()))?;
    }
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .with_context(|| format!("opening the lock file {}", path.display()))
}

/// Copies the database at `db` into `dest` while other connections may be writing.
/// Refuses to replace an existing `dest` unless `force`.
pub fn backup(db: &Path, dest: &Path, force: bool) -> Result<Copied> {
    let origin = dest.display().to_string();
    if !db.is_file() {
        return Err(
            InputError::not_found(db.display().to_string(), "no database here to back up").into(),
        );
    }
    if same_file(db, dest) {
        return Err(
            InputError::new(origin, "this is the database itself; name another file").into(),
        );
    }
    if dest.exists() && !force {
        return Err(
            InputError::new(origin, "the file exists; pass --force to replace it")
                .kind(InputErrorKind::Conflict)
                .into(),
        );
    }
    let src = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .with_context(|| format!("opening {}", db.display()))?;
    src.busy_timeout(BUSY_TIMEOUT)?;
    let schema_version =
        steward_schema(&src).map_err(|m| InputError::new(db.display().to_string(), m))?;
    let tmp = temp_next_to(dest)?;
    let result = (|| {
        let mut out =
            Connection::open(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        let pages = copy(&src, &mut out)?;
        out.pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get::<_, String>(0))
            .context("making the backup one file")?;
        let check: String = out.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        anyhow::ensure!(check == "ok", "the backup failed its check: {check}");
        drop(out);
        File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, dest)
            .with_context(|| format!("renaming {} to {}", tmp.display(), dest.display()))?;
        sync_dir(dest);
        Ok(pages)
    })();
    let pages = match result {
        Ok(p) => p,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    Ok(Copied {
        file: origin,
        schema_version,
        pages,
        bytes: std::fs::metadata(dest).map(|m| m.len()).unwrap_or(0),
    })
}

/// Replaces the database at `db` with the backup `file`. Refuses while a server holds `db`, and
/// refuses a file that is not a Steward database this build can open.
pub fn restore(db: &Path, file: &Path) -> Result<Copied> {
    let origin = file.display().to_string();
    if !file.is_file() {
        return Err(InputError::not_found(origin, "no such backup file").into());
    }
    if same_file(db, file) {
        return Err(InputError::new(origin, "this is the database itself").into());
    }
    let src = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| InputError::new(origin.clone(), format!("not a SQLite database ({e})")))?;
    let schema_version = steward_schema(&src).map_err(|m| InputError::new(origin.clone(), m))?;
    let lock_file = lock_path(db);
    let lock = open_lock(&lock_file)?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            return Err(InputError::new(
                db.display().to_string(),
                format!(
                    "refusing to restore: a running `steward serve` holds this database ({}); stop it first",
                    lock_file.display()
                ),
            )
            .kind(InputErrorKind::Conflict)
            .into());
        }
        Err(TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("locking {}", lock_file.display()));
        }
    }
    let mut dst = Connection::open(db).with_context(|| format!("opening {}", db.display()))?;
    dst.busy_timeout(BUSY_TIMEOUT)?;
    let pages = copy(&src, &mut dst).with_context(|| format!("restoring into {}", db.display()))?;
    drop(dst);
    drop(lock);
    Ok(Copied {
        file: db.display().to_string(),
        schema_version,
        pages,
        bytes: std::fs::metadata(db).map(|m| m.len()).unwrap_or(0),
    })
}

/// The schema version of a Steward database, or why `conn` is not one this build can open.
fn steward_schema(conn: &Connection) -> std::result::Result<i64, String> {
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| format!("not a SQLite database ({e})"))?;
    for table in STEWARD_TABLES {
        let found: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [table],
                |r| r.get(0),
            )
            .map_err(|e| format!("not a SQLite database ({e})"))?;
        if found == 0 || version < 1 {
            return Err(format!(
                "not a Steward database (no {} table, schema version {version})",
                quoted(table)
            ));
        }
    }
    if version as usize > SCHEMA_VERSION {
        return Err(format!(
            "schema version {version} is newer than this build knows ({SCHEMA_VERSION}); upgrade Steward"
        ));
    }
    Ok(version)
}

/// Copies every page of `src` into `dst` in one step (one read transaction on `src`: a
/// consistent snapshot), retrying while a lock is held, up to [`BUSY_TIMEOUT`].
fn copy(src: &Connection, dst: &mut Connection) -> Result<i64> {
    let deadline = Instant::now() + BUSY_TIMEOUT;
    let backup = Backup::new(src, dst)?;
    loop {
        match backup.step(-1)? {
            StepResult::Done => return Ok(i64::from(backup.progress().pagecount)),
            StepResult::More | StepResult::Busy | StepResult::Locked
                if Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => anyhow::bail!("the database stayed locked ({other:?})"),
        }
    }
}

fn temp_next_to(dest: &Path) -> Result<PathBuf> {
    let name = dest
        .file_name()
        .ok_or_else(|| InputError::new(dest.display().to_string(), "not a file name"))?;
    let dir = dest.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let tmp = format!(".{}.tmp-{}", name.to_string_lossy(), std::process::id());
    Ok(dir.map_or_else(|| PathBuf::from(&tmp), |d| d.join(&tmp)))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Makes a rename durable (best effort: not every platform opens folders).
fn sync_dir(file: &Path) {
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = File::open(dir)
    {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn count(db: &Path) -> i64 {
        let c = Connection::open(db).unwrap();
        c.query_row("SELECT count(*) FROM events", [], |r| r.get(0))
            .unwrap()
    }

    fn insert(store: &Store, n: usize) {
        for _ in 0..n {
            store
                .write(|tx| {
                    tx.execute(
                        "INSERT INTO events (at, kind) VALUES ('2026-01-01T00:00:00Z', 'test')",
                        [],
                    )?;
                    Ok(())
                })
                .unwrap();
        }
    }

    #[test]
    fn backup_while_another_connection_writes() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        let store = Store::open(&db).unwrap();
        insert(&store, 50);
        let writer = {
            let store = store.clone();
            std::thread::spawn(move || insert(&store, 300))
        };
        let dest = dir.path().join("backups/b.db");
        let copied = backup(&db, &dest, false).unwrap();
        writer.join().unwrap();
        assert_eq!(copied.schema_version, SCHEMA_VERSION as i64);
        let n = count(&dest);
        assert!((50..=350).contains(&n), "{n}");
        // One self-contained file, no temp left behind.
        let names: Vec<String> = std::fs::read_dir(dest.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["b.db".to_owned()]);
        // Refuses to overwrite without force, then replaces with it.
        let err = backup(&db, &dest, false).unwrap_err();
        assert!(err.to_string().contains("--force"), "{err}");
        backup(&db, &dest, true).unwrap();
        assert_eq!(count(&dest), 350);
    }

    #[test]
    fn restore_round_trip_and_refusals() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        let store = Store::open(&db).unwrap();
        insert(&store, 3);
        let dest = dir.path().join("b.db");
        backup(&db, &dest, false).unwrap();
        insert(&store, 4);
        drop(store);
        assert_eq!(count(&db), 7);

        // A server holds the database: refused, nothing changed.
        let lock = ServeLock::acquire(&db).unwrap();
        let err = restore(&db, &dest).unwrap_err();
        assert!(err.to_string().contains("steward serve"), "{err}");
        assert_eq!(count(&db), 7);
        drop(lock);

        let copied = restore(&db, &dest).unwrap();
        assert_eq!(copied.schema_version, SCHEMA_VERSION as i64);
        assert_eq!(count(&db), 3);
        // And the restored file opens as a store again.
        let store = Store::open(&db).unwrap();
        insert(&store, 1);
        drop(store);
        assert_eq!(count(&db), 4);

        // Not a Steward database: refused.
        let other = dir.path().join("other.db");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE t (x)")
            .unwrap();
        let err = restore(&db, &other).unwrap_err();
        assert!(err.to_string().contains("not a Steward database"), "{err}");
        let junk = dir.path().join("junk.db");
        std::fs::write(
            &junk,
            b"hello, this is not SQLite at all, not even close........",
        )
        .unwrap();
        let err = restore(&db, &junk).unwrap_err();
        assert!(err.to_string().contains("not a SQLite database"), "{err}");
        assert_eq!(count(&db), 4);
    }
}
