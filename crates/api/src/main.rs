//! `kept`: serve the API (the default), apply migrations, show the effective configuration, or
//! manage the accounts of this server.

use clap::{Parser, Subcommand};
use kept_api::operator::UsersCommand;
use kept_api::{Application, Config, telemetry};
use kept_core::SystemClock;
use kept_store::{DatabaseUrl, db};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "kept",
    version,
    about = "Kept: a private shared space for two partners rebuilding trust"
)]
struct Cli {
    /// A TOML file that overrides the built-in defaults (then KEPT__SECTION__KEY variables apply).
    #[arg(long, env = "KEPT_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default when no command is given).
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Print the effective configuration, secrets masked, then exit.
    CheckConfig,
    /// Print the OpenAPI document (the web app's types are generated from it), then exit.
    Openapi,
    /// Copy the SQLite database, consistently, while the server runs (PostgreSQL: use pg_dump).
    Backup {
        /// Where the copy goes; the file must not exist yet.
        path: PathBuf,
        /// Print one JSON document instead of a line (for scripts).
        #[arg(long)]
        json: bool,
    },
    /// The accounts of this server: list, add, disable, enable.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
        /// Print one JSON document instead of lines (for scripts).
        #[arg(long, global = true)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref(), std::env::vars()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("kept: {error}");
            return ExitCode::from(2);
        }
    };
    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Migrate => migrate(&config),
        Command::Openapi => answer(
            kept_api::app::openapi_json()
                .map(|doc| doc.to_string())
                .map_err(Into::into),
        ),
        Command::Backup { path, json } => answer(kept_api::operator::backup(&config, &path, json)),
        Command::Users { command, json } => {
            answer(kept_api::operator::users(&config, command, json))
        }
        Command::CheckConfig => answer(Ok(config.to_masked_toml())),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "kept stopped");
            eprintln!("kept: {error}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    telemetry::init(&config.log.filter, config.log.format);
    let workers = config.server.workers;
    let bind = config.server.bind.clone();
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(config, Arc::new(SystemClock))?;
        tracing::info!(%bind, port = app.port(), workers, "kept is serving");
        let shutdown = app.shutdown_handle();
        actix_web::rt::spawn(async move {
            stop_signal().await;
            tracing::info!("stopping: closing live sessions, draining requests");
            shutdown.stop().await;
        });
        app.run_until_stopped().await?;
        tracing::info!("kept stopped gracefully");
        Ok(())
    })
}

/// Prints a command's answer: printing is the whole purpose of such a command.
fn answer(
    output: Result<String, Box<dyn std::error::Error>>,
) -> Result<(), Box<dyn std::error::Error>> {
    let output = output?;
    #[allow(clippy::print_stdout)]
    {
        println!("{}", output.trim_end());
    }
    Ok(())
}

/// SIGINT (Ctrl-C) or SIGTERM (the orchestrator).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn migrate(config: &Config) -> Result<(), Box<dyn std::error::Error>> {
    telemetry::init(&config.log.filter, config.log.format);
    let mut conn = DatabaseUrl::parse(config.database.url.expose())?.connect()?;
    let applied = db::run_migrations(&mut conn)?;
    tracing::info!(applied, "migrations done");
    Ok(())
}
