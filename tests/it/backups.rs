//! `steward backup` and `steward restore` through the CLI, next to a running `steward serve`.

use crate::support::{ServeProcess, ingest_demo, stderr, steward, steward_ok};

fn issue_count(db: &std::path::Path) -> usize {
    let out = steward_ok(db, &["issues", "--json"]);
    serde_json::from_str::<serde_json::Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .len()
}

#[test]
fn backup_while_serving_then_restore_after_it_stops() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("steward.db");
    ingest_demo(&db, "broken");
    let issues = issue_count(&db);
    assert!(issues > 0);
    let serve = ServeProcess::start(&db, None);

    let backup = dir.path().join("backups/steward-nightly.db");
    let out = steward_ok(&db, &["backup", backup.to_str().unwrap()]);
    assert!(out.starts_with("backed up "), "{out}");
    // A second backup to the same name needs --force.
    let again = steward(&db, &["backup", backup.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));
    steward_ok(
        &db,
        &["backup", backup.to_str().unwrap(), "--force", "--json"],
    );

    // More happens after the backup.
    ingest_demo(&db, "healthy");
    // Restore refuses while serve holds the database: one line, exit 2, nothing changed.
    let refused = steward(&db, &["restore", backup.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    let msg = stderr(&refused);
    assert_eq!(msg.trim().lines().count(), 1, "{msg}");
    assert!(msg.contains("steward serve"), "{msg}");

    drop(serve);
    let restored = steward_ok(&db, &["restore", backup.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&restored).unwrap();
    assert!(v["schema_version"].as_i64().unwrap() >= 1);
    // The restored database is the one from before the healthy run: the same open issues.
    let open = steward_ok(&db, &["issues", "--status", "open", "--json"]);
    let open: serde_json::Value = serde_json::from_str(&open).unwrap();
    assert_eq!(open.as_array().unwrap().len(), issues);
    // And serve starts on it again.
    drop(ServeProcess::start(&db, None));
}

#[test]
fn restore_refuses_a_file_that_is_not_a_steward_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("steward.db");
    ingest_demo(&db, "broken");
    let junk = dir.path().join("notes.txt");
    std::fs::write(
        &junk,
        "not a database, just some words that are long enough\n",
    )
    .unwrap();
    let out = steward(&db, &["restore", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("notes.txt"), "{}", stderr(&out));
    let missing = steward(&db, &["restore", "/nonexistent/backup.db"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(issue_count(&db) > 0);
}
