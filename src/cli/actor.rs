//! Who runs a command, for the audit log and the batches (SPEC §13): the
//! login name of the process's real user id, `root (sudo: NAME)` when root
//! runs it through sudo.
//!
//! The real user id is the first number of the `Uid:` line of
//! `/proc/self/status` (real, effective, saved, file system), and its name
//! the first `/etc/passwd` entry with that id. The real id, not the
//! effective one: a set-uid wrapper does not hide who started it. A user
//! id without an entry (a container's arbitrary uid) is `uid N`; without
//! `/proc` (not Linux) the actor says it is unknown rather than guessing.
//! `SUDO_USER` counts only when the real user id is 0: any user can set
//! the variable, only sudo makes them root with it. Names from NSS
//! sources other than `/etc/passwd` (LDAP, sssd) are not looked up: that
//! needs the C library, and the crate forbids `unsafe`; such a user is
//! recorded as `uid N`.

/// The actor when `/proc/self/status` cannot be read.
pub const UNKNOWN: &str = "unknown user (no /proc/self/status)";

/// The actor of this process.
pub fn current() -> String {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return UNKNOWN.to_string();
    };
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let sudo_user = std::env::var("SUDO_USER").ok();
    actor(&status, &passwd, sudo_user.as_deref())
}

/// The actor from the text of `/proc/self/status`, of `/etc/passwd` and
/// the value of `SUDO_USER`.
pub fn actor(status: &str, passwd: &str, sudo_user: Option<&str>) -> String {
    let Some(uid) = real_uid(status) else {
        return UNKNOWN.to_string();
    };
    let name = login_name(passwd, uid).map_or_else(|| format!("uid {uid}"), str::to_string);
    match sudo_user.map(str::trim).filter(|s| !s.is_empty()) {
        Some(by) if uid == 0 => format!("{name} (sudo: {by})"),
        _ => name,
    }
}

/// The real user id: the first field of the `Uid:` line.
fn real_uid(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The name of the first `/etc/passwd` entry with user id `uid`.
fn login_name(passwd: &str, uid: u32) -> Option<&str> {
    passwd.lines().find_map(|line| {
        if line.starts_with('#') {
            return None;
        }
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id: u32 = fields.nth(1)?.parse().ok()?;
        (id == uid && !name.is_empty()).then_some(name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tonboard\nUmask:\t0022\nState:\tR (running)\n\
        Tgid:\t42\nPid:\t42\nPPid:\t1\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n";
    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
        # a comment:x:1000:1000\n\
        daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
        alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n\
        alias:x:1000:1000::/home/alice:/bin/sh\n";

    fn status(uid: &str) -> String {
        STATUS.replace("Uid:\t1000", &format!("Uid:\t{uid}"))
    }

    #[test]
    fn the_real_user_id_names_the_actor() {
        // Effective uid 0 (set-uid): the real one, 1000, acts.
        assert_eq!(actor(STATUS, PASSWD, None), "alice");
        assert_eq!(actor(&status("1"), PASSWD, None), "daemon");
        assert_eq!(actor(&status("0"), PASSWD, None), "root");
    }

    #[test]
    fn sudo_is_named_only_for_root() {
        assert_eq!(
            actor(&status("0"), PASSWD, Some("alice")),
            "root (sudo: alice)"
        );
        // Anyone can set SUDO_USER; without root it says nothing.
        assert_eq!(actor(STATUS, PASSWD, Some("mallory")), "alice");
        assert_eq!(actor(&status("0"), PASSWD, Some(" ")), "root");
    }

    #[test]
    fn without_a_name_the_id_or_unknown() {
        assert_eq!(actor(&status("4242"), PASSWD, None), "uid 4242");
        assert_eq!(actor(STATUS, "", None), "uid 1000");
        assert_eq!(actor(&status("0"), "", Some("bob")), "uid 0 (sudo: bob)");
        assert_eq!(actor("Name:\tx\n", PASSWD, None), UNKNOWN);
        assert_eq!(actor(&status("x"), PASSWD, None), UNKNOWN);
    }

    #[test]
    fn this_process_has_an_actor() {
        assert!(!current().is_empty());
    }
}
