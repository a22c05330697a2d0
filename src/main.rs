use std::process::ExitCode;

fn main() -> ExitCode {
    fluxspec::run()
}
