//! Settings from command-line flags and `PHYSIOCASE_*` environment variables. Nothing global.

use std::net::SocketAddr;

use clap::Args;

use crate::dates::Zone;
use crate::db::{DatabaseUrl, DbError};

/// How the web server runs. Every flag has an environment variable.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "PHYSIOCASE_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    #[command(flatten)]
    pub database: DatabaseArgs,

    /// The address users reach the app at (used in links, QR codes and cookie security).
    /// Defaults to http://BIND. An https URL marks cookies Secure.
    #[arg(long, env = "PHYSIOCASE_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Sign-in attempts allowed per account per minute.
    #[arg(
        long,
        env = "PHYSIOCASE_SIGNIN_PER_ACCOUNT_PER_MINUTE",
        default_value_t = 5
    )]
    pub signin_per_account_per_minute: u32,

    /// Sign-in attempts allowed per client IP address per minute (per app instance).
    #[arg(
        long,
        env = "PHYSIOCASE_SIGNIN_PER_IP_PER_MINUTE",
        default_value_t = 30
    )]
    pub signin_per_ip_per_minute: u32,

    /// Worker threads serving requests (default: one per core).
    #[arg(long, env = "PHYSIOCASE_WORKERS")]
    pub workers: Option<usize>,

    /// The clinic's time zone on a new database, an IANA name such as Europe/London
    /// (default: the server's own zone, else UTC). Admins change it in clinic settings.
    #[arg(long, env = "PHYSIOCASE_TIME_ZONE")]
    pub time_zone: Option<String>,

    /// A font file for Chinese, Japanese and Korean on the printed sheets, for example
    /// /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc (package fonts-noto-cjk).
    #[arg(long, env = "PHYSIOCASE_CJK_FONT")]
    pub cjk_font: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// sqlite://PATH, a file path, or postgres://USER@HOST/DB.
    #[arg(
        long = "database-url",
        env = "DATABASE_URL",
        default_value = "sqlite://physiocase.db"
    )]
    pub database_url: String,

    /// Largest number of pooled connections, used by long reads (exports, clinic-wide
    /// review, the audit log); page reads and writes have connections of their own.
    #[arg(long, env = "PHYSIOCASE_DB_POOL_SIZE", default_value_t = 4)]
    pub db_pool_size: u32,
}

impl DatabaseArgs {
    pub fn url(&self) -> Result<DatabaseUrl, DbError> {
        DatabaseUrl::parse(&self.database_url)
    }
}

/// The sign-in limits count per minute: a burst is over after a quiet minute.
const SIGNIN_BURST_QUIET: std::time::Duration = std::time::Duration::from_secs(60);

/// Everything `Application::build` needs, already validated.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: SocketAddr,
    pub database_url: DatabaseUrl,
    pub db_pool_size: u32,
    /// Set explicitly, or derived from the bound address once it is known.
    pub public_url: Option<String>,
    pub signin_per_account_per_minute: u32,
    pub signin_per_ip_per_minute: u32,
    /// Refused sign-ins on one account are one audit row per burst; a burst ends once
    /// none has come for this long.
    pub signin_burst_quiet: std::time::Duration,
    pub workers: Option<usize>,
    /// The zone a database the server has not started on before takes.
    pub default_zone: Zone,
    /// The sheets' font for Chinese, Japanese and Korean, if the clinic set one.
    pub cjk_font: Option<std::path::PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("the public URL {0:?} is not an http:// or https:// URL")]
    PublicUrl(String),
    #[error("the time zone {0:?} is not an IANA zone name such as Europe/London")]
    TimeZone(String),
}

impl Settings {
    pub fn from_args(args: &ServeArgs) -> Result<Self, SettingsError> {
        let public_url = match &args.public_url {
            Some(raw) => Some(normalise_public_url(raw)?),
            None => None,
        };
        let default_zone = match &args.time_zone {
            Some(name) => Zone::parse(name).ok_or_else(|| SettingsError::TimeZone(name.clone()))?,
            None => Zone::of_this_server().unwrap_or(Zone::UTC),
        };
        Ok(Self {
            bind: args.bind,
            database_url: args.database.url()?,
            db_pool_size: args.database.db_pool_size.max(1),
            public_url,
            signin_per_account_per_minute: args.signin_per_account_per_minute.max(1),
            signin_per_ip_per_minute: args.signin_per_ip_per_minute.max(1),
            signin_burst_quiet: SIGNIN_BURST_QUIET,
            workers: args.workers,
            default_zone,
            cjk_font: args.cjk_font.clone(),
        })
    }

    /// Settings for tests and tools: an ephemeral port and the given database.
    pub fn for_database(database_url: DatabaseUrl) -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url,
            db_pool_size: 4,
            public_url: None,
            signin_per_account_per_minute: 5,
            signin_per_ip_per_minute: 30,
            signin_burst_quiet: SIGNIN_BURST_QUIET,
            workers: Some(2),
            default_zone: Zone::UTC,
            cjk_font: None,
        }
    }
}

fn normalise_public_url(raw: &str) -> Result<String, SettingsError> {
    let parsed = url::Url::parse(raw).map_err(|_| SettingsError::PublicUrl(raw.to_owned()))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(SettingsError::PublicUrl(raw.to_owned()));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}
