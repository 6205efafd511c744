//! The thin binary: parse arguments, run, print, exit. All logic lives in the library; the
//! process's edges (one error format, the panic and out-of-memory paths) in `process`.

use std::process::ExitCode;

use apiusage::config_file::ArgsError;
use apiusage::process::{self, ERROR_CODE};
use clap::error::ErrorKind;

#[global_allocator]
static ALLOCATOR: process::ExitOnOom = process::ExitOnOom;

fn main() -> ExitCode {
    process::install_panic_hook();
    match std::panic::catch_unwind(run) {
        Ok(code) => code,
        // The hook has already said what happened.
        Err(_) => ExitCode::from(ERROR_CODE as u8),
    }
}

fn run() -> ExitCode {
    let cli = match apiusage::config_file::parse_args(std::env::args_os().collect()) {
        Ok(cli) => cli,
        Err(ArgsError::Clap(e)) => return clap_exit(&e),
        Err(ArgsError::File(message)) => {
            process::stderr_message(&format!("error: {message}"), &[]);
            return ExitCode::from(ERROR_CODE as u8);
        }
    };
    process::injected_fault();
    match apiusage::run_on(cli, chrono::Utc::now(), apiusage::term::Terminal::detect()) {
        Ok(outcome) => {
            for line in &outcome.stderr {
                process::stderr_message(line, &[]);
            }
            if let Err(e) = process::write_stdout(outcome.stdout.as_bytes()) {
                process::stderr_message(&format!("error: cannot write to standard output: {e}"), &[]);
                return ExitCode::from(ERROR_CODE as u8);
            }
            ExitCode::from(outcome.status.code())
        }
        Err(err) => {
            let causes: Vec<String> = err
                .chain()
                .skip(1)
                .map(|cause| format!("caused by: {cause}"))
                .collect();
            process::stderr_message(&format!("error: {err}"), &causes);
            ExitCode::from(ERROR_CODE as u8)
        }
    }
}

/// `--help` and `--version` print to stdout and succeed; every other clap error is an
/// `apiusage: error:` with exit 2.
fn clap_exit(e: &clap::Error) -> ExitCode {
    let rendered = e.render().to_string();
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        return match process::write_stdout(rendered.as_bytes()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                process::stderr_message(&format!("error: cannot write to standard output: {err}"), &[]);
                ExitCode::from(ERROR_CODE as u8)
            }
        };
    }
    let (first, rest) = if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let rest = rendered.lines().map(str::to_string).collect();
        (
            "error: a command is required: report, top, fetch, schema, sample, ingest, store, completions or man".to_string(),
            rest,
        )
    } else {
        process::clap_error_lines(&rendered)
    };
    process::stderr_message(&first, &rest);
    ExitCode::from(ERROR_CODE as u8)
}
