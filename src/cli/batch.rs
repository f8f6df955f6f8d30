//! `onboard batch list` and `onboard batch show` (`ops::history`): the
//! batches a tenant committed, newest first. Text shows times for a
//! person (`2025-03-01 09:30:00 UTC`); JSON and CSV in RFC 3339 UTC.

use std::borrow::Cow;

use super::Ctx;
use super::output::{emit, emit_page, fields};
use crate::cli::{BatchCommand, Format};
use crate::error::{Exit, Result};
use crate::ops::history;
use crate::store::batches::BatchRecord;
use crate::time;

/// What a text list says for a batch committed before actors were recorded.
pub const NOT_RECORDED: &str = "(not recorded)";

const CSV_HEADERS: &[&str] = &[
    "Batch",
    "Committed",
    "File",
    "SHA-256",
    "Rows",
    "Created",
    "Skipped",
    "Actor",
    "Settings",
];

pub fn run(ctx: &Ctx, cmd: BatchCommand) -> Result<Exit> {
    match cmd {
        BatchCommand::List { tenant, pages } => {
            let page = history::batches(&ctx.config, &tenant.id, pages.into())?;
            if ctx.format == Format::Csv {
                let rows: Vec<Vec<String>> = page.items.iter().map(csv_row).collect();
                emit_page(
                    ctx.out,
                    ctx.format,
                    CSV_HEADERS,
                    &rows,
                    &page,
                    ("batch", "batches"),
                )?;
            } else {
                let rows: Vec<Vec<String>> = page
                    .items
                    .iter()
                    .map(|b| {
                        vec![
                            b.id.clone(),
                            time::readable(b.committed_at),
                            b.file.clone(),
                            b.rows.to_string(),
                            b.created.to_string(),
                            b.skipped.to_string(),
                            b.actor.clone().unwrap_or_else(|| NOT_RECORDED.into()),
                        ]
                    })
                    .collect();
                emit_page(
                    ctx.out,
                    ctx.format,
                    &[
                        "Batch",
                        "Committed",
                        "File",
                        "Rows",
                        "Created",
                        "Skipped",
                        "By",
                    ],
                    &rows,
                    &page,
                    ("batch", "batches"),
                )?;
            }
            Ok(Exit::Success)
        }
        BatchCommand::Show { tenant, batch } => {
            let b = history::batch(&ctx.config, &tenant.id, &batch)?;
            match ctx.format {
                Format::Text => ctx.out.with(|w| fields(w, &text_fields(&b)))?,
                _ => emit(ctx.out, ctx.format, CSV_HEADERS, &[csv_row(&b)], &b)?,
            }
            Ok(Exit::Success)
        }
    }
}

fn csv_row(b: &BatchRecord) -> Vec<String> {
    vec![
        b.id.clone(),
        time::rfc3339(b.committed_at),
        b.file.clone(),
        b.sha256.clone(),
        b.rows.to_string(),
        b.created.to_string(),
        b.skipped.to_string(),
        b.actor.clone().unwrap_or_default(),
        b.settings.to_string(),
    ]
}

fn text_fields(b: &BatchRecord) -> Vec<(Cow<'static, str>, String)> {
    let mut out: Vec<(Cow<'static, str>, String)> = [
        ("Batch", b.id.clone()),
        ("Tenant", b.tenant.clone()),
        ("File", b.file.clone()),
        ("SHA-256", b.sha256.clone()),
        ("Committed", time::readable(b.committed_at)),
        ("By", b.actor.clone().unwrap_or_else(|| NOT_RECORDED.into())),
        (
            "Rows",
            format!(
                "{} read, {} created, {} skipped",
                b.rows, b.created, b.skipped
            ),
        ),
    ]
    .into_iter()
    .map(|(l, v)| (Cow::Borrowed(l), v))
    .collect();
    match b.settings.as_object() {
        Some(settings) => {
            // The order of the commit's options; any other key after them.
            let known = SETTINGS.iter().map(|(k, _)| *k);
            let others = settings
                .keys()
                .map(String::as_str)
                .filter(|k| !SETTINGS.iter().any(|(known, _)| known == k));
            for key in known.chain(others) {
                if let Some(value) = settings.get(key) {
                    out.push((setting_label(key), setting_text(value)));
                }
            }
        }
        None => out.push(("Settings".into(), b.settings.to_string())),
    }
    out
}

/// The settings a commit records, with their labels, in the order of its
/// options.
const SETTINGS: &[(&str, &str)] = &[
    ("sign_in", "Sign-in"),
    ("usage_location", "Usage location"),
    ("licenses", "Licences"),
    ("roles", "Roles"),
    ("force_change_password", "Force change"),
    ("email_to", "Email to"),
    ("welcome", "Welcome emails"),
    ("skip_invalid", "Skip invalid"),
];

/// The label of a setting the commit records (its JSON key otherwise).
fn setting_label(key: &str) -> Cow<'static, str> {
    SETTINGS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or_else(|| Cow::Owned(key.to_string()), |(_, l)| Cow::Borrowed(*l))
}

fn setting_text(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "none".into(),
        Value::Array(items) => items
            .iter()
            .map(setting_text)
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}
