//! Follow-ups: the work an incident leaves behind (the report's action items), each with an
//! owner and a state, tracked until done, and moved with their incident when it is merged.

use super::*;

/// A follow-up as every face shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Followup {
    pub id: i64,
    pub incident: i64,
    pub text: String,
    pub owner: Option<String>,
    /// `open`, `done` or `dropped`.
    pub state: String,
    /// `jira` or `linear` when a ticket tracks it.
    pub tracker: Option<String>,
    pub ticket_key: Option<String>,
    pub ticket_url: Option<String>,
    /// The tracker's name for the ticket's state ("In Progress"), as last read back.
    pub ticket_state: Option<String>,
    /// When the tracker was last asked (RFC 3339).
    pub ticket_checked_at: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

/// The states a follow-up can be set to.
pub const FOLLOWUP_STATES: [&str; 3] = ["open", "done", "dropped"];

/// Adds a follow-up to incident `n` (open or resolved: follow-ups mostly come after).
pub fn add_followup(
    tx: &Transaction,
    n: i64,
    text: &str,
    owner: Option<&str>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Followup> {
    if !tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM incidents WHERE id = ?1)",
        [n],
        |r| r.get::<_, bool>(0),
    )? {
        return Err(InputError::not_found(label(n), "no such incident").into());
    }
    let text = text.trim();
    if text.is_empty() {
        return Err(InputError::new(label(n), "the follow-up is empty").into());
    }
    let owner = owner.map(str::trim).filter(|o| !o.is_empty());
    tx.execute(
        "INSERT INTO followups (incident_id, text, owner, created_by, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        params![n, text, owner, actor, ts(now)],
    )?;
    let id = tx.last_insert_rowid();
    log(
        tx,
        n,
        None,
        "followup_added",
        actor,
        serde_json::json!({"followup": id, "text": text, "owner": owner}),
        now,
    )?;
    get_followup(tx, id)
}

/// Sets a follow-up's state (`open`, `done`, `dropped`).
pub fn set_followup_state(
    tx: &Transaction,
    id: i64,
    state: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Followup> {
    let state = state.trim().to_ascii_lowercase();
    if !FOLLOWUP_STATES.contains(&state.as_str()) {
        return Err(InputError::new(
            format!("follow-up {id}"),
            format!(
                "state {state:?} is not one of {}",
                FOLLOWUP_STATES.join(", ")
            ),
        )
        .into());
    }
    let current = get_followup(tx, id)?;
    if current.state == state {
        return Err(
            InputError::new(format!("follow-up {id}"), format!("it is already {state}"))
                .kind(InputErrorKind::Conflict)
                .into(),
        );
    }
    tx.execute(
        "UPDATE followups SET state = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, state, ts(now)],
    )?;
    log(
        tx,
        current.incident,
        None,
        "followup_changed",
        actor,
        serde_json::json!({"followup": id, "from": current.state, "to": state}),
        now,
    )?;
    get_followup(tx, id)
}

/// A tracker's name for people: `Jira`, `Linear`.
pub fn tracker_name(tracker: &str) -> &str {
    match tracker {
        "jira" => "Jira",
        "linear" => "Linear",
        other => other,
    }
}

/// Records the ticket that tracks a follow-up (a tracker's key and URL, read back later) and
/// logs a `followup_ticket` event on its incident, the tracker as actor.
pub fn set_followup_ticket(
    tx: &Transaction,
    id: i64,
    tracker: &str,
    key: &str,
    url: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "UPDATE followups SET tracker = ?2, ticket_key = ?3, ticket_url = ?4, updated_at = ?5 WHERE id = ?1",
        params![id, tracker, key, url, ts(now)],
    )?;
    let f = get_followup(tx, id)?;
    log(
        tx,
        f.incident,
        None,
        "followup_ticket",
        tracker_name(tracker),
        serde_json::json!({"followup": id, "tracker": tracker, "key": key, "url": url}),
        now,
    )
}

/// What a tracker said of a follow-up's ticket: Steward's state for it (`open`, `done`,
/// `dropped`) and the tracker's own name for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketState {
    pub state: &'static str,
    pub name: String,
}

/// Applies what the tracker said of follow-up `id`'s ticket: its `ticket_state` and check time
/// always; a different state also changes the follow-up and logs `followup_synced`, the tracker
/// as actor. Only an open follow-up follows its ticket (one a person closed in Steward stays so).
/// Returns the follow-up when its state changed.
pub fn apply_ticket_state(
    tx: &Transaction,
    id: i64,
    read: &TicketState,
    now: DateTime<Utc>,
) -> Result<Option<Followup>> {
    let current = get_followup(tx, id)?;
    tx.execute(
        "UPDATE followups SET ticket_state = ?2, ticket_checked_at = ?3 WHERE id = ?1",
        params![id, read.name, ts(now)],
    )?;
    if current.state != "open" || read.state == current.state {
        return Ok(None);
    }
    tx.execute(
        "UPDATE followups SET state = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, read.state, ts(now)],
    )?;
    let tracker = current.tracker.as_deref().unwrap_or_default();
    log(
        tx,
        current.incident,
        None,
        "followup_synced",
        tracker_name(tracker),
        serde_json::json!({"followup": id, "from": current.state, "to": read.state,
            "ticket_state": read.name, "key": current.ticket_key}),
        now,
    )?;
    Ok(Some(get_followup(tx, id)?))
}

fn followup_row(r: &rusqlite::Row) -> rusqlite::Result<Followup> {
    Ok(Followup {
        id: r.get(0)?,
        incident: r.get(1)?,
        text: r.get(2)?,
        owner: r.get(3)?,
        state: r.get(4)?,
        tracker: r.get(5)?,
        ticket_key: r.get(6)?,
        ticket_url: r.get(7)?,
        created_by: r.get(8)?,
        created_at: r.get(9)?,
        updated_at: r.get(10)?,
        ticket_state: r.get(11)?,
        ticket_checked_at: r.get(12)?,
    })
}

const FOLLOWUP_COLUMNS: &str = "id, incident_id, text, owner, state, tracker, ticket_key, ticket_url, created_by, created_at, updated_at, ticket_state, ticket_checked_at";

pub fn get_followup(conn: &Connection, id: i64) -> Result<Followup> {
    conn.query_row(
        &format!("SELECT {FOLLOWUP_COLUMNS} FROM followups WHERE id = ?1"),
        [id],
        followup_row,
    )
    .optional()?
    .ok_or_else(|| InputError::not_found(format!("follow-up {id}"), "no such follow-up").into())
}

/// Incident `n`'s follow-ups, oldest first.
pub fn followups(conn: &Connection, n: i64) -> Result<Vec<Followup>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {FOLLOWUP_COLUMNS} FROM followups WHERE incident_id = ?1 ORDER BY id"
    ))?;
    Ok(stmt
        .query_map([n], followup_row)?
        .collect::<rusqlite::Result<_>>()?)
}

/// Follow-ups still open, across incidents, oldest first (for the digest).
pub fn open_followups(conn: &Connection) -> Result<Vec<Followup>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {FOLLOWUP_COLUMNS} FROM followups WHERE state = 'open' ORDER BY id"
    ))?;
    Ok(stmt
        .query_map([], followup_row)?
        .collect::<rusqlite::Result<_>>()?)
}

/// Open follow-ups tracked by a ticket (all of them, or incident `n`'s), oldest first: what a
/// read-back asks the trackers about.
pub fn open_tracked_followups(conn: &Connection, n: Option<i64>) -> Result<Vec<Followup>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {FOLLOWUP_COLUMNS} FROM followups WHERE state = 'open' AND ticket_key IS NOT NULL
         AND tracker IS NOT NULL AND (?1 IS NULL OR incident_id = ?1) ORDER BY id"
    ))?;
    Ok(stmt
        .query_map([n], followup_row)?
        .collect::<rusqlite::Result<_>>()?)
}
