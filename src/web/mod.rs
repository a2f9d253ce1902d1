//! Shared web plumbing: application state, the page layout, rendering, redirects, paging.

pub mod csrf;
pub mod guard;

pub use guard::{Admin, AnyUser, Patient, Staff};

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use askama::Template;

use crate::auth::cookies::Cookies;
use crate::auth::rate_limit::SignInLimiter;
use crate::dates::Zone;
use crate::db::{DbConn, DbPool};
use crate::error::AppError;
use crate::store::audit::Action;
use crate::store::audit::Actor;
use crate::store::sessions::SessionUser;
use crate::store::settings::ClinicHeader;
use crate::work::BoundedWork;

const CLINIC_HEADER_TTL: Duration = Duration::from_secs(30);
/// How long a write probe's verdict stands: health checks every second cost no commits.
const WRITE_PROBE_EVERY: Duration = Duration::from_secs(5);

/// Patient data read together with its audit event. Only `AppState`'s audited reads
/// make one, and every page model that shows a patient holds its patient as one: such a
/// page cannot be built from a read that skipped the event.
pub struct Audited<T>(T);

impl<T> std::ops::Deref for Audited<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Audited<T> {
    pub fn into_inner(self) -> T {
        self.0
    }

    /// Takes one part (the patient) out of an audited read, still marked as audited,
    /// and the rest as plain values.
    pub fn take<P, R>(self, part: impl FnOnce(T) -> (P, R)) -> (Audited<P>, R) {
        let (taken, rest) = part(self.0);
        (Audited(taken), rest)
    }
}

impl<T> Audited<Option<T>> {
    pub fn transpose(self) -> Option<Audited<T>> {
        self.0.map(Audited)
    }
}

impl<A, B> Audited<(A, B)> {
    /// The parts of one audited read, each still marked as audited.
    pub fn split(self) -> (Audited<A>, Audited<B>) {
        let (a, b) = self.0;
        (Audited(a), Audited(b))
    }
}

impl<A, B, C> Audited<(A, B, C)> {
    /// The parts of one audited read, each still marked as audited.
    pub fn split(self) -> (Audited<A>, Audited<B>, Audited<C>) {
        let (a, b, c) = self.0;
        (Audited(a), Audited(b), Audited(c))
    }
}

/// Everything handlers share. Cloned cheaply into each worker.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    /// Where users reach the app, without a trailing slash: used in links and QR codes.
    pub public_url: Arc<str>,
    /// Set by the operator (not derived from the bound address): then it alone names
    /// this site for the Origin check.
    pub public_url_configured: bool,
    /// Served over HTTPS: cookies are Secure and `__Host-` named, and HSTS is sent.
    pub https: bool,
    pub cookies: Cookies,
    pub signin_limiter: Arc<SignInLimiter>,
    pub password_work: crate::auth::password::PasswordWork,
    /// Parsed fonts, shared by every worker: a sheet renders without re-reading them.
    pub sheet_renderer: Arc<crate::pdf::SheetRenderer>,
    pub sheet_work: BoundedWork,
    /// Every write transaction of a request goes through it (see `db::writer`).
    pub writes: crate::db::writer::WriteQueue,
    inline_reader: Option<crate::db::InlineReader>,
    /// The clinic's name and zone, re-read once a while (another instance may change them).
    clinic: Arc<RwLock<(Instant, ClinicHeader)>>,
    last_write_probe: Arc<std::sync::Mutex<Option<(Instant, bool)>>>,
    /// Where an SQLite database lives, to check the disk has room (None on PostgreSQL).
    database_folder: Option<Arc<std::path::Path>>,
}

/// Where users reach the app, and whether the operator set it (else it is derived from
/// the bound address).
pub struct SiteAddress {
    pub url: String,
    pub configured: bool,
}

impl AppState {
    pub fn new(
        pool: DbPool,
        database_url: &crate::db::DatabaseUrl,
        site: SiteAddress,
        signin_limiter: SignInLimiter,
        sheet_renderer: crate::pdf::SheetRenderer,
        clinic: ClinicHeader,
        flash_key: actix_web::cookie::Key,
    ) -> std::io::Result<Self> {
        let https = site.url.starts_with("https://");
        let writes =
            crate::db::writer::WriteQueue::start(crate::db::DbManager::new(database_url.clone()))?;
        let inline_reader = crate::db::InlineReader::for_url(database_url);
        let sheet_work = BoundedWork::per_core("sheets")?;
        let password_work = crate::auth::password::PasswordWork::for_this_machine()?;
        Ok(Self {
            pool,
            public_url: site.url.into(),
            public_url_configured: site.configured,
            https,
            cookies: Cookies::new(https, flash_key),
            signin_limiter: Arc::new(signin_limiter),
            password_work,
            sheet_renderer: Arc::new(sheet_renderer),
            sheet_work,
            writes,
            inline_reader,
            clinic: Arc::new(RwLock::new((Instant::now(), clinic))),
            last_write_probe: Arc::new(std::sync::Mutex::new(None)),
            database_folder: crate::db::disk::folder_of(database_url).map(Arc::from),
        })
    }

    /// Runs a read transaction on the blocking pool, off the async workers.
    pub async fn db<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            crate::db::read_tx(&mut conn, work)
        })
        .await?
    }

    /// Runs a short read in one consistent snapshot: on SQLite right on this thread (see
    /// `InlineReader`), on PostgreSQL on the blocking pool. Long reads (exports) use `db`.
    pub async fn read<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    {
        match &self.inline_reader {
            Some(reader) => reader.read(work),
            None => self.db(work).await,
        }
    }

    /// Reads patient data and audits the read: the data is returned only once its audit
    /// event is durable, so if the event cannot be written, the data is not shown.
    /// `work` returns the data and its event.
    pub async fn audited<T, F>(&self, who: Actor, work: F) -> Result<Audited<T>, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<(T, crate::store::audit::Event<'static>), AppError>
            + Send
            + 'static,
    {
        self.audited_page(who, work, Ok).await
    }

    /// `audited`, with the answer built from the data (`respond`, e.g. rendering the page)
    /// while the event commits. The answer is returned only once the event is durable: if
    /// the event cannot be written, the error is returned and nothing is shown.
    pub async fn audited_page<T, R, F>(
        &self,
        who: Actor,
        work: F,
        respond: impl FnOnce(Audited<T>) -> Result<R, AppError>,
    ) -> Result<R, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<(T, crate::store::audit::Event<'static>), AppError>
            + Send
            + 'static,
    {
        // A read snapshot first (no write lock), then the event joins the next group commit.
        let (value, event) = self.read(work).await?;
        let durable = self.submit_event(who, event)?;
        let answer = respond(Audited(value));
        durable.durable().await?;
        answer
    }

    /// `audited` for long reads (clinic-wide figures): the snapshot is read on the
    /// blocking pool, so a request worker is never held for it.
    pub async fn audited_long<T, F>(&self, who: Actor, work: F) -> Result<Audited<T>, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<(T, crate::store::audit::Event<'static>), AppError>
            + Send
            + 'static,
    {
        let (value, event) = self.db(work).await?;
        self.record(who, event).await?;
        Ok(Audited(value))
    }

    /// Changes data and writes its audit event in the same write transaction: if the
    /// event cannot be written, the change does not happen.
    pub async fn audited_change<T, F>(&self, who: Actor, work: F) -> Result<Audited<T>, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<(T, crate::store::audit::Event<'static>), AppError>
            + Clone
            + Send
            + 'static,
    {
        self.write(move |c| {
            let (value, event) = work(c)?;
            crate::store::audit::record(c, &who, event)?;
            Ok(value)
        })
        .await
        .map(Audited)
    }

    /// Writes one audit event on its own and returns once it is durable.
    pub async fn record(
        &self,
        who: Actor,
        event: crate::store::audit::Event<'static>,
    ) -> Result<(), AppError> {
        self.submit_event(who, event)?.durable().await
    }

    /// Hands one audit event to the writer on its own, without waiting for it.
    fn submit_event(
        &self,
        who: Actor,
        event: crate::store::audit::Event<'static>,
    ) -> Result<crate::db::writer::Pending<()>, AppError> {
        self.writes.submit(move |c| {
            crate::store::audit::record(c, &who, event)?;
            Ok(())
        })
    }

    /// Runs `work` in a write transaction and returns once it is durable. Writes that
    /// arrive together share one commit; each is undone alone if it fails. `work` is
    /// cloned for each run: it runs again if the database aborts its transaction.
    pub async fn write<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Clone + Send + 'static,
    {
        self.writes.write(work).await
    }

    /// Runs a store use-case in a write transaction (see `write`). A refusal rolls the
    /// transaction back and comes back as `AppError::Refused`, for the handler to show on
    /// its form.
    pub async fn change<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, crate::store::Refusal> + Clone + Send + 'static,
    {
        self.writes.write(move |c| Ok(work(c)?)).await
    }

    /// Whether a change can be committed now (a full disk answers reads and refuses
    /// writes). Probed by a one-row write at most every few seconds.
    pub async fn can_write(&self) -> bool {
        let last = *self
            .last_write_probe
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((at, verdict)) = last
            && at.elapsed() < WRITE_PROBE_EVERY
        {
            return verdict;
        }
        let folder = self.database_folder.clone();
        let disk_has_room = match folder {
            Some(folder) => web::block(move || crate::db::disk::has_room(&folder))
                .await
                .unwrap_or(false),
            None => true,
        };
        let verdict = disk_has_room
            && self
                .write(|c| Ok(crate::db::disk::write_probe(c)?))
                .await
                .is_ok();
        *self
            .last_write_probe
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some((Instant::now(), verdict));
        verdict
    }

    pub fn clinic_name(&self) -> String {
        match self.clinic.read() {
            Ok(guard) => guard.1.name.clone(),
            Err(poisoned) => poisoned.into_inner().1.name.clone(),
        }
    }

    /// The clinic's time zone: every time a person reads or types is in it.
    pub fn zone(&self) -> Zone {
        match self.clinic.read() {
            Ok(guard) => guard.1.zone,
            Err(poisoned) => poisoned.into_inner().1.zone,
        }
    }

    pub fn clinic_is_stale(&self) -> bool {
        match self.clinic.read() {
            Ok(guard) => guard.0.elapsed() > CLINIC_HEADER_TTL,
            Err(_) => true,
        }
    }

    pub fn set_clinic(&self, clinic: ClinicHeader) {
        let mut guard = match self.clinic.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = (Instant::now(), clinic);
    }

    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.public_url, path)
    }

    /// A 303 redirect after a successful form, with a short message for the next page.
    /// Flash text must never carry clinical free text: it travels in a cookie.
    pub fn redirect_with_flash(&self, location: &str, message: &str) -> HttpResponse {
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, location.to_owned()))
            .cookie(self.cookies.flash(message))
            .finish()
    }

    /// Only a path on this site may be a post-sign-in destination (no open redirects):
    /// `next` must be an absolute path that, joined to the public URL, stays on its origin.
    /// Browsers drop tabs and newlines and read `\` as `/` when they parse a URL, so any
    /// whitespace, control character or backslash, even percent-encoded, refuses it.
    pub fn safe_next(&self, next: Option<&str>) -> String {
        safe_next(&self.public_url, next)
    }
}

/// The signed-in user of a request, if any.
pub fn session_user(req: &HttpRequest) -> Option<SessionUser> {
    req.extensions().get::<SessionUser>().cloned()
}

/// The peer's address as seen by this server (forwarding headers are not trusted).
pub fn client_ip(req: &HttpRequest) -> Option<String> {
    req.peer_addr().map(|addr| addr.ip().to_string())
}

/// The audit actor for a request: its signed-in user (if any) and peer address.
pub fn actor(req: &HttpRequest) -> Actor {
    match session_user(req) {
        Some(user) => user.actor(client_ip(req)),
        None => Actor {
            ip: client_ip(req),
            ..Actor::default()
        },
    }
}

pub fn url_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// What the base layout shows around every page.
pub struct Layout {
    pub title: String,
    pub clinic_name: String,
    /// The clinic's zone, for templates: `{{ at.to_minute(layout.zone) }}`.
    pub zone: Zone,
    pub user: Option<NavUser>,
    pub csrf_token: String,
    pub flash: Option<String>,
}

pub struct NavUser {
    pub name: String,
    pub role_label: &'static str,
    pub is_admin: bool,
    pub is_staff: bool,
    pub is_patient: bool,
}

impl Layout {
    pub fn new(req: &HttpRequest, state: &AppState, title: impl Into<String>) -> Self {
        let user = session_user(req);
        let flash = state.cookies.read_flash(req);
        Self {
            title: title.into(),
            clinic_name: state.clinic_name(),
            zone: state.zone(),
            csrf_token: user
                .as_ref()
                .map(|u| u.csrf_token.clone())
                .unwrap_or_default(),
            user: user.map(|u| NavUser {
                name: u.display_name,
                role_label: u.role.label(),
                is_admin: u.role == crate::domain::Role::Admin,
                is_staff: u.role.is_staff(),
                is_patient: u.role == crate::domain::Role::Patient,
            }),
            flash,
        }
    }
}

/// Renders a page; a flash message, once shown, is cleared.
pub fn render(req: &HttpRequest, page: &impl Template) -> Result<HttpResponse, AppError> {
    render_with_status(req, page, actix_web::http::StatusCode::OK)
}

/// Room a page is rendered into at first: a case page is about 30 KB, and growing a
/// smaller buffer copies it again at each doubling.
const PAGE_CAPACITY: usize = 32 * 1024;

pub fn render_with_status<T: Template>(
    req: &HttpRequest,
    page: &T,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, AppError> {
    let mut body = String::with_capacity(PAGE_CAPACITY.max(T::SIZE_HINT));
    page.render_into(&mut body)?;
    if status.is_client_error() {
        mark_title_as_error(&mut body);
    }
    let mut response = HttpResponse::build(status);
    response.content_type("text/html; charset=utf-8");
    if let Some(state) = req.app_data::<web::Data<AppState>>()
        && state.cookies.has_flash(req)
    {
        response.cookie(state.cookies.flash_removal());
    }
    Ok(response.body(body))
}

/// A refused form or request says so first in the page's title, the first thing a screen
/// reader announces and the browser's tab shows (WCAG 3.3.1).
fn mark_title_as_error(body: &mut String) {
    const OPEN: &str = "<title>";
    const PREFIX: &str = "Error: ";
    if let Some(at) = body.find(OPEN) {
        let start = at + OPEN.len();
        if !body[start..].starts_with(PREFIX) {
            body.insert_str(start, PREFIX);
        }
    }
}

pub fn redirect(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .finish()
}

fn safe_next(public_url: &str, next: Option<&str>) -> String {
    let home = "/".to_owned();
    let Some(path) = next else { return home };
    // Encoded slashes and spaces are refused in the path only: a search query may hold them.
    let path_part = path.split(['?', '#']).next().unwrap_or_default();
    let lowered = path_part.to_ascii_lowercase();
    let unsafe_text = path
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
        || ["%09", "%0a", "%0d", "%20", "%5c", "%2f"]
            .iter()
            .any(|encoded| lowered.contains(encoded));
    if !path.starts_with('/') || path.starts_with("//") || unsafe_text {
        return home;
    }
    let Ok(base) = url::Url::parse(public_url) else {
        return home;
    };
    match base.join(path) {
        Ok(joined) if joined.origin() == base.origin() => {
            let mut local = joined.path().to_owned();
            if let Some(query) = joined.query() {
                local.push('?');
                local.push_str(query);
            }
            local
        }
        _ => home,
    }
}

/// One option of a select, radio group or checkbox group.
pub struct SelectOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl SelectOption {
    /// Options from a (key, label) table, marking those in `selected`.
    pub fn from_table(table: &[(&str, &str)], selected: &[&str]) -> Vec<Self> {
        table
            .iter()
            .map(|(value, label)| Self {
                value: (*value).to_owned(),
                label: (*label).to_owned(),
                selected: selected.contains(value),
            })
            .collect()
    }
}

/// One page of a list: which page, how many per page, and the total for the pager.
#[derive(Debug, Clone)]
pub struct Pager {
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
    /// The query string of the list without `page=`, to build the pager links.
    pub base_query: String,
    /// The count stopped at `total`: there are more than that.
    pub more: bool,
    /// Where on the page the list starts (`#id`), for a list below other content.
    pub anchor: Option<&'static str>,
}

impl Pager {
    pub fn new(page: Option<i64>, per_page: i64, total: i64, base_query: String) -> Self {
        let last = ((total + per_page - 1) / per_page).max(1);
        Self {
            page: page.unwrap_or(1).clamp(1, last),
            per_page,
            total,
            base_query,
            more: false,
            anchor: None,
        }
    }

    /// Links that land on the list (`#anchor`) rather than at the top of the page.
    pub fn at_anchor(self, anchor: &'static str) -> Self {
        Self {
            anchor: Some(anchor),
            ..self
        }
    }

    /// For a count that stopped past `cap`: pages run to `cap`, and the list says "more than".
    pub fn capped(
        page: Option<i64>,
        per_page: i64,
        counted: i64,
        cap: i64,
        base_query: String,
    ) -> Self {
        Self {
            more: counted > cap,
            ..Self::new(page, per_page, counted.min(cap), base_query)
        }
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }

    pub fn last_page(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }

    pub fn has_prev(&self) -> bool {
        self.page > 1
    }

    pub fn has_next(&self) -> bool {
        self.page < self.last_page()
    }

    pub fn link(&self, page: i64) -> String {
        let mut link = if self.base_query.is_empty() {
            format!("?page={page}")
        } else {
            format!("?{}&page={page}", self.base_query)
        };
        if let Some(anchor) = self.anchor {
            link.push('#');
            link.push_str(anchor);
        }
        link
    }

    pub fn prev_link(&self) -> String {
        self.link(self.page - 1)
    }

    pub fn next_link(&self) -> String {
        self.link(self.page + 1)
    }

    pub fn first_item(&self) -> i64 {
        if self.total == 0 {
            0
        } else {
            self.offset() + 1
        }
    }

    pub fn last_item(&self) -> i64 {
        (self.offset() + self.per_page).min(self.total)
    }
}

/// A patient for a page, read with its audit event.
pub async fn audited_patient(
    state: &AppState,
    who: crate::store::audit::Actor,
    patient_id: i64,
    detail: &'static str,
) -> Result<Audited<crate::store::patients::PatientRow>, AppError> {
    state
        .audited(who, move |c| {
            let patient = crate::store::patients::find(c, patient_id)?;
            let event = crate::store::audit::Event::new(Action::PatientRead)
                .entity("patient", patient_id)
                .patient(patient_id)
                .detail(detail);
            Ok((patient, event))
        })
        .await
}

/// A case and its patient for a page, read with the page's audit event (`detail` names
/// the page).
pub async fn audited_case(
    state: &AppState,
    who: crate::store::audit::Actor,
    case_id: i64,
    detail: &'static str,
) -> Result<
    (
        crate::store::cases::CaseRow,
        Audited<crate::store::patients::PatientRow>,
    ),
    AppError,
> {
    let (patient, case) = state
        .audited(who, move |c| {
            let (case, patient) = crate::store::cases::find_with_patient(c, case_id)?;
            let event = crate::store::audit::Event::new(Action::CaseRead)
                .entity("case", case_id)
                .patient(case.patient_id)
                .detail(detail);
            Ok(((case, patient), event))
        })
        .await?
        .take(|(case, patient)| (patient, case));
    Ok((case, patient))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_paths_cannot_leave_the_site() {
        let site = "https://clinic.example";
        assert_eq!(safe_next(site, Some("/patients?q=a")), "/patients?q=a");
        assert_eq!(safe_next(site, Some("/cases/7#pain")), "/cases/7");
        assert_eq!(
            safe_next(site, Some("/patients?q=ann%20lee%2F")),
            "/patients?q=ann%20lee%2F"
        );
        for bad in [
            "//evil.example",
            "https://evil.example",
            "https:evil.example",
            "/\\evil",
            "/\t/evil.example",
            "/\t\t/evil.example",
            "/%09/evil.example",
            "/ /evil.example",
            "/\n/evil.example",
            "\r\n/evil",
            "\\\\evil.example",
            "/%2F%2Fevil",
            "/%2f/evil",
            "/%5C%5Cevil",
            "\u{85}//evil.example",
            "/\u{a0}/evil.example",
            "",
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,x",
            "evil.example",
        ] {
            assert_eq!(safe_next(site, Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(site, None), "/");
    }

    #[test]
    fn pager_clamps_and_links() {
        let pager = Pager::new(Some(9), 20, 45, "q=ann".into());
        assert_eq!(pager.page, 3);
        assert_eq!(pager.offset(), 40);
        assert_eq!((pager.first_item(), pager.last_item()), (41, 45));
        assert!(pager.has_prev() && !pager.has_next());
        assert_eq!(pager.prev_link(), "?q=ann&page=2");
        let capped = Pager::capped(Some(99), 25, 1_001, 1_000, String::new());
        assert!(capped.more);
        assert_eq!(
            (capped.total, capped.last_page(), capped.page),
            (1_000, 40, 40)
        );
        assert!(!Pager::capped(None, 25, 1_000, 1_000, String::new()).more);
        let anchored = Pager::new(Some(2), 25, 60, String::new()).at_anchor("timeline");
        assert_eq!(
            (anchored.prev_link(), anchored.next_link()),
            ("?page=1#timeline".to_owned(), "?page=3#timeline".to_owned())
        );
        let empty = Pager::new(None, 20, 0, String::new());
        assert_eq!(
            (empty.page, empty.last_page(), empty.first_item()),
            (1, 1, 0)
        );
    }
}

/// An addendum as typed under a signed record (an assessment or a visit note).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct AddendumForm {
    #[serde(default)]
    pub body: String,
}

impl AddendumForm {
    /// Longest addendum, as long as any free-text field of a record.
    const LIMIT: usize = 4000;

    /// The addendum's text, or the refusal its form shows beside the field.
    pub fn text(&self) -> Result<String, AppError> {
        crate::domain::clinical::required_text(&self.body, Self::LIMIT, "The addendum").map_err(
            |message| AppError::Refused {
                field: "body",
                message,
            },
        )
    }
}
