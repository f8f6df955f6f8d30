//! Snapshots of the rendered email bodies: a change to a built-in template
//! shows up here as a diff to review. `UPDATE_SNAPSHOTS=1 cargo test` writes
//! the new versions.

use std::path::PathBuf;

use onboard::notify::{Credentials, Templates, TenantInfo};

fn check(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}; run with UPDATE_SNAPSHOTS=1 to create it",
            path.display()
        )
    });
    assert_eq!(
        actual, expected,
        "{name} changed; review it and run with UPDATE_SNAPSHOTS=1 to accept"
    );
}

fn users() -> [Credentials<'static>; 2] {
    [
        Credentials {
            display_name: "Adele Vance",
            first_name: "Adele",
            last_name: "Vance",
            upn: "adele.vance@contoso.onmicrosoft.com",
            password: "Kq7-snapshot-Pw",
            licenses: "ENTERPRISEPACK",
            roles: "user",
            sign_in: "allowed",
        },
        Credentials {
            display_name: "<Zoë & \"Brontë\">",
            first_name: "",
            last_name: "Brontë",
            upn: "zoe.bronte@contoso.onmicrosoft.com",
            password: "R8&<snapshot>",
            licenses: "",
            roles: "user",
            sign_in: "allowed",
        },
    ]
}

#[test]
fn rendered_messages_match_their_snapshots() {
    let t = Templates::load(None).unwrap();
    let tenant = TenantInfo {
        id: "contoso".into(),
        name: "Contoso Ltd".into(),
    };
    let users = users();
    let results = t.results(&tenant, "0b5e1c2a-batch", &users, true).unwrap();
    check("results.subject.txt", &results.subject);
    check("results.txt", &results.text);
    check("results.html", &results.html);
    let welcome = t.welcome(&tenant, &users[0], false).unwrap();
    check("welcome.subject.txt", &welcome.subject);
    check("welcome.txt", &welcome.text);
    check("welcome.html", &welcome.html);
    let nameless = t.welcome(&tenant, &users[1], true).unwrap();
    check("welcome-no-first-name.txt", &nameless.text);
    check("welcome-no-first-name.html", &nameless.html);
}
