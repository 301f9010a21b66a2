//! The `redflag` binary: parse the command line, run, map the outcome to an exit code.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let start = std::time::Instant::now();
    let cli = redflag::cli::Cli::parse();
    let outcome = redflag::app::run(cli);
    if redflag::timings::enabled() {
        eprintln!(
            "{}{:>9.1} ms  total",
            redflag::timings::table(),
            start.elapsed().as_secs_f64() * 1000.0
        );
    }
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            // One clear message, never a backtrace: usage, config and control errors exit 2.
            let mut message = format!("error: {err}");
            for cause in err.chain().skip(1) {
                message.push_str(&format!("\n  caused by: {cause}"));
            }
            eprintln!("{}", redflag::text::terminal_safe(&message));
            ExitCode::from(2)
        }
    }
}
