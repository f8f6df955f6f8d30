//! A row that passed every rule, as the store will create it.
//!
//! A commit holds every user of the file in memory until its transaction,
//! so a user is one allocation: its text values one after another in one
//! string, found by their end offsets. With a `String` each (19 of them) a
//! 100k-row commit made 1.9M allocations while verifying, and the
//! transaction then read the values from all over the heap, a cache miss
//! each.

use super::row::Row;
use super::username::Upn;
use crate::columns::Column;
use crate::secret::Secret;

/// The text values of a user, in the order the store's users row takes
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Upn,
    DisplayName,
    FirstName,
    LastName,
    JobTitle,
    Department,
    OfficeNumber,
    OfficePhone,
    MobilePhone,
    Fax,
    AlternateEmail,
    Address,
    City,
    State,
    PostalCode,
    Country,
}

impl Field {
    pub const COUNT: usize = 16;

    /// Every field, in order.
    pub const ALL: [Field; Field::COUNT] = [
        Field::Upn,
        Field::DisplayName,
        Field::FirstName,
        Field::LastName,
        Field::JobTitle,
        Field::Department,
        Field::OfficeNumber,
        Field::OfficePhone,
        Field::MobilePhone,
        Field::Fax,
        Field::AlternateEmail,
        Field::Address,
        Field::City,
        Field::State,
        Field::PostalCode,
        Field::Country,
    ];

    /// The template column a field is read from; `None` for the user
    /// name, which is rebuilt from its checked alias and domain.
    const fn column(self) -> Option<Column> {
        Some(match self {
            Field::Upn => return None,
            Field::DisplayName => Column::DisplayName,
            Field::FirstName => Column::FirstName,
            Field::LastName => Column::LastName,
            Field::JobTitle => Column::JobTitle,
            Field::Department => Column::Department,
            Field::OfficeNumber => Column::OfficeNumber,
            Field::OfficePhone => Column::OfficePhone,
            Field::MobilePhone => Column::MobilePhone,
            Field::Fax => Column::Fax,
            Field::AlternateEmail => Column::AlternateEmail,
            Field::Address => Column::Address,
            Field::City => Column::City,
            Field::State => Column::State,
            Field::PostalCode => Column::PostalCode,
            Field::Country => Column::Country,
        })
    }
}

/// A user ready to be created. Values are trimmed; empty means not given.
#[derive(Clone)]
pub struct NewUser {
    pub line: u64,
    pub record: u64,
    /// Every [`Field`]'s value, one after another.
    text: Box<str>,
    /// Where each field's value ends in `text`. Offsets fit in 32 bits:
    /// every column of a valid row has a length limit, a few kilobytes in
    /// all.
    ends: [u32; Field::COUNT],
    /// The alias is the user name up to its `@`.
    alias_len: u32,
    /// From the row; `None` means the batch's or tenant's location.
    pub usage_location: Option<&'static str>,
    /// From the row; `None` means "generate one".
    pub password: Option<Secret>,
    /// From Entra's Block sign in column; `None` means the batch's setting.
    pub block_sign_in: Option<bool>,
}

impl NewUser {
    pub fn from_row(
        row: &Row,
        upn: &Upn,
        location: Option<&'static str>,
        block: Option<bool>,
    ) -> Self {
        let value = |f: Field| f.column().map_or("", |c| row.get(c));
        let len = upn.alias.len()
            + 1
            + upn.domain.len()
            + Field::ALL[1..]
                .iter()
                .map(|&f| value(f).len())
                .sum::<usize>();
        let mut text = String::with_capacity(len);
        let mut ends = [0; Field::COUNT];
        let offset = |text: &String| u32::try_from(text.len()).unwrap_or(u32::MAX);
        for (i, f) in Field::ALL.into_iter().enumerate() {
            match f {
                Field::Upn => {
                    text.push_str(upn.alias);
                    text.push('@');
                    text.push_str(&upn.domain);
                }
                f => text.push_str(value(f)),
            }
            ends[i] = offset(&text);
        }
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
            block_sign_in: block,
        }
    }

    /// One field's value.
    pub fn get(&self, f: Field) -> &str {
        let i = f as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text
            .get(start as usize..self.ends[i] as usize)
            .unwrap_or_default()
    }

    /// Every field's value, in [`Field::ALL`] order.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        Field::ALL.into_iter().map(|f| self.get(f))
    }

    /// The user principal name, `alias@domain`.
    pub fn upn(&self) -> &str {
        self.get(Field::Upn)
    }

    /// The user name before its `@`.
    pub fn alias(&self) -> &str {
        self.upn()
            .get(..self.alias_len as usize)
            .unwrap_or_default()
    }

    pub fn display_name(&self) -> &str {
        self.get(Field::DisplayName)
    }

    pub fn first_name(&self) -> &str {
        self.get(Field::FirstName)
    }

    pub fn last_name(&self) -> &str {
        self.get(Field::LastName)
    }

    pub fn alternate_email(&self) -> &str {
        self.get(Field::AlternateEmail)
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
        let p =
            crate::ingest::records::parse(text.as_bytes(), b',', true, usize::MAX).expect("record");
        let (_, fields) = p.get(0).expect("one record");
        let row = Row::new(line, line - 1, fields, &header);
        let upn = Upn {
            alias,
            domain: domain.into(),
        };
        NewUser::from_row(&row, &upn, None, None)
    }
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = f.debug_struct("NewUser");
        s.field("line", &self.line).field("record", &self.record);
        for field in Field::ALL {
            s.field(&format!("{field:?}"), &self.get(field));
        }
        s.field("usage_location", &self.usage_location)
            .field("password", &self.password)
            .field("block_sign_in", &self.block_sign_in)
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
        let template = crate::columns::template_header();
        let labels: Vec<&str> = template.split(',').collect();
        let (header, _) = HeaderMap::parse(&labels, false, 1).unwrap();
        let text = "zoë, Zoë ,Ångström,Zoë Ångström,,Sales,1/2,+1 555,,fax,z@x.org,\
                    1 Main St,Oslo,,0150,Norway,NO,Secret1!";
        let p = parse(text.as_bytes(), b',', true, usize::MAX).unwrap();
        let (line, fields) = p.get(0).unwrap();
        let row = Row::new(line, 1, fields, &header);
        let upn = Upn {
            alias: "zoë",
            domain: Cow::Borrowed("contoso.com"),
        };
        let u = NewUser::from_row(&row, &upn, Some("NO"), None);
        let got: Vec<&str> = u.fields().collect();
        assert_eq!(
            got,
            [
                "zoë@contoso.com",
                "Zoë Ångström",
                "Zoë",
                "Ångström",
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
        assert_eq!(u.alias(), "zoë");
        assert_eq!(u.upn(), "zoë@contoso.com");
        assert_eq!(u.password.as_ref().map(Secret::expose), Some("Secret1!"));
        assert!(!format!("{u:?}").contains("Secret1!"));
    }
}
