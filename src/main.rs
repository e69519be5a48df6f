//! The `newsdesk` binary: parses the command line and hands over to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = newsdesk::cli::Cli::parse();
    match newsdesk::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("newsdesk: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
