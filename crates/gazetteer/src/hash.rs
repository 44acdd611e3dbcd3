//! The maps of the name tables: their keys are syllables a few bytes long, looked up once
//! per token and built from our own data, so they use the query engine's fast hasher
//! rather than SipHash.

use std::hash::BuildHasherDefault;

pub(crate) type Map<K, V> = query::FastMap<K, V>;
pub(crate) type Set<K> = std::collections::HashSet<K, BuildHasherDefault<query::FastHasher>>;
