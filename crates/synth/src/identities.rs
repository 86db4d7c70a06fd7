//! Made-up identifiers for the demo city's residents: a national ID number that passes
//! every GB 11643 check (region from the home grid's district, birth date and sex from the
//! resident, check character computed), a mobile number and a name. They exist so the
//! demo shows what masking, sealing and look-up by ID card do; no real person has them
//! except by chance.

use crate::City;
use crate::names::{CITY_DIVISION, Names};
use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet};
use yilian_domain::access::{IdCardNo, PhoneNo, compose_id_card};
use yilian_domain::ids::ResidentId;
use yilian_domain::registry::Sex;

/// One resident's made-up identifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthIdentity {
    /// Whose.
    pub resident: ResidentId,
    /// National ID number.
    pub id_card: IdCardNo,
    /// Mobile number.
    pub phone: PhoneNo,
    /// Name.
    pub name: String,
}

/// Identifiers for every resident of `city` with a birth date, the same for the same seed.
/// `today` bounds the birth dates the ID numbers may carry.
pub fn identities(city: &City, seed: u64, today: NaiveDate) -> Vec<SynthIdentity> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(7);
    let names = Names::new();
    let region: BTreeMap<_, _> = city
        .registry
        .grids
        .iter()
        .map(|g| (g.id.clone(), g.division_code.clone()))
        .collect();
    let mut taken = BTreeSet::new();
    let mut out = Vec::with_capacity(city.residents.len());
    for r in &city.residents {
        let Some(birth) = r.birth_date else { continue };
        let code = r
            .grid_id
            .as_ref()
            .and_then(|g| region.get(g).cloned().flatten())
            .unwrap_or_else(|| CITY_DIVISION.to_owned());
        // the sequence's last digit is odd for men, even for women (GB 11643)
        let odd = u16::from(r.sex == Sex::M);
        let mut seq = rng.random_range(0..500u16) * 2 + odd;
        let id_card = loop {
            let id = compose_id_card(&code, birth, seq, today).expect(
                "BUG: a region code, a past birth date and a sequence compose a valid number",
            );
            if taken.insert(id.reveal().to_owned()) {
                break id;
            }
            seq = (seq + 2) % 1000;
        };
        let phone = PhoneNo::parse(&format!("139{:08}", rng.random_range(0..100_000_000u32)))
            .expect("BUG: 139 and eight digits is a mobile number");
        out.push(SynthIdentity {
            resident: r.id.clone(),
            id_card,
            phone,
            name: names.person(&mut rng),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CityParams, demo_city};

    #[test]
    fn every_resident_gets_a_valid_unique_number_matching_birth_and_sex() {
        let city = demo_city(&CityParams {
            seed: 3,
            residents: 3000,
            grids: 2,
        });
        let today = NaiveDate::from_ymd_opt(2026, 11, 29).expect("date");
        let ids = identities(&city, 3, today);
        assert_eq!(ids, identities(&city, 3, today), "deterministic");
        let by_id: BTreeMap<_, _> = city.residents.iter().map(|r| (r.id.clone(), r)).collect();
        let mut seen = BTreeSet::new();
        for i in &ids {
            let r = by_id[&i.resident];
            assert_eq!(Some(i.id_card.birth_date()), r.birth_date);
            assert_eq!(i.id_card.sex(), r.sex);
            assert!(seen.insert(i.id_card.reveal().to_owned()), "unique");
        }
        assert_eq!(
            ids.len(),
            city.residents
                .iter()
                .filter(|r| r.birth_date.is_some())
                .count()
        );
    }
}
