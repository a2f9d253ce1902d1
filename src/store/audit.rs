//! The one way to write an audit event.
//!
//! Every event is written inside the transaction of the action it records, so if the
//! audit row cannot be written, the action does not happen. Rows form a hash chain:
//! each stores sha256 over the previous row's hash and its own fields. The chain head
//! is one locked row, so appends are serialised by the database, not by this process.

use chrono::{NaiveDateTime, SubsecRound, Utc};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::schema::{audit_chain_head, audit_events, users};
use crate::db::{DbConn, native};
use crate::domain::Role;

crate::store::stored::stored_text! {
    /// Every action the audit log records, by the name stored in `audit_events.action`.
    pub enum Action {
        AccessDenied = "access.denied",
        AccountCreatedCli = "account.created_cli",
        AccountPasswordChanged = "account.password_changed",
        AccountPasswordSet = "account.password_set",
        AccountSignatureChanged = "account.signature_changed",
        AccountTimeZoneChanged = "account.time_zone_changed",
        AssessmentAddendumAdded = "assessment.addendum_added",
        AssessmentChangeRefused = "assessment.change_refused",
        AssessmentCreated = "assessment.created",
        AssessmentRead = "assessment.read",
        AssessmentSigned = "assessment.signed",
        AssessmentUpdated = "assessment.updated",
        AuditRead = "audit.read",
        AuditVerified = "audit.verified",
        BackupWritten = "backup.written",
        CaseDischarged = "case.discharged",
        CaseEnteredInError = "case.entered_in_error",
        CaseOpened = "case.opened",
        CaseRead = "case.read",
        ConsentRecorded = "consent.recorded",
        ConsentSigningRefused = "consent.signing_refused",
        CsrfOriginRefused = "csrf.origin_refused",
        CsrfTokenRefused = "csrf.token_refused",
        DashboardRead = "dashboard.read",
        DemoCreated = "demo.created",
        ExerciseArchived = "exercise.archived",
        ExerciseCreated = "exercise.created",
        ExercisePictureAdded = "exercise.picture_added",
        ExercisePictureChoiceChanged = "exercise.picture_choice_changed",
        ExercisePictureRemoved = "exercise.picture_removed",
        ExerciseRestored = "exercise.restored",
        ExerciseUpdated = "exercise.updated",
        ExportFhir = "export.fhir",
        ExportMeasurementsCsv = "export.measurements_csv",
        ExportOutcomesCsv = "export.outcomes_csv",
        ExportPainCsv = "export.pain_csv",
        LetterDrafted = "letter.drafted",
        LetterPrinted = "letter.printed",
        LetterRead = "letter.read",
        LetterSigned = "letter.signed",
        LetterUpdated = "letter.updated",
        PainRecorded = "pain.recorded",
        PatientCreated = "patient.created",
        PatientDuplicateHeld = "patient.duplicate_held",
        PatientRead = "patient.read",
        PatientSearch = "patient.search",
        PatientUpdated = "patient.updated",
        PortalAccessGiven = "portal.access_given",
        PortalAccessRevoked = "portal.access_revoked",
        PortalDoneRefused = "portal.done_refused",
        PortalDoneTicked = "portal.done_ticked",
        PortalDoneUndone = "portal.done_undone",
        PortalPainLogged = "portal.pain_logged",
        PortalRead = "portal.read",
        PortalStopReported = "portal.stop_reported",
        ProgrammePrintRefused = "programme.print_refused",
        ProgrammePrinted = "programme.printed",
        ProgrammeRead = "programme.read",
        ProgrammeSaved = "programme.saved",
        RedFlagsActionRecorded = "red_flags.action_recorded",
        ReviewCasesRead = "review.cases_read",
        ReviewRead = "review.read",
        SettingsChanged = "settings.changed",
        SetupFirstAdminLinkIssued = "setup.first_admin_link_issued",
        Signin = "signin",
        SigninFailed = "signin.failed",
        SigninRateLimited = "signin.rate_limited",
        Signout = "signout",
        StaffDeactivated = "staff.deactivated",
        StaffInvited = "staff.invited",
        StaffLinkIssued = "staff.link_issued",
        StaffList = "staff.list",
        StaffReactivated = "staff.reactivated",
        TemplateApplied = "template.applied",
        TemplateArchived = "template.archived",
        TemplateCreated = "template.created",
        TemplateRestored = "template.restored",
        TemplateUpdated = "template.updated",
        TemplateUsed = "template.used",
        VisitAddendumAdded = "visit.addendum_added",
        VisitChangeRefused = "visit.change_refused",
        VisitCreated = "visit.created",
        VisitRead = "visit.read",
        VisitSigned = "visit.signed",
        VisitUpdated = "visit.updated",
    }
}

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did it, from where. Built from the signed-in session (or nobody) and the peer address.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub role: Option<Role>,
    pub ip: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Denied,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Denied => "denied",
            Self::Failed => "failed",
        }
    }
}

/// One event to record. `detail` is for non-clinical facts only (never free text a user typed
/// about a patient, never a secret).
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub action: Action,
    pub entity_type: Option<&'a str>,
    pub entity_id: Option<String>,
    pub patient_id: Option<i64>,
    pub outcome: Outcome,
    pub detail: Option<String>,
}

impl<'a> Event<'a> {
    pub fn new(action: Action) -> Self {
        Self {
            action,
            entity_type: None,
            entity_id: None,
            patient_id: None,
            outcome: Outcome::Ok,
            detail: None,
        }
    }

    pub fn entity(mut self, entity_type: &'a str, id: impl ToString) -> Self {
        self.entity_type = Some(entity_type);
        self.entity_id = Some(id.to_string());
        self
    }

    pub fn patient(mut self, patient_id: i64) -> Self {
        self.patient_id = Some(patient_id);
        self
    }

    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events)]
pub struct AuditRow {
    pub id: i64,
    pub occurred_at: NaiveDateTime,
    pub actor_user_id: Option<i64>,
    pub actor_role: Option<String>,
    pub action: String,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub patient_id: Option<i64>,
    pub ip: Option<String>,
    pub outcome: String,
    pub detail: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRow {
    /// The hash this row must carry, given the hash of the row before it.
    pub fn compute_hash(&self) -> String {
        let mut hasher = Sha256::new();
        let mut field = |value: Option<&str>| {
            // Length-prefixed, with a marker for "absent", so no two rows hash alike by shifting text.
            match value {
                Some(text) => {
                    hasher.update((text.len() as u64).to_be_bytes());
                    hasher.update(text.as_bytes());
                }
                None => hasher.update(u64::MAX.to_be_bytes()),
            }
        };
        field(Some(&self.prev_hash));
        field(Some(&self.id.to_string()));
        field(Some(&hashed_time(self.occurred_at)));
        field(self.actor_user_id.map(|id| id.to_string()).as_deref());
        field(self.actor_role.as_deref());
        field(Some(&self.action));
        field(self.entity_type.as_deref());
        field(self.entity_id.as_deref());
        field(self.patient_id.map(|id| id.to_string()).as_deref());
        field(self.ip.as_deref());
        field(Some(&self.outcome));
        field(self.detail.as_deref());
        hex::encode(hasher.finalize())
    }
}

/// The event time as the chain hashes it, `2026-11-22T08:45:12.123456`: the same text as
/// chrono's `%Y-%m-%dT%H:%M:%S%.6f`, written directly because parsing that format string
/// on every audited request cost more than the hash.
fn hashed_time(at: NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.nanosecond() / 1_000
    )
}

/// Appends one event. Call it inside the write transaction of the action it records.
pub fn record(conn: &mut DbConn, actor: &Actor, event: Event<'_>) -> QueryResult<i64> {
    let (last_id, last_hash) = lock_chain_head(conn)?;
    let mut row = AuditRow {
        id: last_id + 1,
        // Stored to the microsecond, the precision both backends keep, so the hash re-computes.
        occurred_at: Utc::now().naive_utc().trunc_subsecs(6),
        actor_user_id: actor.user_id,
        actor_role: actor.role.map(|r| r.as_str().to_owned()),
        action: event.action.as_str().to_owned(),
        entity_type: event.entity_type.map(str::to_owned),
        entity_id: event.entity_id,
        patient_id: event.patient_id,
        ip: actor.ip.clone(),
        outcome: event.outcome.as_str().to_owned(),
        detail: event.detail,
        prev_hash: last_hash,
        hash: String::new(),
    };
    row.hash = row.compute_hash();
    native!(conn, |c| diesel::insert_into(audit_events::table)
        .values(&row)
        .execute(c))?;
    native!(conn, |c| diesel::update(audit_chain_head::table.find(1))
        .set((
            audit_chain_head::last_id.eq(row.id),
            audit_chain_head::last_hash.eq(&row.hash),
        ))
        .execute(c))?;
    Ok(row.id)
}

/// Reads the chain head, locking it until the transaction ends. On SQLite the
/// immediate transaction already holds the database's one write lock. On PostgreSQL the
/// writer takes this lock first in every transaction (see `db::writer`), before any
/// other row lock, so two app instances never hold locks the other waits for.
fn lock_chain_head(conn: &mut DbConn) -> QueryResult<(i64, String)> {
    let query = audit_chain_head::table
        .find(1)
        .select((audit_chain_head::last_id, audit_chain_head::last_hash));
    match conn {
        DbConn::Pg(pg) => query.for_update().first(pg),
        DbConn::Sqlite(sqlite) => query.first(sqlite),
    }
}

/// What the audit viewer filters on; every part is optional.
#[derive(Debug, Clone, Default)]
pub struct AuditSearch {
    pub user: Option<i64>,
    pub patient: Option<i64>,
    /// A prefix: "patient." finds every patient action.
    pub action: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
}

/// One line of the audit viewer: the event and the name of who did it.
pub struct AuditLine {
    pub row: AuditRow,
    pub actor_name: String,
}

fn filtered(search: &AuditSearch) -> audit_events::BoxedQuery<'static, crate::db::DbBackend> {
    let mut query = audit_events::table.into_boxed();
    if let Some(user) = search.user {
        query = query.filter(audit_events::actor_user_id.eq(user));
    }
    if let Some(patient) = search.patient {
        query = query.filter(audit_events::patient_id.eq(patient));
    }
    if let Some(action) = &search.action {
        query =
            query.filter(audit_events::action.like(format!("{}%", action.replace(['%', '_'], ""))));
    }
    if let Some(from) = search.from {
        query = query.filter(audit_events::occurred_at.ge(from));
    }
    if let Some(to) = search.to {
        query = query.filter(audit_events::occurred_at.le(to));
    }
    query
}

/// How many events the search finds.
pub fn count(conn: &mut DbConn, search: &AuditSearch) -> QueryResult<i64> {
    filtered(search).count().get_result(conn)
}

/// One page of the events the search finds, newest first, with the actors' names.
pub fn page(
    conn: &mut DbConn,
    search: &AuditSearch,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<AuditLine>> {
    let rows: Vec<AuditRow> = filtered(search)
        .order(audit_events::id.desc())
        .offset(offset)
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().filter_map(|r| r.actor_user_id).collect();
    let names: Vec<(i64, String)> = users::table
        .filter(users::id.eq_any(&ids))
        .select((users::id, users::display_name))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let actor_name = row
                .actor_user_id
                .and_then(|id| {
                    names
                        .iter()
                        .find(|(n, _)| *n == id)
                        .map(|(_, name)| name.clone())
                })
                .unwrap_or_else(|| "—".into());
            AuditLine { row, actor_name }
        })
        .collect())
}

/// The result of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub rows_checked: u64,
    pub first_broken: Option<BrokenRow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenRow {
    pub id: i64,
    pub reason: String,
}

/// Re-computes every hash in order and names the first row that does not fit.
pub fn verify_chain(conn: &mut DbConn) -> QueryResult<ChainReport> {
    const BATCH: i64 = 2_000;
    let mut expected_prev = GENESIS_HASH.to_owned();
    let mut expected_id = 1_i64;
    let mut checked = 0_u64;
    loop {
        let rows: Vec<AuditRow> = audit_events::table
            .filter(audit_events::id.ge(expected_id))
            .order(audit_events::id.asc())
            .limit(BATCH)
            .select(AuditRow::as_select())
            .load(conn)?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            let broken = |reason: String| ChainReport {
                rows_checked: checked,
                first_broken: Some(BrokenRow { id: row.id, reason }),
            };
            if row.id != expected_id {
                return Ok(ChainReport {
                    rows_checked: checked,
                    first_broken: Some(BrokenRow {
                        id: expected_id,
                        reason: format!("row {expected_id} is missing (next row is {})", row.id),
                    }),
                });
            }
            if row.prev_hash != expected_prev {
                return Ok(broken(
                    "its previous-hash does not match the row before it".into(),
                ));
            }
            if row.compute_hash() != row.hash {
                return Ok(broken(
                    "its contents do not match its hash (the row was changed)".into(),
                ));
            }
            checked += 1;
            expected_prev = row.hash;
            expected_id += 1;
        }
    }
    let (head_id, head_hash) = audit_chain_head::table
        .find(1)
        .select((audit_chain_head::last_id, audit_chain_head::last_hash))
        .first::<(i64, String)>(conn)?;
    if head_id != expected_id - 1 || head_hash != expected_prev {
        return Ok(ChainReport {
            rows_checked: checked,
            first_broken: Some(BrokenRow {
                id: head_id,
                reason: format!(
                    "the chain head names row {head_id}, but the last intact row is {}",
                    expected_id - 1
                ),
            }),
        });
    }
    Ok(ChainReport {
        rows_checked: checked,
        first_broken: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_time_matches_the_format_existing_chains_were_hashed_with() {
        for text in [
            "2026-11-22 08:45:12.123456",
            "2026-01-02 03:04:05",
            "1999-12-31 23:59:59.000001",
            "2026-11-22 00:00:00.9",
        ] {
            let at = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
                .unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(
                hashed_time(at),
                at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
            );
        }
    }

    fn row() -> AuditRow {
        AuditRow {
            id: 1,
            occurred_at: NaiveDateTime::default(),
            actor_user_id: Some(3),
            actor_role: Some("therapist".into()),
            action: "patient.read".into(),
            entity_type: Some("patient".into()),
            entity_id: Some("9".into()),
            patient_id: Some(9),
            ip: Some("127.0.0.1".into()),
            outcome: "ok".into(),
            detail: None,
            prev_hash: GENESIS_HASH.into(),
            hash: String::new(),
        }
    }

    #[test]
    fn every_field_changes_the_hash() {
        let base = row().compute_hash();
        let mut changed = row();
        changed.patient_id = Some(10);
        assert_ne!(base, changed.compute_hash());
        let mut changed = row();
        changed.detail = Some(String::new());
        assert_ne!(base, changed.compute_hash(), "absent and empty differ");
        let mut changed = row();
        changed.entity_type = Some("patien".into());
        changed.entity_id = Some("t9".into());
        assert_ne!(
            base,
            changed.compute_hash(),
            "shifting text between fields is detected"
        );
    }
}
