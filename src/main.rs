//! The `newsdesk` binary: parses the command line and hands over to the library.

use clap::Parser;

/// mimalloc instead of the system allocator: glibc gives each of the many threads that run
/// database work (the blocking pool grows with concurrent requests) its own arena and keeps
/// their freed memory, which took the server's resident memory under load from about 60 MiB to
/// about 200 MiB in `bench/run`; mimalloc returns it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
