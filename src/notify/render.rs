//! Email bodies from tera templates (SPEC §8).
//!
//! The four templates in `templates/` are built into the binary; `--templates
//! DIR` replaces any of them with a file of the same name. Every template is
//! loaded and test-rendered before anything is committed, so a broken one is
//! a clear error (exit 2) and never a batch without its emails. Custom
//! welcome templates may use the storefront's legacy `[#FirstName#]` and
//! `[#LastName#]` placeholders. HTML templates are auto-escaped, so a
//! display name full of markup arrives as text.
//!
//! A results message for more than [`ATTACH_OVER`] users carries the list
//! as a CSV attachment in the results file's format (`src/results.rs`:
//! UTF-8 with a BOM, CRLF, formula-safe) and only the summary in its body;
//! a list too long for one message of [`MAX_MESSAGE_BYTES`] is split into
//! numbered parts ("part 2 of 3" in the subject and the body), each its own
//! message. The results templates see `users` (the users listed in the
//! body: empty when they are attached), `total_users`, `attachment` (the
//! file's name, or nothing), `part`, `parts`, `first_user` and `last_user`
//! (the part's users, counted from 1). Everything here is linear in the
//! number of users.

use std::path::Path;

use serde::Serialize;
use tera::{Context, Tera};

use crate::error::{Error, Result};
use crate::store::outbox::Attachment;

/// A results message for more users than this carries them as a CSV
/// attachment (SPEC §8).
pub const ATTACH_OVER: usize = 500;

/// No message is larger than this, as sent (headers, encoded bodies and
/// attachment).
pub const MAX_MESSAGE_BYTES: usize = 10_000_000;

pub const RESULTS_TXT: &str = "results.txt.tera";
pub const RESULTS_HTML: &str = "results.html.tera";
pub const WELCOME_TXT: &str = "welcome.txt.tera";
pub const WELCOME_HTML: &str = "welcome.html.tera";

const BUILT_IN: [(&str, &str); 4] = [
    (
        RESULTS_TXT,
        include_str!("../../templates/results.txt.tera"),
    ),
    (
        RESULTS_HTML,
        include_str!("../../templates/results.html.tera"),
    ),
    (
        WELCOME_TXT,
        include_str!("../../templates/welcome.txt.tera"),
    ),
    (
        WELCOME_HTML,
        include_str!("../../templates/welcome.html.tera"),
    ),
];

/// The tenant as templates see it.
#[derive(Debug, Clone, Serialize)]
pub struct TenantInfo {
    pub id: String,
    pub name: String,
}

/// One user's credentials as templates see them.
#[derive(Debug, Clone, Serialize)]
pub struct Credentials<'a> {
    pub display_name: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub upn: &'a str,
    pub password: &'a str,
    /// Licence SKUs, space separated.
    pub licenses: &'a str,
    /// Roles, `;` separated (`user`: no admin role).
    pub roles: &'a str,
    /// `allowed` or `blocked`.
    pub sign_in: &'a str,
}

impl<'a> Credentials<'a> {
    /// The user's row of the results file (`results::HEADER`).
    pub fn results_row(&self) -> [&'a str; 6] {
        [
            self.upn,
            self.display_name,
            self.password,
            self.licenses,
            self.roles,
            self.sign_in,
        ]
    }
}

/// A rendered message, ready for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachment: Option<Attachment>,
}

#[derive(Serialize)]
struct ResultsContext<'a> {
    tenant: &'a TenantInfo,
    batch_id: &'a str,
    users: &'a [Credentials<'a>],
    total_users: usize,
    attachment: Option<&'a str>,
    part: usize,
    parts: usize,
    first_user: usize,
    last_user: usize,
    force_change_password: bool,
}

/// Which users one results message covers.
struct Part<'a> {
    /// Listed in the body (none when attached).
    listed: &'a [Credentials<'a>],
    attachment: Option<&'a str>,
    part: usize,
    parts: usize,
    /// Range of the part's users in the batch, from 0.
    users: std::ops::Range<usize>,
}

#[derive(Serialize)]
struct WelcomeContext<'a> {
    tenant: &'a TenantInfo,
    user: &'a Credentials<'a>,
    force_change_password: bool,
}

/// The loaded templates.
pub struct Templates {
    tera: Tera,
}

impl Templates {
    /// The built-in templates, with any of `dir`'s files in their place.
    pub fn load(dir: Option<&Path>) -> Result<Templates> {
        let mut sources: Vec<(String, String)> = BUILT_IN
            .iter()
            .map(|(n, s)| (n.to_string(), s.to_string()))
            .collect();
        if let Some(dir) = dir {
            if !dir.is_dir() {
                return Err(Error::usage(format!(
                    "--templates {}: no such folder",
                    dir.display()
                )));
            }
            let mut found = 0;
            for (name, source) in &mut sources {
                let path = dir.join(&*name);
                if path.exists() {
                    *source =
                        std::fs::read_to_string(&path).map_err(|e| Error::io(path.display(), e))?;
                    found += 1;
                }
            }
            if found == 0 {
                return Err(Error::usage(format!(
                    "--templates {}: the folder has none of {RESULTS_TXT}, {RESULTS_HTML}, {WELCOME_TXT}, {WELCOME_HTML}",
                    dir.display()
                )));
            }
        }
        for (name, source) in &mut sources {
            if name.starts_with("welcome") {
                *source = source
                    .replace("[#FirstName#]", "{{ user.first_name }}")
                    .replace("[#LastName#]", "{{ user.last_name }}");
            }
        }
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html.tera"]);
        tera.add_raw_templates(sources.iter().map(|(n, s)| (n.as_str(), s.as_str())))
            .map_err(|e| template_error(dir, e))?;
        let templates = Templates { tera };
        templates.check().map_err(|e| match e {
            Error::Usage(m) => {
                Error::Usage(format!("{m} (while test-rendering with example data)"))
            }
            other => other,
        })?;
        Ok(templates)
    }

    /// Renders every template once with example data, so that a template
    /// that names a missing variable fails now, not after the commit.
    fn check(&self) -> Result<()> {
        let tenant = TenantInfo {
            id: "example".into(),
            name: "Example".into(),
        };
        let user = Credentials {
            display_name: "Ada Lovelace",
            first_name: "Ada",
            last_name: "Lovelace",
            upn: "ada@example.onmicrosoft.com",
            password: "(example)",
            licenses: "ENTERPRISEPACK",
            roles: "user",
            sign_in: "allowed",
        };
        self.results(&tenant, "example", std::slice::from_ref(&user), true)?;
        self.welcome(&tenant, &user, true)?;
        Ok(())
    }

    /// The administrators' results message for a batch, with every user
    /// listed in its body (a password reset; a batch of up to
    /// [`ATTACH_OVER`] users).
    pub fn results(
        &self,
        tenant: &TenantInfo,
        batch_id: &str,
        users: &[Credentials],
        force: bool,
    ) -> Result<Rendered> {
        let part = Part {
            listed: users,
            attachment: None,
            part: 1,
            parts: 1,
            users: 0..users.len(),
        };
        self.results_part(tenant, batch_id, users.len(), &part, force)
    }

    /// The results messages of a batch, for one recipient: one listing the
    /// users, or, for more than [`ATTACH_OVER`] users, one or more that
    /// carry them as an attachment, each under [`MAX_MESSAGE_BYTES`].
    pub fn results_messages(
        &self,
        tenant: &TenantInfo,
        batch_id: &str,
        users: &[Credentials],
        force: bool,
    ) -> Result<Vec<Rendered>> {
        if users.len() <= ATTACH_OVER {
            return Ok(vec![self.results(tenant, batch_id, users, force)?]);
        }
        let (rows, ends) = csv_rows(users)?;
        // What a part's message holds besides the attachment: headers,
        // MIME boundaries and the two bodies, which stay about the same
        // size from part to part. Encoded, a body grows by at most 1.7
        // (quoted-printable, which lettre picks only when it is the
        // shorter); counted twice, with room for the headers.
        let sample = Part {
            listed: &[],
            attachment: Some("onboard-results-0000-part-0000-of-0000.csv"),
            part: 9999,
            parts: 9999,
            users: 0..users.len(),
        };
        let sample = self.results_part(tenant, batch_id, users.len(), &sample, force)?;
        let overhead =
            64 * 1024 + 2 * (sample.subject.len() + sample.text.len() + sample.html.len());
        // Base64 writes 57 bytes as a line of 76 characters and CRLF.
        let budget = MAX_MESSAGE_BYTES.saturating_sub(overhead) / 78 * 57;
        let budget = budget.saturating_sub(csv_header().len());
        let pieces = split(&ends, budget);
        let parts = pieces.len();
        let mut out = Vec::with_capacity(parts);
        for (i, range) in pieces.into_iter().enumerate() {
            let name = attachment_name(batch_id, i + 1, parts);
            let start = if range.start == 0 {
                0
            } else {
                ends[range.start - 1]
            };
            let end = ends[range.end - 1];
            let header = csv_header();
            let mut content = Vec::with_capacity(header.len() + end - start);
            content.extend_from_slice(&header);
            content.extend_from_slice(&rows[start..end]);
            let part = Part {
                listed: &[],
                attachment: Some(&name),
                part: i + 1,
                parts,
                users: range,
            };
            let mut r = self.results_part(tenant, batch_id, users.len(), &part, force)?;
            r.attachment = Some(Attachment { name, content });
            out.push(r);
        }
        Ok(out)
    }

    fn results_part(
        &self,
        tenant: &TenantInfo,
        batch_id: &str,
        total: usize,
        part: &Part,
        force: bool,
    ) -> Result<Rendered> {
        let ctx = ResultsContext {
            tenant,
            batch_id,
            users: part.listed,
            total_users: total,
            attachment: part.attachment,
            part: part.part,
            parts: part.parts,
            first_user: part.users.start + 1,
            last_user: part.users.end,
            force_change_password: force,
        };
        let ctx = Context::from_serialize(&ctx).map_err(|e| template_error(None, e))?;
        let of = if part.parts > 1 {
            format!(", part {} of {}", part.part, part.parts)
        } else {
            String::new()
        };
        Ok(Rendered {
            subject: header_safe(&format!(
                "New user accounts for {} ({} {}{of})",
                tenant.name,
                total,
                if total == 1 { "user" } else { "users" }
            )),
            text: self.render(RESULTS_TXT, &ctx)?,
            html: self.render(RESULTS_HTML, &ctx)?,
            attachment: None,
        })
    }

    /// The administrators' message for a password reset: the results
    /// templates with one user, under a subject that says what happened.
    pub fn reset(&self, tenant: &TenantInfo, user: &Credentials, force: bool) -> Result<Rendered> {
        let mut r = self.results(tenant, "password reset", std::slice::from_ref(user), force)?;
        r.subject = header_safe(&format!(
            "New temporary password for {} ({})",
            user.upn, tenant.name
        ));
        Ok(r)
    }

    /// One new user's welcome message.
    pub fn welcome(
        &self,
        tenant: &TenantInfo,
        user: &Credentials,
        force: bool,
    ) -> Result<Rendered> {
        let ctx = WelcomeContext {
            tenant,
            user,
            force_change_password: force,
        };
        let ctx = Context::from_serialize(&ctx).map_err(|e| template_error(None, e))?;
        Ok(Rendered {
            subject: header_safe(&format!("Your account at {}", tenant.name)),
            text: self.render(WELCOME_TXT, &ctx)?,
            html: self.render(WELCOME_HTML, &ctx)?,
            attachment: None,
        })
    }

    fn render(&self, name: &str, ctx: &Context) -> Result<String> {
        self.tera
            .render(name, ctx)
            .map_err(|e| template_error(None, e))
    }
}

/// The attachment's first bytes: the BOM and the results file's header.
fn csv_header() -> Vec<u8> {
    let mut w = csv_writer(b"\xEF\xBB\xBF".to_vec());
    // Writing to memory cannot fail.
    let _ = w.write_record(crate::results::HEADER);
    w.into_inner().unwrap_or_default()
}

/// The writer the results file uses: CRLF, quotes where needed.
fn csv_writer(into: Vec<u8>) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(into)
}

/// The users as rows of the results file (formula-safe), one after the
/// other, with the offset where each row ends.
fn csv_rows(users: &[Credentials]) -> Result<(Vec<u8>, Vec<usize>)> {
    let mut w = csv_writer(Vec::with_capacity(users.len() * 96));
    let mut ends = Vec::with_capacity(users.len());
    let io = |e: csv::Error| Error::io("<results attachment>", e.into());
    for u in users {
        let row = u.results_row();
        w.write_record(row.iter().map(|c| match crate::report::formula_safe(c) {
            std::borrow::Cow::Borrowed(s) => std::borrow::Cow::Borrowed(s.as_bytes()),
            std::borrow::Cow::Owned(s) => std::borrow::Cow::Owned(s.into_bytes()),
        }))
        .map_err(io)?;
        w.flush()
            .map_err(|e| Error::io("<results attachment>", e))?;
        ends.push(w.get_ref().len());
    }
    let rows = w
        .into_inner()
        .map_err(|e| Error::io("<results attachment>", e.into_error()))?;
    Ok((rows, ends))
}

/// Rows (given by where each ends) in consecutive pieces of at most
/// `budget` bytes each, at least one row a piece.
fn split(ends: &[usize], budget: usize) -> Vec<std::ops::Range<usize>> {
    let mut pieces = Vec::new();
    let (mut first, mut from) = (0, 0);
    for (i, &end) in ends.iter().enumerate() {
        if end - from > budget && i > first {
            pieces.push(first..i);
            first = i;
            from = ends[i - 1];
        }
    }
    if first < ends.len() {
        pieces.push(first..ends.len());
    }
    pieces
}

/// `onboard-results-<batch>.csv`, or `...-part-2-of-3.csv`.
fn attachment_name(batch_id: &str, part: usize, parts: usize) -> String {
    let id: String = batch_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    if parts > 1 {
        format!("onboard-results-{id}-part-{part}-of-{parts}.csv")
    } else {
        format!("onboard-results-{id}.csv")
    }
}

/// A subject line cannot carry a line break into the headers.
fn header_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if crate::rules::text::is_control(c) {
                ' '
            } else {
                c
            }
        })
        .collect()
}

fn template_error(dir: Option<&Path>, e: tera::Error) -> Error {
    // tera puts the useful part (line, column, what) in the source chain.
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    match dir {
        Some(d) => Error::usage(format!("email template in {}: {msg}", d.display())),
        None => Error::usage(format!("email template: {msg}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds<'a>(name: &'a str, pw: &'a str) -> Credentials<'a> {
        Credentials {
            display_name: name,
            first_name: "Zoë",
            last_name: "Brontë",
            upn: "zoe@contoso.onmicrosoft.com",
            password: pw,
            licenses: "ENTERPRISEPACK",
            roles: "user",
            sign_in: "allowed",
        }
    }

    #[test]
    fn built_in_templates_render_every_user() {
        let t = Templates::load(None).unwrap();
        let tenant = TenantInfo {
            id: "contoso".into(),
            name: "Contoso".into(),
        };
        let users = [
            creds("Zoë Brontë", "Pw-one-1!"),
            creds("<b>Bold</b>", "Pw-two-2!"),
        ];
        let r = t.results(&tenant, "b1", &users, false).unwrap();
        assert!(r.text.contains("Pw-one-1!") && r.text.contains("Pw-two-2!"));
        assert!(
            r.html.contains("&lt;b&gt;Bold&lt;&#x2F;b&gt;"),
            "html escapes names: {}",
            r.html
        );
        assert_eq!(r.subject, "New user accounts for Contoso (2 users)");
    }

    #[test]
    fn legacy_placeholders_and_overrides() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(WELCOME_TXT),
            "Dear [#FirstName#] [#LastName#]: {{ user.password }}",
        )
        .unwrap();
        let t = Templates::load(Some(dir.path())).unwrap();
        let tenant = TenantInfo {
            id: "c".into(),
            name: "C".into(),
        };
        let r = t.welcome(&tenant, &creds("Z", "Pw-1!abcd"), false).unwrap();
        assert_eq!(r.text, "Dear Zoë Brontë: Pw-1!abcd");
    }

    #[test]
    fn broken_templates_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(RESULTS_TXT), "{% for u in users %}").unwrap();
        assert!(Templates::load(Some(dir.path())).is_err());
        std::fs::write(dir.path().join(RESULTS_TXT), "{{ no_such_thing }}").unwrap();
        assert!(Templates::load(Some(dir.path())).is_err());
        assert!(Templates::load(Some(&dir.path().join("missing"))).is_err());
    }

    fn many(n: usize) -> Vec<(String, String)> {
        (0..n)
            .map(|i| {
                (
                    format!("u{i}@contoso.onmicrosoft.com"),
                    format!("=Pw-{i}-x!"),
                )
            })
            .collect()
    }

    fn as_creds(users: &[(String, String)]) -> Vec<Credentials<'_>> {
        users
            .iter()
            .map(|(upn, pw)| Credentials {
                display_name: "Zoë, \"Z\" Brontë",
                first_name: "Zoë",
                last_name: "Brontë",
                upn,
                password: pw,
                licenses: "ENTERPRISEPACK",
                roles: "user",
                sign_in: "allowed",
            })
            .collect()
    }

    #[test]
    fn up_to_500_users_are_listed_and_more_are_attached() {
        let t = Templates::load(None).unwrap();
        let tenant = TenantInfo {
            id: "contoso".into(),
            name: "Contoso".into(),
        };
        let users = many(ATTACH_OVER);
        let listed = t
            .results_messages(&tenant, "b1", &as_creds(&users), false)
            .unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].attachment.is_none());
        assert!(listed[0].text.contains("=Pw-499-x!"));

        let users = many(ATTACH_OVER + 1);
        let creds = as_creds(&users);
        let attached = t.results_messages(&tenant, "b1", &creds, true).unwrap();
        assert_eq!(attached.len(), 1);
        let r = &attached[0];
        assert_eq!(r.subject, "New user accounts for Contoso (501 users)");
        assert!(r.text.contains("501 users created"), "{}", r.text);
        assert!(r.text.contains("onboard-results-b1.csv"), "{}", r.text);
        assert!(r.text.contains("Each user must choose a new password"));
        assert!(
            !r.text.contains("Pw-") && !r.html.contains("Pw-"),
            "only the summary"
        );
        // The attachment is what the results file would hold.
        let a = r.attachment.as_ref().unwrap();
        assert_eq!(a.name, "onboard-results-b1.csv");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.csv");
        let rows = creds.iter().map(Credentials::results_row);
        crate::results::ResultsFile::write(&path, false, rows)
            .unwrap()
            .publish()
            .unwrap();
        assert_eq!(a.content, std::fs::read(&path).unwrap());
        assert!(a.content.starts_with(b"\xEF\xBB\xBFUser Name,"));
    }

    #[test]
    fn rows_split_into_pieces_under_the_budget() {
        // Rows of 10, 10, 30, 5 bytes.
        let ends = [10, 20, 50, 55];
        assert_eq!(split(&ends, 100), vec![0..4]);
        assert_eq!(split(&ends, 25), vec![0..2, 2..3, 3..4]);
        assert_eq!(split(&ends, 35), vec![0..2, 2..4]);
        // A row larger than the budget still gets a piece of its own.
        assert_eq!(split(&ends, 1), vec![0..1, 1..2, 2..3, 3..4]);
        assert_eq!(split(&[], 10), Vec::<std::ops::Range<usize>>::new());
    }

    #[test]
    fn subjects_never_carry_line_breaks() {
        let t = Templates::load(None).unwrap();
        let tenant = TenantInfo {
            id: "c".into(),
            name: "Evil\r\nBcc: x@example.com".into(),
        };
        let r = t.welcome(&tenant, &creds("Z", "Pw-1!abcd"), false).unwrap();
        assert!(!r.subject.contains('\n') && !r.subject.contains('\r'));
    }
}
