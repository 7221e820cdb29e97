//! The SQLite store: migrations, one writer thread that owns the write connection, and
//! read-only connections for queries.
//!
//! Every write goes through [`Store::write`] (or [`Store::write_async`]), which runs a closure
//! on the writer thread inside one transaction, so writes are serialised and each is atomic.
//!
//! Several processes may share the file (`steward serve`, CLI commands, ingests from cron):
//! every write transaction takes the write lock up front (`BEGIN IMMEDIATE`), so it never has to
//! promote a read snapshot (SQLite's `SQLITE_BUSY_SNAPSHOT`, which no busy timeout can wait out),
//! and waits up to [`BUSY_TIMEOUT`] for another process's write to finish. Migrations take the
//! same lock before reading `user_version`, so processes opening a new file together apply each
//! migration once.

pub mod backup;
pub mod deliveries;
pub mod graphs;
pub mod outbox;

use anyhow::{Context, Result};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// How long a write (or a reader) waits for another connection's lock before failing with
/// "database is locked". Long enough to outlast the largest ingest's transaction, so a person's
/// command waits for an ingest or the bot instead of failing.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Migrations in order; `PRAGMA user_version` records how many have run.
const MIGRATIONS: &[&str] = &[
    include_str!("schema_v1.sql"),
    include_str!("schema_v2.sql"),
    include_str!("schema_v3.sql"),
    include_str!("schema_v4.sql"),
    include_str!("schema_v5.sql"),
    include_str!("schema_v6.sql"),
    include_str!("schema_v7.sql"),
    include_str!("schema_v8.sql"),
    include_str!("schema_v9.sql"),
    include_str!("schema_v10.sql"),
    include_str!("schema_v11.sql"),
    include_str!("schema_v12.sql"),
];

/// The schema version this build migrates to (`PRAGMA user_version`).
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// A cheap-to-clone handle on the database.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    jobs: Mutex<mpsc::Sender<Job>>,
    readers: Mutex<Vec<Connection>>,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, migrates it and starts the writer.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating the database folder {}", dir.display()))?;
        }
        let mut conn = Connection::open(path)
            .with_context(|| format!("opening the database {}", path.display()))?;
        configure(&conn)?;
        migrate(&mut conn).with_context(|| format!("migrating {}", path.display()))?;
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("steward-writer".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    job(&mut conn);
                }
            })
            .context("starting the writer thread")?;
        Ok(Store {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                jobs: Mutex::new(tx),
                readers: Mutex::new(Vec::new()),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    fn submit<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Transaction) -> Result<R> + Send + 'static,
    ) -> Result<tokio::sync::oneshot::Receiver<Result<R>>> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn: &mut Connection| {
            let result = (|| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let out = f(&tx)?;
                tx.commit().context("committing")?;
                Ok(out)
            })();
            let _ = reply.send(result);
        });
        self.inner
            .jobs
            .lock()
            .expect("writer queue lock")
            .send(job)
            .map_err(|_| anyhow::anyhow!("the database writer has stopped"))?;
        Ok(rx)
    }

    /// Runs `f` in one transaction on the writer thread and waits for it (blocking).
    /// Do not call from async code: use [`Store::write_async`].
    pub fn write<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Transaction) -> Result<R> + Send + 'static,
    ) -> Result<R> {
        self.submit(f)?
            .blocking_recv()
            .map_err(|_| anyhow::anyhow!("the database writer dropped the job"))?
    }

    /// Runs `f` in one transaction on the writer thread and awaits it.
    pub async fn write_async<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Transaction) -> Result<R> + Send + 'static,
    ) -> Result<R> {
        self.submit(f)?
            .await
            .map_err(|_| anyhow::anyhow!("the database writer dropped the job"))?
    }

    /// Runs `f` on a read-only connection (blocking; from async code wrap it in
    /// `spawn_blocking`). Readers see the last committed state and never block the writer.
    pub fn read<R>(&self, f: impl FnOnce(&Connection) -> Result<R>) -> Result<R> {
        let conn = self.inner.readers.lock().expect("reader pool lock").pop();
        let conn = match conn {
            Some(c) => c,
            None => {
                let c = Connection::open_with_flags(
                    &self.inner.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .with_context(|| format!("opening {} for reading", self.inner.path.display()))?;
                c.busy_timeout(BUSY_TIMEOUT)?;
                c
            }
        };
        let out = f(&conn);
        let mut pool = self.inner.readers.lock().expect("reader pool lock");
        if pool.len() < 8 {
            pool.push(conn);
        }
        out
    }
}

fn configure(conn: &Connection) -> Result<()> {
    // The busy timeout first: the pragmas below may need a lock another process holds.
    conn.busy_timeout(BUSY_TIMEOUT)?;
    set_wal(conn)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(())
}

/// Switches the file to WAL. Changing the journal mode needs an exclusive lock, and SQLite may
/// answer `SQLITE_BUSY` at once (without the busy handler) while another process is creating or
/// switching the same file, so this retries until [`BUSY_TIMEOUT`], then checks the mode took.
fn set_wal(conn: &Connection) -> Result<()> {
    let deadline = Instant::now() + BUSY_TIMEOUT;
    let mut pause = Duration::from_millis(2);
    loop {
        match conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0)) {
            Ok(mode) if mode.eq_ignore_ascii_case("wal") => return Ok(()),
            Ok(mode) => anyhow::bail!("the database stays in journal mode {mode:?}, not WAL"),
            Err(e) if is_busy(&e) && Instant::now() < deadline => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(100));
            }
            Err(e) => return Err(e).context("setting journal_mode=WAL"),
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Applies the missing migrations, each in its own `BEGIN IMMEDIATE` transaction that re-reads
/// `user_version` under the write lock: when several processes open a new file at once, one
/// applies a migration and the others see it done.
fn migrate(conn: &mut Connection) -> Result<()> {
    // The common case, an up-to-date file, takes no lock: opening next to a long ingest must
    // not wait for it.
    let current = conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))?;
    if current as usize == MIGRATIONS.len() {
        return Ok(());
    }
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current: usize =
            tx.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize;
        if current > MIGRATIONS.len() {
            anyhow::bail!(
                "the database is at schema version {current}, newer than this build knows ({}); upgrade Steward",
                MIGRATIONS.len()
            );
        }
        let Some(sql) = MIGRATIONS.get(current) else {
            return Ok(());
        };
        tx.execute_batch(sql)
            .with_context(|| format!("migration {}", current + 1))?;
        tx.pragma_update(None, "user_version", (current + 1) as i64)?;
        tx.commit()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_serialises_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let store = Store::open(&path).unwrap();
        let n: i64 = store
            .write(|tx| {
                tx.execute(
                    "INSERT INTO events (at, kind) VALUES ('2026-01-01T00:00:00Z', 'test')",
                    [],
                )?;
                Ok(tx.last_insert_rowid())
            })
            .unwrap();
        assert_eq!(n, 1);
        drop(store);
        let store = Store::open(&path).unwrap();
        let version: i64 = store
            .read(|c| Ok(c.pragma_query_value(None, "user_version", |r| r.get(0))?))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        let count: i64 = store
            .read(|c| Ok(c.query_row("SELECT count(*) FROM events", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(count, 1);
    }

    #[test]
    fn a_failed_write_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).unwrap();
        let r: Result<()> = store.write(|tx| {
            tx.execute("INSERT INTO events (at, kind) VALUES ('x', 'a')", [])?;
            anyhow::bail!("boom")
        });
        assert!(r.is_err());
        let count: i64 = store
            .read(|c| Ok(c.query_row("SELECT count(*) FROM events", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(count, 0);
    }
}
