use std::io::BufRead;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use physiocase::auth::password;
use physiocase::config::{DatabaseArgs, ServeArgs, Settings};
use physiocase::db::{self, write_tx};
use physiocase::domain::{DisplayName, Email, NewPassword, Role};
use physiocase::error::AppError;
use physiocase::startup::Application;
use physiocase::store::audit::{self, Action, Actor, Event};
use physiocase::store::users;

// Many short-lived allocations on a few threads: mimalloc is faster than the system
// allocator here and keeps far less memory than an arena per thread. It is built without
// transparent huge pages (`no_thp` in Cargo.toml): a freed 64 KiB inside a 2 MiB page stays
// resident, so the load generator's mix peaked at 95–97 MB with them and 49.5 MB without.
// Deployments set MIMALLOC_PURGE_DELAY=100 (README): freed pages go back after 100 ms
// instead of a second, a third less peak memory under mixed load (145 → 93 MB), while a
// burst of sign-ins still reuses one password hash's 19 MiB.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// physiocase: a physiotherapy clinic case manager.
#[derive(Parser)]
#[command(version, about, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// `serve`'s options, so a bare `physiocase` serves.
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web app (the default).
    Serve(ServeArgs),
    /// Create a staff account; the password is read from standard input.
    CreateUser {
        #[arg(long, value_parser = ["admin", "therapist"])]
        role: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Check the whole audit hash chain and name the first row that does not fit.
    AuditVerify {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Write a consistent copy of the SQLite database to FILE while the app runs.
    Backup {
        /// Where to write the copy; it must not exist yet.
        file: std::path::PathBuf,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Restore a backup FILE into an empty database path (never overwrites).
    Restore {
        /// The backup to restore.
        file: std::path::PathBuf,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Fill a fresh database with a believable demo clinic, print the sign-ins, and serve it.
    Demo(ServeArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        None => serve(cli.serve),
        Some(Command::Serve(args)) => serve(args),
        Some(Command::CreateUser {
            role,
            email,
            name,
            database,
        }) => create_user(&role, &email, &name, &database),
        Some(Command::AuditVerify { database }) => audit_verify(&database),
        Some(Command::Backup { file, database }) => backup(&file, &database),
        Some(Command::Restore { file, database }) => restore(&file, &database),
        Some(Command::Demo(args)) => demo(args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("physiocase: {message}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeArgs) -> Result<ExitCode, String> {
    let settings = Settings::from_args(&args).map_err(|e| e.to_string())?;
    let database = settings.database_url.to_string();
    let app = Application::build(settings).map_err(|e| e.to_string())?;
    println!(
        "physiocase is serving {} (database: {database})",
        app.public_url()
    );
    if let Some(link) = app.setup_link() {
        println!();
        println!("No account exists yet. Open this link to create the first admin");
        println!("(it works once and expires in 24 hours):");
        println!();
        println!("    {link}");
        println!();
    }
    let server = app.run().map_err(|e| e.to_string())?;
    actix_web::rt::System::new()
        .block_on(server)
        .map_err(|e| format!("server stopped: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

fn create_user(
    role: &str,
    email: &str,
    name: &str,
    database: &DatabaseArgs,
) -> Result<ExitCode, String> {
    let role = Role::parse(role)?;
    let email = Email::parse(email)?;
    let name = DisplayName::parse(name)?;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("could not read the password from standard input: {e}"))?;
    let typed = line.trim_end_matches(['\r', '\n']);
    let new_password = NewPassword::parse(typed, typed, &[name.as_str(), email.as_str()])?;
    let hash = password::hash(new_password.expose()).map_err(|e| e.to_string())?;

    let url = database.url().map_err(|e| e.to_string())?;
    let pool = db::connect_and_migrate(&url, 1).map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let created = write_tx(&mut conn, |c| {
        users::create_from_command_line(c, &email, &name, role, &hash).map_err(AppError::from)
    })
    .map_err(|e| e.to_string())?;
    match created {
        Some(id) => {
            println!(
                "Created {} account {} (id {id}).",
                role.as_str(),
                email.as_str()
            );
            Ok(ExitCode::SUCCESS)
        }
        None => Err(format!(
            "an account with the email {} already exists",
            email.as_str()
        )),
    }
}

fn audit_verify(database: &DatabaseArgs) -> Result<ExitCode, String> {
    let url = database.url().map_err(|e| e.to_string())?;
    let pool = db::connect_and_migrate(&url, 1).map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let report = audit::verify_chain(&mut conn).map_err(|e| e.to_string())?;
    match report.first_broken {
        None => {
            println!("audit chain ok: {} rows verified", report.rows_checked);
            Ok(ExitCode::SUCCESS)
        }
        Some(broken) => {
            println!(
                "audit chain BROKEN at row {}: {} ({} rows before it verified)",
                broken.id, broken.reason, report.rows_checked
            );
            Ok(ExitCode::from(2))
        }
    }
}

fn backup(file: &std::path::Path, database: &DatabaseArgs) -> Result<ExitCode, String> {
    let url = database.url().map_err(|e| e.to_string())?;
    if let physiocase::db::DatabaseUrl::Sqlite(path) = &url
        && !path.exists()
    {
        return Err(format!("there is no database at {}", path.display()));
    }
    let pool = db::connect_and_migrate(&url, 1).map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    db::backup::backup(&mut conn, file).map_err(|e| e.to_string())?;
    write_tx(&mut conn, |c| {
        audit::record(c, &Actor::default(), Event::new(Action::BackupWritten))
    })
    .map_err(|e| e.to_string())?;
    println!(
        "Backup written to {} and checked (integrity ok).",
        file.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn restore(file: &std::path::Path, database: &DatabaseArgs) -> Result<ExitCode, String> {
    let url = database.url().map_err(|e| e.to_string())?;
    let restored = db::backup::restore(file, &url).map_err(|e| e.to_string())?;
    // Open it as the app would: migrations of a newer release apply, the chain is checked.
    let pool = db::connect_and_migrate(&url, 1).map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let report = audit::verify_chain(&mut conn).map_err(|e| e.to_string())?;
    println!(
        "Restored {} to {} ({} audit rows, chain {}).",
        file.display(),
        restored.display(),
        report.rows_checked,
        if report.first_broken.is_none() {
            "ok"
        } else {
            "BROKEN"
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn demo(mut args: ServeArgs) -> Result<ExitCode, String> {
    if std::env::var_os("DATABASE_URL").is_none()
        && args.database.database_url == "sqlite://physiocase.db"
    {
        args.database.database_url = "sqlite://physiocase-demo.db".into();
    }
    let url = args.database.url().map_err(|e| e.to_string())?;
    let pool = db::connect_and_migrate(&url, 2).map_err(|e| e.to_string())?;
    drop(pool);
    // Build the app first so the library and templates are seeded, then fill it.
    let settings = Settings::from_args(&args).map_err(|e| e.to_string())?;
    let app = Application::build(settings).map_err(|e| e.to_string())?;
    let mut conn = app.pool().get().map_err(|e| e.to_string())?;
    let accounts = physiocase::demo::populate(&mut conn, 2026).map_err(|e| e.to_string())?;
    drop(conn);
    app.reload_clinic().map_err(|e| e.to_string())?;
    println!(
        "Demo clinic ready at {} (database {url}).",
        app.public_url()
    );
    println!(
        "Every demo account's password: {}",
        physiocase::demo::DEMO_PASSWORD
    );
    println!("  admin:      {}", accounts.admin);
    for therapist in &accounts.therapists {
        println!("  therapist:  {therapist}");
    }
    println!("  patient:    {}", accounts.patient);
    let server = app.run().map_err(|e| e.to_string())?;
    actix_web::rt::System::new()
        .block_on(server)
        .map_err(|e| format!("server stopped: {e}"))?;
    Ok(ExitCode::SUCCESS)
}
