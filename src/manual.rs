//! `apiusage completions SHELL` and `apiusage man`: shell completion scripts and roff man
//! pages, both generated from the clap definition in [`crate::cli`], so they can never drift
//! from the flags. Beside the pipeline; it only turns the CLI's description into bytes (and,
//! for `man --out DIR`, files).

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::CommandFactory;

use crate::cli::Cli;

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> String {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "apiusage", &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// The top-level man page, `apiusage.1`, as roff.
pub fn man_page() -> anyhow::Result<String> {
    render(Cli::command())
}

/// Writes `apiusage.1` and one `apiusage-<command>.1` per subcommand (nested ones too, e.g.
/// `apiusage-store-info.1`) into `dir`, creating it; returns the files written.
pub fn write_man_pages(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut cmd = Cli::command();
    // Builds the subcommands' full names (`apiusage-report`) and their usage lines.
    cmd.build();
    let mut written = Vec::new();
    write_tree(&cmd, "apiusage", dir, &mut written)?;
    Ok(written)
}

fn write_tree(cmd: &clap::Command, name: &str, dir: &Path, written: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let path = dir.join(format!("{name}.1"));
    // After `build`, the page title is the display name (`apiusage-report`), not `report`.
    let page = render(cmd.clone())?;
    std::fs::write(&path, page).with_context(|| format!("cannot write {}", path.display()))?;
    written.push(path);
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        write_tree(sub, &format!("{name}-{}", sub.get_name()), dir, written)?;
    }
    Ok(())
}

fn render(cmd: clap::Command) -> anyhow::Result<String> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut buf)
        .context("cannot render the man page")?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}
