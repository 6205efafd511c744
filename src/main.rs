//! The thin binary: parse arguments, run, print, exit. All logic lives in the library.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = apiusage::cli::Cli::parse();
    match apiusage::run(cli, chrono::Utc::now()) {
        Ok(outcome) => {
            // A closed pipe (`apiusage schema … | head`) is not an error worth reporting.
            let _ = std::io::stdout().write_all(outcome.stdout.as_bytes());
            for line in &outcome.stderr {
                eprintln!("apiusage: {line}");
            }
            ExitCode::from(outcome.status.code())
        }
        Err(err) => {
            eprintln!("apiusage: error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(apiusage::ExitStatus::Error.code())
        }
    }
}
