//! A row that passed every rule, as the store will create it.
//!
//! A commit holds every user of the file in memory until its transaction,
//! so a user is one allocation: its text values one after another in one
//! string, found by their end offsets. With a `String` each (19 of them) a
//! 100k-row commit made 1.9M allocations while verifying, and the
//! transaction then read the values from all over the heap, a cache miss
//! each.

use super::row::Row;
use super::sign_in::RowSettings;
use super::username::Upn;
use crate::columns::{Column, TEMPLATE};
use crate::secret::Secret;

/// The columns a user keeps: the template's, up to Country (the usage
/// location, the password, the groups and the manager are kept apart), in
/// its order; the user name is the checked `alias@domain`.
pub const STORED: &[Column] = TEMPLATE.as_slice().split_at(16).0;

/// Who a new user's manager is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManagerRef {
    None,
    /// An active user of the tenant: [`NewUser::manager_name`].
    Tenant,
    /// The user of another row of the file: that row's record number.
    InFile(u64),
}

/// A user ready to be created. Values are trimmed; empty means not given.
#[derive(Clone)]
pub struct NewUser {
    pub line: u64,
    pub record: u64,
    /// Every [`STORED`] column's value, one after another, then the
    /// manager's user name.
    text: Box<str>,
    /// Where each field's value ends in `text`. Offsets fit in 32 bits:
    /// every column of a valid row has a length limit, a few kilobytes in
    /// all.
    ends: [u32; 17],
    /// The alias is the user name up to its `@`.
    alias_len: u32,
    /// From the row; `None` means the batch's or tenant's location.
    pub usage_location: Option<&'static str>,
    /// From the row; `None` means "generate one".
    pub password: Option<Secret>,
    /// From Entra's Block sign in or accountEnabled column, or Google's
    /// New Status; `None` means the batch's setting.
    pub block_sign_in: Option<bool>,
    /// From Google's Change Password at Next Sign-In; `None` means the
    /// batch's setting.
    pub force_change_password: Option<bool>,
    /// The groups of the row's Groups cell: positions in the tenant's
    /// group index, each once.
    pub groups: Box<[u32]>,
    pub manager: ManagerRef,
}

impl NewUser {
    /// The user of a valid row. `manager` is the manager's user name
    /// (`alias@domain`) when the row has one.
    pub fn from_row(
        row: &Row,
        upn: &Upn,
        location: Option<&'static str>,
        settings: RowSettings,
        groups: Box<[u32]>,
        manager: (ManagerRef, &str),
    ) -> Self {
        let len = upn.alias.len()
            + 1
            + upn.domain.len()
            + STORED[1..].iter().map(|&c| row.get(c).len()).sum::<usize>()
            + manager.1.len();
        let mut text = String::with_capacity(len);
        let mut ends = [0; 17];
        let offset = |text: &String| u32::try_from(text.len()).unwrap_or(u32::MAX);
        for (i, &col) in STORED.iter().enumerate() {
            match col {
                Column::UserName => {
                    text.push_str(upn.alias);
                    text.push('@');
                    text.push_str(&upn.domain);
                }
                col => text.push_str(row.get(col)),
            }
            ends[i] = offset(&text);
        }
        text.push_str(manager.1);
        ends[16] = offset(&text);
        let password = match row.get(Column::Password) {
            "" => None,
            p => Some(Secret::new(p)),
        };
        NewUser {
            line: row.line,
            record: row.record,
            text: text.into_boxed_str(),
            ends,
            alias_len: u32::try_from(upn.alias.len()).unwrap_or(0),
            usage_location: location,
            password,
            block_sign_in: settings.block_sign_in,
            force_change_password: settings.force_change_password,
            groups,
            manager: manager.0,
        }
    }

    /// The manager's user name (`alias@domain`) as the row gave it; empty
    /// without a manager.
    pub fn manager_name(&self) -> &str {
        self.value(16)
    }

    /// The value of the `i`th [`STORED`] column.
    fn value(&self, i: usize) -> &str {
        let start = i.checked_sub(1).map_or(0, |p| self.ends[p]);
        self.text
            .get(start as usize..self.ends[i] as usize)
            .unwrap_or_default()
    }

    /// A column's value; empty for a column a user does not keep.
    pub fn get(&self, col: Column) -> &str {
        STORED
            .iter()
            .position(|&c| c == col)
            .map_or("", |i| self.value(i))
    }

    /// Every [`STORED`] column's value, in order.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        (0..STORED.len()).map(|i| self.value(i))
    }

    /// The user principal name, `alias@domain`.
    pub fn upn(&self) -> &str {
        self.value(0)
    }

    /// The user name before its `@`.
    pub fn alias(&self) -> &str {
        self.upn()
            .get(..self.alias_len as usize)
            .unwrap_or_default()
    }

    pub fn display_name(&self) -> &str {
        self.get(Column::DisplayName)
    }

    pub fn first_name(&self) -> &str {
        self.get(Column::FirstName)
    }

    pub fn last_name(&self) -> &str {
        self.get(Column::LastName)
    }

    pub fn alternate_email(&self) -> &str {
        self.get(Column::AlternateEmail)
    }
}

#[cfg(test)]
impl NewUser {
    /// A user named `alias@domain` with only a display name, for tests of
    /// the layers after verification.
    pub fn example(alias: &str, domain: &str, display_name: &str, line: u64) -> NewUser {
        let (header, _) = crate::ingest::HeaderMap::parse(&["User Name", "Display Name"], false, 1)
            .expect("header");
        let text = format!("{alias}@{domain},{display_name}");
        let p = crate::ingest::records::parse(text.as_bytes(), b',', true, usize::MAX);
        let (_, fields) = p.get(0).expect("one record");
        let row = Row::new(line, line - 1, fields, &header);
        let upn = Upn {
            alias,
            domain: domain.into(),
        };
        NewUser::from_row(
            &row,
            &upn,
            None,
            RowSettings::default(),
            Box::default(),
            (ManagerRef::None, ""),
        )
    }
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = f.debug_struct("NewUser");
        s.field("line", &self.line).field("record", &self.record);
        for (i, col) in STORED.iter().enumerate() {
            s.field(col.label(), &self.value(i));
        }
        s.field("usage_location", &self.usage_location)
            .field("password", &self.password)
            .field("block_sign_in", &self.block_sign_in)
            .field("force_change_password", &self.force_change_password)
            .field("groups", &self.groups)
            .field("manager", &self.manager)
            .field("manager_name", &self.manager_name())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::HeaderMap;
    use crate::ingest::records::parse;
    use std::borrow::Cow;

    #[test]
    fn every_field_comes_back_as_it_went_in() {
        let template = crate::columns::header_of(crate::columns::TEMPLATE_18);
        let labels: Vec<&str> = template.split(',').collect();
        let (header, _) = HeaderMap::parse(&labels, false, 1).unwrap();
        let text = "zoë, Zoë ,Ångström,Zoë Ångström,,Sales,1/2,+1 555,,fax,z@x.org,\
                    1 Main St,Oslo,,0150,Norway,NO,Secret1!";
        let p = parse(text.as_bytes(), b',', true, usize::MAX);
        let (line, fields) = p.get(0).unwrap();
        let row = Row::new(line, 1, fields, &header);
        let upn = Upn {
            alias: "zoë",
            domain: Cow::Borrowed("contoso.com"),
        };
        let u = NewUser::from_row(
            &row,
            &upn,
            Some("NO"),
            RowSettings::default(),
            Box::default(),
            (ManagerRef::Tenant, "boss@contoso.com"),
        );
        let got: Vec<&str> = u.fields().collect();
        assert_eq!(
            got,
            [
                "zoë@contoso.com",
                "Zoë",
                "Ångström",
                "Zoë Ångström",
                "",
                "Sales",
                "1/2",
                "+1 555",
                "",
                "fax",
                "z@x.org",
                "1 Main St",
                "Oslo",
                "",
                "0150",
                "Norway"
            ]
        );
        assert_eq!(STORED.last(), Some(&Column::Country));
        assert_eq!(u.display_name(), "Zoë Ångström");
        assert_eq!(u.alias(), "zoë");
        assert_eq!(u.upn(), "zoë@contoso.com");
        assert_eq!(u.manager_name(), "boss@contoso.com");
        assert_eq!(u.password.as_ref().map(Secret::expose), Some("Secret1!"));
        assert!(!format!("{u:?}").contains("Secret1!"));
    }
}
