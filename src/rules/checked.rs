//! A row that passed every rule, as the store will create it.

use super::row::Row;
use super::username::Upn;
use crate::columns::Column;
use crate::secret::Secret;

/// A user ready to be created. Values are trimmed; empty means not given.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub line: u64,
    pub record: u64,
    pub upn: String,
    pub alias: String,
    pub display_name: String,
    pub first_name: String,
    pub last_name: String,
    pub job_title: String,
    pub department: String,
    pub office_number: String,
    pub office_phone: String,
    pub mobile_phone: String,
    pub fax: String,
    pub alternate_email: String,
    pub address: String,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    pub country: String,
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
        let s = |c: Column| row.get(c).to_string();
        let password = match row.get(Column::Password) {
            "" => None,
            p => Some(Secret::new(p)),
        };
        NewUser {
            line: row.line,
            record: row.record,
            upn: upn.full(),
            alias: upn.alias.to_string(),
            display_name: s(Column::DisplayName),
            first_name: s(Column::FirstName),
            last_name: s(Column::LastName),
            job_title: s(Column::JobTitle),
            department: s(Column::Department),
            office_number: s(Column::OfficeNumber),
            office_phone: s(Column::OfficePhone),
            mobile_phone: s(Column::MobilePhone),
            fax: s(Column::Fax),
            alternate_email: s(Column::AlternateEmail),
            address: s(Column::Address),
            city: s(Column::City),
            state: s(Column::State),
            postal_code: s(Column::PostalCode),
            country: s(Column::Country),
            usage_location: location,
            password,
            block_sign_in: block,
        }
    }
}
