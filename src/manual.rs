//! Shell completion scripts and man pages, generated from the clap definition of the command line
//! so they can never disagree with it. Returns bytes; the CLI decides where they go.

use std::io;
use std::path::Path;

pub(crate) use clap_complete::Shell;

/// The completion script for `shell`.
pub(crate) fn completions(shell: Shell, mut command: clap::Command) -> Vec<u8> {
    let name = command.get_name().to_owned();
    // Into memory first: clap_complete panics when its writer fails (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, name, &mut script);
    script
}

/// The man page of the command, listing its subcommands (roff, section 1).
pub(crate) fn man_page(command: clap::Command) -> io::Result<Vec<u8>> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command).render(&mut page)?;
    Ok(page)
}

/// One man page per command and subcommand (`fluxspec.1`, `fluxspec-compile.1`, ...) in `dir`.
pub(crate) fn write_man_pages(command: clap::Command, dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    clap_mangen::generate_to(command, dir)
}
