//! Email bodies from tera templates (SPEC §8).
//!
//! The four templates in `templates/` are built into the binary; `--templates
//! DIR` replaces any of them with a file of the same name. Every template is
//! loaded and test-rendered before anything is committed, so a broken one is
//! a clear error (exit 2) and never a batch without its emails. Custom
//! welcome templates may use the storefront's legacy `[#FirstName#]` and
//! `[#LastName#]` placeholders. HTML templates are auto-escaped, so a
//! display name full of markup arrives as text.

use std::path::Path;

use serde::Serialize;
use tera::{Context, Tera};

use crate::error::{Error, Result};

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
    /// Licence SKUs, comma separated.
    pub licenses: &'a str,
}

/// A rendered message, ready for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Serialize)]
struct ResultsContext<'a> {
    tenant: &'a TenantInfo,
    batch_id: &'a str,
    users: &'a [Credentials<'a>],
    force_change_password: bool,
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
        };
        self.results(&tenant, "example", std::slice::from_ref(&user), true)?;
        self.welcome(&tenant, &user, true)?;
        Ok(())
    }

    /// The administrators' results message for a batch.
    pub fn results(
        &self,
        tenant: &TenantInfo,
        batch_id: &str,
        users: &[Credentials],
        force: bool,
    ) -> Result<Rendered> {
        let ctx = ResultsContext {
            tenant,
            batch_id,
            users,
            force_change_password: force,
        };
        let ctx = Context::from_serialize(&ctx).map_err(|e| template_error(None, e))?;
        Ok(Rendered {
            subject: header_safe(&format!(
                "New user accounts for {} ({} {})",
                tenant.name,
                users.len(),
                if users.len() == 1 { "user" } else { "users" }
            )),
            text: self.render(RESULTS_TXT, &ctx)?,
            html: self.render(RESULTS_HTML, &ctx)?,
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
        })
    }

    fn render(&self, name: &str, ctx: &Context) -> Result<String> {
        self.tera
            .render(name, ctx)
            .map_err(|e| template_error(None, e))
    }
}

/// A subject line cannot carry a line break into the headers.
fn header_safe(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
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
