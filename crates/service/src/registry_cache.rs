//! The registry as the request path reads it: every access check and many pages need the
//! whole registry (institutions, consortia, memberships, teams, grids), and loading it is
//! milliseconds of queries and parsing. It changes rarely — an import, a consortium's
//! change — and each change is an event, so a copy is kept and reloaded only when the
//! registry's last event is newer than the copy's. One small indexed query per use keeps
//! several servers on one database consistent.

use crate::ServiceError;
use std::sync::Arc;
use tokio::sync::RwLock;
use yilian_domain::registry::Registry;
use yilian_store::Store;
use yilian_store::registry::{load_registry, registry_version};

/// A copy of the registry and the version it was loaded at.
type Versioned = Option<(i64, Arc<Registry>)>;

/// A shared, self-refreshing copy of the registry. Clones share the copy.
#[derive(Debug, Clone, Default)]
pub struct RegistryCache {
    copy: Arc<RwLock<Versioned>>,
}

impl RegistryCache {
    /// The registry as of now.
    pub async fn get(&self, store: &Store) -> Result<Arc<Registry>, ServiceError> {
        let version = registry_version(store).await?;
        if let Some((v, reg)) = self.copy.read().await.as_ref()
            && *v == version
        {
            return Ok(reg.clone());
        }
        let mut copy = self.copy.write().await;
        if let Some((v, reg)) = copy.as_ref()
            && *v == version
        {
            return Ok(reg.clone());
        }
        let reg = Arc::new(load_registry(store).await?);
        *copy = Some((version, reg.clone()));
        Ok(reg)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic is how a test reports
    use super::*;
    use yilian_store::dbtest;

    dbtest!(a_copy_is_reused_until_the_registry_changes, |store| {
        let cache = RegistryCache::default();
        assert!(cache.get(&store).await.unwrap().institutions.is_empty());
        let city = yilian_synth::demo_city(&yilian_synth::CityParams {
            seed: 1,
            residents: 50,
            grids: 2,
        });
        crate::import::store_city(&store, &city.registry, city.residents.clone(), "test")
            .await
            .unwrap();
        let a = cache.get(&store).await.unwrap();
        assert_eq!(a.institutions.len(), city.registry.institutions.len());
        let b = cache.get(&store).await.unwrap();
        assert!(Arc::ptr_eq(&a, &b), "unchanged: the same copy");
        // a consortium's change is seen by every cache on the database
        let mut c = city.registry.consortia[0].clone();
        c.name = format!("{}（更名）", c.name);
        let members: Vec<_> = city.registry.members_of(&c.id, None).cloned().collect();
        let profile = yilian_domain::policy::Profile::builtin("national").unwrap();
        crate::consortium::put_consortium(
            &store,
            c.clone(),
            members,
            &profile,
            crate::today(),
            "test",
        )
        .await
        .unwrap();
        let d = cache.get(&store).await.unwrap();
        assert!(!Arc::ptr_eq(&b, &d));
        assert_eq!(d.consortia[0].name, c.name);
    });
}
