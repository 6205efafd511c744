//! `--config FILE` (or `APIUSAGE_CONFIG`): default options for `report`, `top` and `fetch` from
//! a TOML file, for nightly jobs. The first step of the run, before [`crate::config`]: the
//! file's values become command-line arguments for the options the command line does not
//! give, and clap parses the whole again, so the file and the flags share one grammar, one
//! validation and one set of error messages (ripgrep's config file works the same way).
//!
//! Layout: options at the top level apply to every command that has them; a `[report]`,
//! `[top]` or `[fetch]` table applies to that command and wins over the top level. Keys are
//! the long flag names (`chatty-share`, or `chatty_share`), `paths` for the inputs. A key that
//! is no option, or a table that is no command, is an error naming the key and the file.
//! Relative paths in the file resolve against the file's folder, not the job's working folder.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, CommandFactory, FromArgMatches};

use crate::cli::Cli;

/// The commands a config file configures.
pub const COMMANDS: [&str; 3] = ["report", "top", "fetch"];

/// Options whose values are paths (resolved against the file's folder). `limits` may be
/// `ORGID=FILE`, whose FILE part is resolved.
pub const PATH_KEYS: [&str; 7] = [
    "paths",
    "store",
    "out",
    "integrations",
    "profile",
    "limits",
    "jwt-key-file",
];

/// Why the command line could not be turned into a [`Cli`].
#[derive(Debug)]
pub enum ArgsError {
    /// clap's own error (usage, `--help`, `--version`).
    Clap(clap::Error),
    /// The config file could not be read or holds something that is not an option.
    File(String),
}

/// Parses the command line, with the config file's options under it.
pub fn parse_args(args: Vec<OsString>) -> Result<Cli, ArgsError> {
    // Lenient first pass: the file may hold a required option (`paths`), and this pass only
    // needs to know the command, the file, and which options the command line gives.
    let first = Cli::command().ignore_errors(true).try_get_matches_from(&args);
    let injected = match first {
        Ok(m) => injected_args(&m)?,
        Err(_) => None,
    };
    let args = match injected {
        Some((command, extra, paths)) => splice(args, &command, extra, paths),
        None => args,
    };
    let matches = Cli::command()
        .try_get_matches_from(args)
        .map_err(ArgsError::Clap)?;
    Cli::from_arg_matches(&matches).map_err(ArgsError::Clap)
}

type Injected = (String, Vec<OsString>, Vec<OsString>);

/// The command's name, the options from the file and its `paths` (when the command line has
/// none); `None` when no config file applies.
fn injected_args(m: &ArgMatches) -> Result<Option<Injected>, ArgsError> {
    let Some((command, sub)) = m.subcommand() else {
        return Ok(None);
    };
    if !COMMANDS.contains(&command) {
        return Ok(None);
    }
    let Some(path) = sub.get_one::<PathBuf>("config").cloned() else {
        return Ok(None);
    };
    let file_err = |e: String| ArgsError::File(format!("config file {}: {e}", path.display()));
    let text = std::fs::read_to_string(&path).map_err(|e| file_err(format!("cannot read it: {e}")))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| file_err(e.message().to_string()))?;
    let values = options_for(&table, command).map_err(file_err)?;
    let base = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let cmd = Cli::command();
    let spec = cmd
        .find_subcommand(command)
        .expect("a config command is a subcommand");
    let mut extra = Vec::new();
    let mut paths = Vec::new();
    for (key, value) in values {
        let arg = find_arg(spec, &key).expect("options_for keeps only the command's options");
        if sub.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine) {
            continue; // the flag wins
        }
        let strings = to_strings(arg, &key, &value, &base).map_err(file_err)?;
        match arg.get_long() {
            Some(long) => extra.extend(strings.into_iter().map(|v| flag(long, arg, v))),
            None => paths.extend(strings.into_iter().map(OsString::from)),
        }
    }
    Ok(Some((
        command.to_string(),
        extra.into_iter().flatten().collect(),
        paths,
    )))
}

/// The file's options for `command`: the top level, then its table over it; every key of
/// every table is checked, whichever command runs, so a typo fails the first run.
fn options_for(table: &toml::Table, command: &str) -> Result<BTreeMap<String, toml::Value>, String> {
    let cmd = Cli::command();
    let spec = |name: &str| {
        cmd.find_subcommand(name)
            .expect("a config command is a subcommand")
    };
    let mut top = BTreeMap::new();
    let mut section = BTreeMap::new();
    for (key, value) in table {
        if let toml::Value::Table(t) = value {
            if !COMMANDS.contains(&key.as_str()) {
                return Err(format!(
                    "unknown table [{key}]; the tables are [report], [top] and [fetch]"
                ));
            }
            for (k, v) in t {
                let k = normal(k);
                if find_arg(spec(key), &k).is_none() {
                    return Err(format!(
                        "unknown key `{k}` in [{key}] (not an option of apiusage {key})"
                    ));
                }
                if key == command {
                    section.insert(k, v.clone());
                }
            }
            continue;
        }
        let k = normal(key);
        if !COMMANDS.iter().any(|c| find_arg(spec(c), &k).is_some()) {
            return Err(format!(
                "unknown key `{k}` (not an option of apiusage report, top or fetch)"
            ));
        }
        if find_arg(spec(command), &k).is_some() {
            top.insert(k, value.clone());
        }
    }
    top.extend(section);
    Ok(top)
}

/// `chatty_share` and `chatty-share` are the same key.
fn normal(key: &str) -> String {
    key.trim().replace('_', "-")
}

/// The option a key names: a long flag, or `paths`. Never `config` itself, `help`, or a
/// hidden (testing) option.
fn find_arg<'a>(cmd: &'a clap::Command, key: &str) -> Option<&'a clap::Arg> {
    if matches!(key, "config" | "help" | "version") {
        return None;
    }
    cmd.get_arguments()
        .filter(|a| !a.is_hide_set())
        .find(|a| match a.get_long() {
            Some(long) => long == key,
            None => a.get_id().as_str() == key,
        })
}

/// A value as the strings the command line would carry.
fn to_strings(arg: &clap::Arg, key: &str, value: &toml::Value, base: &Path) -> Result<Vec<String>, String> {
    if matches!(arg.get_action(), ArgAction::SetTrue) {
        return match value {
            toml::Value::Boolean(true) => Ok(vec![String::new()]),
            toml::Value::Boolean(false) => Ok(Vec::new()),
            _ => Err(format!("`{key}` is true or false")),
        };
    }
    let many = matches!(arg.get_action(), ArgAction::Append);
    let items: Vec<&toml::Value> = match value {
        toml::Value::Array(items) if many => items.iter().collect(),
        toml::Value::Array(_) => return Err(format!("`{key}` takes one value, not a list")),
        v => vec![v],
    };
    items
        .into_iter()
        .map(|v| scalar(key, v).map(|s| resolve(key, s, base)))
        .collect()
}

fn scalar(key: &str, v: &toml::Value) -> Result<String, String> {
    match v {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(n) => Ok(n.to_string()),
        toml::Value::Float(x) => Ok(x.to_string()),
        toml::Value::Datetime(d) => Ok(d.to_string()),
        _ => Err(format!("`{key}` takes a string or a number")),
    }
}

/// Paths from the file are relative to the file's folder.
fn resolve(key: &str, value: String, base: &Path) -> String {
    if !PATH_KEYS.contains(&key) {
        return value;
    }
    let join = |p: &str| base.join(p).to_string_lossy().into_owned();
    match value.split_once('=') {
        // `ORGID=FILE` (limits): an org id is letters and digits only.
        Some((org, file)) if key == "limits" && org.chars().all(|c| c.is_ascii_alphanumeric()) => {
            format!("{org}={}", join(file))
        }
        _ => join(&value),
    }
}

/// `--long=value` (one argument, so a value starting with `-` is never read as a flag), or
/// `--long` alone for a switch.
fn flag(long: &str, arg: &clap::Arg, value: String) -> Vec<OsString> {
    if matches!(arg.get_action(), ArgAction::SetTrue) {
        vec![format!("--{long}").into()]
    } else {
        vec![format!("--{long}={value}").into()]
    }
}

/// The command line with the file's options right after the command's name, and its paths
/// (when the command line has none) after a `--` at the end.
fn splice(args: Vec<OsString>, command: &str, extra: Vec<OsString>, paths: Vec<OsString>) -> Vec<OsString> {
    let at = args
        .iter()
        .position(|a| a == command)
        .map_or(args.len(), |i| i + 1);
    let mut out: Vec<OsString> = args[..at].to_vec();
    out.extend(extra);
    out.extend(args[at..].iter().cloned());
    if !paths.is_empty() {
        if !out.iter().any(|a| a == "--") {
            out.push("--".into());
        }
        out.extend(paths);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_option_is_resolved_against_the_file() {
        // A new FILE or DIR option must join PATH_KEYS, or its relative paths would follow the
        // job's working folder instead of the file's.
        let cmd = Cli::command();
        for name in COMMANDS {
            for arg in cmd.find_subcommand(name).unwrap().get_arguments() {
                let value_name = arg
                    .get_value_names()
                    .and_then(|v| v.first())
                    .map(|s| s.to_string());
                let is_path =
                    value_name.is_some_and(|v| v.contains("FILE") || v.contains("DIR") || v == "PATHS");
                let key = arg.get_long().unwrap_or(arg.get_id().as_str());
                if is_path && key != "config" {
                    assert!(PATH_KEYS.contains(&key), "{name} --{key} is a path");
                }
            }
        }
    }

    #[test]
    fn relative_paths_join_the_files_folder_and_org_prefixes_stay() {
        let base = Path::new("/etc/apiusage");
        assert_eq!(
            resolve("profile", "org.toml".into(), base),
            "/etc/apiusage/org.toml"
        );
        assert_eq!(resolve("profile", "/abs/org.toml".into(), base), "/abs/org.toml");
        assert_eq!(
            resolve("limits", "00D8a000000DvA1=limits.json".into(), base),
            "00D8a000000DvA1=/etc/apiusage/limits.json"
        );
        assert_eq!(resolve("chatty-share", "0.4".into(), base), "0.4");
    }

    #[test]
    fn options_come_after_the_command_and_paths_at_the_end() {
        let args = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        let out = splice(
            args(&["apiusage", "top", "--json"]),
            "top",
            args(&["--limit=3"]),
            args(&["logs"]),
        );
        assert_eq!(
            out,
            args(&["apiusage", "top", "--limit=3", "--json", "--", "logs"])
        );
    }
}
